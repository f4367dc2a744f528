"""Great Expectations suites as code: one module per source (landed batches) and one for the marts.

Expectations are not written here by hand: each suite is built from the policy's checks at run time
(``quality/policy.yml``), so the policy stays the one list of checks. The modules say what a failure
means and who acts on it; that text is shown on each suite's Data Docs page.
"""

from __future__ import annotations

from quality.suites import marketing, sales, support
from quality.suites._landing import LandingSuite

LANDING_SUITES: dict[str, LandingSuite] = {
    suite.source: suite for suite in (sales.SUITE, support.SUITE, marketing.SUITE)
}


def landing_suite(source: str) -> LandingSuite:
    """The suite of a source, or a clear error for a source the policy names but no suite covers."""
    try:
        return LANDING_SUITES[source]
    except KeyError:
        raise KeyError(
            f"no landing suite for source {source!r} (have: {', '.join(LANDING_SUITES)})"
        ) from None
