"""Contracts of the sales CRM's twelve tables (Salesforce-like), as in ``shared/design/sources.md``.

Incremental tables use ``system_modstamp`` as cursor (``opportunity_history`` is append-only and uses
``created_date``); ``quota`` and ``currency_rate`` have no change timestamp and are taken as snapshots.
Required columns are the ones a row is meaningless without: its key, its cursor and the facts staging
joins or sums on.
"""

from __future__ import annotations

from ingestion.contracts import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    STRING,
    TIMESTAMP,
    Entity,
    WriteMode,
    optional,
    required,
)

SOURCE = "sales"

ACCOUNT_TYPES = ("Prospect", "Customer", "Partner", "Former Customer")
LEAD_STATUSES = ("Open", "Working", "Nurturing", "Qualified", "Unqualified")
OPPORTUNITY_TYPES = ("New Business", "Upgrade", "Renewal")
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
QUOTE_STATUSES = ("Draft", "Presented", "Accepted", "Denied")
ORDER_STATUSES = ("Draft", "Activated", "Fulfilled", "Cancelled", "Returned")
ORDER_CHANNELS = ("web", "field", "partner")


def _incremental(name: str, *columns: object, cursor: str = "system_modstamp") -> Entity:
    return Entity(SOURCE, name, tuple(columns), primary_key=("id",), cursor=cursor)  # type: ignore[arg-type]


ENTITIES: tuple[Entity, ...] = (
    _incremental(
        "account",
        required("id", STRING),
        optional("name", STRING),
        optional("website", STRING),
        optional("industry", STRING),
        optional("type", STRING, ACCOUNT_TYPES),
        optional("billing_country", STRING),
        optional("billing_city", STRING),
        optional("annual_revenue", FLOAT),
        optional("number_of_employees", INT),
        optional("owner_id", STRING),
        optional("parent_id", STRING),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
        required("is_deleted", BOOL),
    ),
    _incremental(
        "contact",
        required("id", STRING),
        optional("account_id", STRING),
        optional("first_name", STRING),
        optional("last_name", STRING),
        optional("email", STRING),
        optional("phone", STRING),
        optional("title", STRING),
        optional("lead_source", STRING),
        optional("mailing_country", STRING),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
        required("is_deleted", BOOL),
    ),
    _incremental(
        "lead",
        required("id", STRING),
        optional("first_name", STRING),
        optional("last_name", STRING),
        optional("email", STRING),
        optional("company", STRING),
        required("status", STRING, LEAD_STATUSES),
        optional("lead_source", STRING),
        optional("rating", STRING),
        optional("is_converted", BOOL),
        optional("converted_date", DATE),
        optional("converted_account_id", STRING),
        optional("converted_contact_id", STRING),
        optional("converted_opportunity_id", STRING),
        optional("owner_id", STRING),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
        required("is_deleted", BOOL),
    ),
    _incremental(
        "opportunity",
        required("id", STRING),
        optional("account_id", STRING),
        optional("name", STRING),
        optional("type", STRING, OPPORTUNITY_TYPES),
        optional("stage_name", STRING),
        optional("amount", FLOAT),
        optional("currency_iso_code", STRING),
        optional("probability", FLOAT),
        optional("close_date", DATE),
        optional("is_closed", BOOL),
        optional("is_won", BOOL),
        optional("forecast_category", STRING, FORECAST_CATEGORIES),
        optional("lead_source", STRING),
        optional("loss_reason", STRING),
        optional("campaign_id", STRING),
        optional("owner_id", STRING),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
        required("is_deleted", BOOL),
    ),
    _incremental(
        "opportunity_history",
        required("id", STRING),
        required("opportunity_id", STRING),
        optional("stage_name", STRING),
        optional("amount", FLOAT),
        optional("probability", FLOAT),
        optional("close_date", DATE),
        optional("forecast_category", STRING, FORECAST_CATEGORIES),
        required("created_date", TIMESTAMP),
        cursor="created_date",
    ),
    _incremental(
        "quote",
        required("id", STRING),
        optional("opportunity_id", STRING),
        optional("name", STRING),
        optional("status", STRING, QUOTE_STATUSES),
        optional("total_price", FLOAT),
        optional("discount", FLOAT),
        optional("expiration_date", DATE),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
    ),
    _incremental(
        "product",
        required("id", STRING),
        optional("name", STRING),
        optional("product_code", STRING),
        optional("family", STRING),
        optional("list_price", FLOAT),
        optional("is_active", BOOL),
        required("system_modstamp", TIMESTAMP),
    ),
    _incremental(
        "order",
        required("id", STRING),
        optional("account_id", STRING),
        optional("contact_id", STRING),
        optional("opportunity_id", STRING),
        optional("order_number", STRING),
        required("status", STRING, ORDER_STATUSES),
        optional("effective_date", DATE),
        optional("channel", STRING, ORDER_CHANNELS),
        optional("currency_iso_code", STRING),
        optional("total_amount", FLOAT),
        optional("created_date", TIMESTAMP),
        required("system_modstamp", TIMESTAMP),
    ),
    _incremental(
        "order_item",
        required("id", STRING),
        required("order_id", STRING),
        optional("product_id", STRING),
        optional("quantity", INT),
        optional("unit_price", FLOAT),
        optional("discount", FLOAT),
        optional("total_price", FLOAT),
        required("system_modstamp", TIMESTAMP),
    ),
    _incremental(
        "user",
        required("id", STRING),
        optional("name", STRING),
        optional("email", STRING),
        optional("title", STRING),
        optional("team", STRING),
        optional("region", STRING),
        optional("manager_id", STRING),
        optional("is_active", BOOL),
        required("system_modstamp", TIMESTAMP),
    ),
    Entity(
        SOURCE,
        "quota",
        (
            required("id", STRING),
            required("owner_id", STRING),
            required("period_start", DATE),
            required("quota_amount", FLOAT),
            optional("currency_iso_code", STRING),
        ),
        primary_key=("id",),
        cursor=None,
        write_mode=WriteMode.SNAPSHOT,
    ),
    Entity(
        SOURCE,
        "currency_rate",
        (
            required("iso_code", STRING),
            required("start_date", DATE),
            optional("next_start_date", DATE),
            required("conversion_rate", FLOAT),
        ),
        primary_key=("iso_code", "start_date"),
        cursor=None,
        write_mode=WriteMode.SNAPSHOT,
    ),
)
