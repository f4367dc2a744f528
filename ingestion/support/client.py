"""A small HTTP client for Zendesk-style cursor-based incremental exports.

Token auth (``Authorization: Bearer``), explicit timeouts, and retries: a 429 waits what
``Retry-After`` says; a 5xx, a timeout, a dropped connection or a body that is not the expected JSON
is retried with exponential backoff and jitter, up to ``max_attempts`` in a row. A 401/403 or another
4xx fails at once with the server's own description: retrying cannot fix a wrong token or URL.

Why not dlt's REST source: it is not installed here, and the part we need — pagination, auth,
retries honouring Retry-After, and a resume point we control — is this file; dlt would also want to
own state and loading, which the landing manifests and the single loader already do.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import polars as pl

log = logging.getLogger(__name__)

EXPORT_PATH = "/api/v2/incremental/{entity}/cursor.json"


class SupportApiError(RuntimeError):
    """The API refused a request in a way retrying cannot fix, or kept failing past the retry budget."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per request, backoff bounds, and the longest Retry-After honoured."""

    max_attempts: int = 8
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0


@dataclass(frozen=True)
class Page:
    """One page of an export: its records as a frame, the request that fetched it, the next cursor.

    ``records`` is set instead of ``frame`` when the page is valid JSON whose records disagree on a
    field's type (Polars cannot build one frame from them): the extractor isolates the odd records.
    """

    frame: pl.DataFrame | None
    records: list[dict[str, Any]] | None
    request: str
    after_cursor: str
    end_of_stream: bool

    @property
    def rows(self) -> int:
        return self.frame.height if self.frame is not None else len(self.records or [])


def parse_page(entity: str, body: bytes, *, request: str) -> Page:
    """Decode one export page; raise ``ValueError`` if the body is not a complete export page.

    Polars parses the JSON natively (several times faster than building a frame from Python dicts);
    only a page Polars refuses is decoded with ``json`` to tell a cut body (retry) from odd records.
    """
    try:
        head = pl.read_json(io.BytesIO(body), infer_schema_length=None)
        if entity not in head.columns or "after_cursor" not in head.columns:
            raise ValueError(f"not a {entity} export page")
        count = head.get_column(entity).list.len().item()
        frame = head.select(pl.col(entity).explode()).unnest(entity) if count else pl.DataFrame()
        return Page(frame, None, request, head.item(0, "after_cursor"), bool(head.item(0, "end_of_stream")))
    except (pl.exceptions.PolarsError, pl.exceptions.ComputeError):
        decoded = json.loads(body)  # raises ValueError on a malformed body
        if not isinstance(decoded, dict) or "after_cursor" not in decoded:
            raise ValueError(f"not a {entity} export page") from None
        return Page(None, decoded[entity], request, decoded["after_cursor"], bool(decoded["end_of_stream"]))


class SupportClient:
    """Pages through one help-desk export at a time; use as a context manager (one keep-alive pool)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_seconds: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._random = random.Random()
        self.retries = 0  # requests repeated, for the run's report
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
        )

    def __enter__(self) -> SupportClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def pages(self, entity: str, *, cursor: str | None, per_page: int = 1000) -> Iterator[Page]:
        """Every page after ``cursor`` (from the beginning of time when None) to the end of the stream."""
        params: dict[str, str | int] = {"per_page": per_page}
        if cursor is None:
            params["start_time"] = 0
        else:
            params["cursor"] = cursor
        while True:
            request = (
                f"cursor={params['cursor']}" if "cursor" in params else f"start_time={params['start_time']}"
            )
            page = self._get(
                EXPORT_PATH.format(entity=entity),
                params,
                functools.partial(parse_page, entity, request=request),
            )
            yield page
            if page.end_of_stream:
                return
            params = {"per_page": per_page, "cursor": page.after_cursor}

    def _get(self, path: str, params: dict[str, str | int], parse: Callable[[bytes], Page]) -> Page:
        """GET with the retry policy; ``parse`` raising ``ValueError`` means a malformed body (retried)."""
        failures = 0
        while True:
            problem: str
            wait: float | None = None
            try:
                response = self._http.get(path, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return parse(response.content)
                    except ValueError as error:
                        problem = f"malformed body ({len(response.content)} bytes): {error}"
                elif status == 429:
                    wait = self._retry_after(response)
                    problem = f"429 rate limited, Retry-After {wait:g}s"
                elif status >= 500:
                    problem = f"{status} {response.reason_phrase}"
                else:
                    raise SupportApiError(
                        f"GET {response.request.url} answered {status}: {response.text[:300]}"
                        + (" (check CRM_SUPPORT_TOKEN)" if status in (401, 403) else "")
                    )
            if wait is None:
                failures += 1
                if failures >= self.retry.max_attempts:
                    raise SupportApiError(
                        f"GET {path} {params}: gave up after {failures} attempts: {problem}"
                    )
                wait = min(
                    self.retry.max_backoff_seconds, self.retry.backoff_seconds * 2 ** (failures - 1)
                ) * (0.5 + self._random.random())
            self.retries += 1
            log.info("support API: %s; retrying in %.1fs", problem, wait)
            self._sleep(wait)

    def _retry_after(self, response: httpx.Response) -> float:
        """Seconds the server asks us to wait (integer seconds; a date form falls back to 1s)."""
        header = response.headers.get("Retry-After", "1")
        try:
            seconds = float(header)
        except ValueError:
            seconds = 1.0
        return min(max(seconds, 0.0), self.retry.max_retry_after_seconds)
