"""Landed batches of the help desk (organizations, users, tickets, ticket events, ratings, …).

What a failure means: tickets that cannot be tied to a requester or organization, duplicated ticket
ids, or a stale export distort first-reply and resolution times, SLA breach rates and CSAT — the
"superior experience" numbers managers act on. Duplicate ids and heavy quarantine block publishing;
missing priorities or organizations are routine aches that are reported.

Who acts: support operations (the help desk's admins) fix the records; the data engineer on call checks
the API extraction (cursor, rate limits, 5xx retries) when volume or freshness breaks.
"""

from __future__ import annotations

from quality.suites._landing import LandingSuite

SUITE = LandingSuite(source="support", notes=__doc__ or "")
