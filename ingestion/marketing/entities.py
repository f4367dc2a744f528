"""Contracts of the marketing platform's six file exports (HubSpot/Mailchimp-like), as in sources.md.

Every file arrives as text (CSV or NDJSON), so every value is parsed against these types; the file
kind is the part of the file name before ``_YYYYMMDD``. A re-delivered file replaces its earlier
version in raw (write mode ``replace_file``), and lineage is the file (``_source_file``).
"""

from __future__ import annotations

from ingestion.contracts import DATE, FLOAT, INT, STRING, TIMESTAMP, Entity, WriteMode, optional, required

SOURCE = "marketing"

LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
ORIGINAL_SOURCES = (
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "REFERRALS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
)
CAMPAIGN_TYPES = ("email", "webinar", "paid_search", "social", "event", "win_back", "loyalty")
EMAIL_EVENT_TYPES = ("SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE", "UNSUBSCRIBE", "SPAMREPORT")
FORM_NAMES = ("demo_request", "newsletter", "webinar_registration", "contact_us", "pricing")
AD_CHANNELS = ("google_ads", "linkedin", "meta")


def _file(name: str, *columns: object, primary_key: tuple[str, ...]) -> Entity:
    return Entity(
        SOURCE,
        name,
        tuple(columns),  # type: ignore[arg-type]
        primary_key=primary_key,
        cursor=None,
        write_mode=WriteMode.REPLACE_FILE,
        lineage_column="_source_file",
    )


ENTITIES: tuple[Entity, ...] = (
    _file(
        "contacts",
        required("contact_id", STRING),
        optional("email", STRING),
        optional("first_name", STRING),
        optional("last_name", STRING),
        optional("company", STRING),
        optional("job_title", STRING),
        optional("phone", STRING),
        optional("country", STRING),
        optional("lifecycle_stage", STRING, LIFECYCLE_STAGES),
        optional("lead_status", STRING),
        optional("lead_score", INT),
        optional("original_source", STRING, ORIGINAL_SOURCES),
        optional("crm_lead_id", STRING),
        optional("crm_contact_id", STRING),
        optional("created_at", TIMESTAMP),
        optional("updated_at", TIMESTAMP),
        optional("unsubscribed_at", TIMESTAMP),
        primary_key=("contact_id",),
    ),
    _file(
        "campaigns",
        required("campaign_id", STRING),
        optional("name", STRING),
        required("type", STRING, CAMPAIGN_TYPES),
        optional("subject", STRING),
        optional("start_date", DATE),
        optional("end_date", DATE),
        optional("budget", FLOAT),
        optional("currency", STRING),
        optional("target_segment", STRING),
        optional("crm_campaign_id", STRING),
        primary_key=("campaign_id",),
    ),
    _file(
        "email_events",
        required("event_id", STRING),
        optional("campaign_id", STRING),
        optional("contact_id", STRING),
        optional("recipient", STRING),
        required("type", STRING, EMAIL_EVENT_TYPES),
        required("created_at", TIMESTAMP),
        optional("url", STRING),
        optional("device_type", STRING),
        optional("bounce_category", STRING),
        primary_key=("event_id",),
    ),
    _file(
        "form_submissions",
        required("submission_id", STRING),
        optional("contact_id", STRING),
        optional("email", STRING),
        optional("form_name", STRING, FORM_NAMES),
        optional("page_url", STRING),
        optional("utm_source", STRING),
        optional("utm_medium", STRING),
        optional("utm_campaign", STRING),
        required("submitted_at", TIMESTAMP),
        primary_key=("submission_id",),
    ),
    _file(
        "ad_spend",
        required("date", DATE),
        required("campaign_id", STRING),
        required("channel", STRING, AD_CHANNELS),
        optional("impressions", INT),
        optional("clicks", INT),
        optional("cost", FLOAT),
        optional("currency", STRING),
        primary_key=("date", "campaign_id", "channel"),
    ),
    _file(
        "nps_responses",
        required("response_id", STRING),
        optional("email", STRING),
        required("score", INT),
        optional("comment", STRING),
        optional("survey_name", STRING),
        required("submitted_at", TIMESTAMP),
        primary_key=("response_id",),
    ),
)
