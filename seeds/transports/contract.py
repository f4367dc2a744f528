"""What each source exposes: table and entity names, their record keys and contract columns.

The column lists are the contract of ``shared/design/sources.md``: a transport checks that the world
holds at least these columns and serves them (plus any extra columns the generator adds, which the
contract allows) in the world's order. Keys say which columns identify a record across its versions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    """One table / endpoint / file kind of a source system."""

    source: str
    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def qualified(self) -> str:
        """``source.entity`` — how summaries and logs name it."""
        return f"{self.source}.{self.name}"


def _sales(name: str, columns: str, key: tuple[str, ...] = ("id",)) -> Entity:
    return Entity("sales", name, key, tuple(c.strip() for c in columns.split(",")))


def _support(name: str, columns: str) -> Entity:
    return Entity("support", name, ("id",), tuple(c.strip() for c in columns.split(",")))


def _marketing(name: str, columns: str) -> Entity:
    # Marketing rows are not versioned records: every delivery is a file, its rows as exported.
    return Entity("marketing", name, (), tuple(c.strip() for c in columns.split(",")))


SALES: tuple[Entity, ...] = (
    _sales(
        "account",
        "id, name, website, industry, type, billing_country, billing_city, annual_revenue, "
        "number_of_employees, owner_id, parent_id, created_date, system_modstamp, is_deleted",
    ),
    _sales(
        "contact",
        "id, account_id, first_name, last_name, email, phone, title, lead_source, mailing_country, "
        "created_date, system_modstamp, is_deleted",
    ),
    _sales(
        "lead",
        "id, first_name, last_name, email, company, status, lead_source, rating, is_converted, "
        "converted_date, converted_account_id, converted_contact_id, converted_opportunity_id, owner_id, "
        "created_date, system_modstamp, is_deleted",
    ),
    _sales(
        "opportunity",
        "id, account_id, name, type, stage_name, amount, currency_iso_code, probability, close_date, "
        "is_closed, is_won, forecast_category, lead_source, loss_reason, campaign_id, owner_id, "
        "created_date, system_modstamp, is_deleted",
    ),
    _sales(
        "opportunity_history",
        "id, opportunity_id, stage_name, amount, probability, close_date, forecast_category, created_date",
    ),
    _sales(
        "quote",
        "id, opportunity_id, name, status, total_price, discount, expiration_date, created_date, "
        "system_modstamp",
    ),
    _sales("product", "id, name, product_code, family, list_price, is_active, system_modstamp"),
    _sales(
        "order",
        "id, account_id, contact_id, opportunity_id, order_number, status, effective_date, channel, "
        "currency_iso_code, total_amount, created_date, system_modstamp",
    ),
    _sales(
        "order_item",
        "id, order_id, product_id, quantity, unit_price, discount, total_price, system_modstamp",
    ),
    _sales("user", "id, name, email, title, team, region, manager_id, is_active, system_modstamp"),
    _sales("quota", "id, owner_id, period_start, quota_amount, currency_iso_code"),
    _sales(
        "currency_rate",
        "iso_code, start_date, next_start_date, conversion_rate",
        key=("iso_code", "start_date"),
    ),
)

SUPPORT: tuple[Entity, ...] = (
    _support(
        "organizations", "id, name, domain_names, external_id, tags, created_at, updated_at, deleted_at"
    ),
    _support(
        "users", "id, name, email, role, organization_id, phone, time_zone, suspended, created_at, updated_at"
    ),
    _support(
        "tickets",
        "id, subject, status, priority, type, via, requester_id, submitter_id, assignee_id, group_id, "
        "organization_id, tags, custom_fields, created_at, updated_at",
    ),
    _support(
        "ticket_events",
        "id, ticket_id, created_at, author_id, event_type, field_name, value, previous_value, public",
    ),
    _support(
        "satisfaction_ratings",
        "id, ticket_id, requester_id, assignee_id, score, comment, reason, created_at, updated_at",
    ),
    _support("groups", "id, name"),
    _support("sla_policies", "id, title, priority, metric, target_minutes, business_hours"),
)

MARKETING: tuple[Entity, ...] = (
    _marketing(
        "contacts",
        "contact_id, email, first_name, last_name, company, job_title, phone, country, lifecycle_stage, "
        "lead_status, lead_score, original_source, crm_lead_id, crm_contact_id, created_at, updated_at, "
        "unsubscribed_at",
    ),
    _marketing(
        "campaigns",
        "campaign_id, name, type, subject, start_date, end_date, budget, currency, target_segment, "
        "crm_campaign_id",
    ),
    _marketing(
        "email_events",
        "event_id, campaign_id, contact_id, recipient, type, created_at, url, device_type, bounce_category",
    ),
    _marketing(
        "form_submissions",
        "submission_id, contact_id, email, form_name, page_url, utm_source, utm_medium, utm_campaign, "
        "submitted_at",
    ),
    _marketing("ad_spend", "date, campaign_id, channel, impressions, clicks, cost, currency"),
    _marketing("nps_responses", "response_id, email, score, comment, survey_name, submitted_at"),
)

SALES_BY_NAME = {e.name: e for e in SALES}
SUPPORT_BY_NAME = {e.name: e for e in SUPPORT}
MARKETING_BY_NAME = {e.name: e for e in MARKETING}

VISIBLE_AT = "_visible_at"
DELIVERY_DATE = "_delivery_date"
