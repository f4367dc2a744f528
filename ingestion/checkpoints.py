"""Named points between ingestion steps where a test can kill the process, to prove crash safety.

``CRM_INGEST_CRASH_AT=<step>[:<n>]`` makes the n-th arrival (default the first) at ``<step>`` end the
process at once with exit code 97 — ``os._exit``, like a kill: no ``finally``, no flush, no rollback
other than what the storage engines do themselves. Unset (always, outside tests) it costs a dict lookup.

Steps, in the order a batch passes them: ``extracted`` (rows read from the source, nothing written),
``landed_data`` (Parquet written, manifest not yet), ``landed`` (manifest written, not loaded),
``loaded`` (rows inserted in the open warehouse transaction, not committed), ``committed``.
"""

from __future__ import annotations

import os
from collections import Counter

CRASH_ENV = "CRM_INGEST_CRASH_AT"
CRASH_EXIT_CODE = 97
STEPS = ("extracted", "landed_data", "landed", "loaded", "committed")

_arrivals: Counter[str] = Counter()


def checkpoint(step: str) -> None:
    """Die here if the environment asks for a crash at this step (and this arrival)."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != step:
        return
    _arrivals[step] += 1
    if _arrivals[step] == int(nth or 1):
        os._exit(CRASH_EXIT_CODE)
