"""Landed batches of the sales CRM (accounts, contacts, leads, opportunities, orders, order items, …).

What a failure means: the rows that decide revenue, pipeline and customer value arrived incomplete,
duplicated or stale. Orders without an account, or a sudden drop in order volume, hide exactly the
most valuable customers' buying from the segment report — a strategic pain: publishing stops. A few
contacts with malformed e-mails, or an unknown order channel, are routine aches: published, reported.

Who acts: sales operations (the CRM's owners) fix the source records; the data engineer on call checks
the extraction first when volume or freshness breaks (a stalled cursor looks like a quiet day).
"""

from __future__ import annotations

from quality.suites._landing import LandingSuite

SUITE = LandingSuite(source="sales", notes=__doc__ or "")
