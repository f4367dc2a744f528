"""Landed batches of the marketing platform's file drops (contacts, campaigns, e-mail events, forms, NPS).

What a failure means: engagement and attitude measures are built on these rows. Out-of-range NPS
scores or heavy quarantine of a delivery would put wrong numbers in front of managers and block
publishing; duplicated e-mail events (a known habit of the platform, deduplicated in staging), invalid
addresses and unknown lifecycle stages are routine aches that are reported.

Who acts: marketing operations re-export or correct the file (a re-delivered file replaces the old
one); the data engineer on call checks the inbox and its manifests when volume or freshness breaks.
"""

from __future__ import annotations

from quality.suites._landing import LandingSuite

SUITE = LandingSuite(source="marketing", notes=__doc__ or "")
