"""The help desk as a real HTTP server with Zendesk-style cursor-based incremental exports.

``GET /api/v2/incremental/<entity>/cursor.json?start_time=<unix>[&per_page=N]`` starts an export;
``…/cursor.json?cursor=<opaque>`` continues it. A response is
``{"<entity>": [...], "after_cursor": "...", "after_url": "...", "end_of_stream": bool}``.

The stream is ordered by the moment each record version was written to the help desk
(``_visible_at``, then ``id``), and each record appears in its latest version as of the clock. So a
late event, or a ticket updated after the client's last page, sits *after* the client's cursor and
is seen by simply resuming. The cursor encodes that position (write time and id), never an offset,
so it stays valid when the clock moves. ``start_time`` filters on the same write time.

The clock file is read on every request; the as-of feeds are built once per (entity, clock date)
and cached, each page is a binary search plus a slice, so a full export is linear in its size.

Like the real service it can be unfriendly, on request: token auth (401), a rate limit (429 with
``Retry-After``), and injected 500/502/503 errors, slow responses and malformed JSON bodies at given
rates, deterministic for a given ``seed`` and request order. All off by default.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import math
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import polars as pl

from crm.settings import DEFAULT_SUPPORT_PORT, DEFAULT_SUPPORT_TOKEN, Settings
from seeds.transports import clock
from seeds.transports.contract import SUPPORT_BY_NAME, VISIBLE_AT

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
CACHED_CLOCK_DATES = 2  # the current date and the previous one: enough for an advance mid-export
PATH_PREFIX = "/api/v2/incremental/"
PATH_SUFFIX = "/cursor.json"
INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Faults:
    """How unfriendly the server is. Rates are probabilities per request, 0 = never."""

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 2.0
    malformed_rate: float = 0.0
    seed: int = 0


class ApiError(Exception):
    """An error answered as JSON ``{"error": title, "description": detail}``."""

    def __init__(
        self, status: HTTPStatus, title: str, description: str, headers: dict[str, str] | None = None
    ):
        super().__init__(description)
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}


# --- the data: one feed per (entity, clock date) --------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One entity as of one clock date, in stream order, ready to be sliced into pages."""

    written_us: np.ndarray  # int64 microseconds since the epoch, ascending
    ids: np.ndarray  # int64, ascending within equal write times
    rows: pl.DataFrame  # the records as their JSON shape (timestamps already ISO-8601 ``Z`` text)

    def first_at_or_after(self, written_us: int) -> int:
        return int(np.searchsorted(self.written_us, written_us, side="left"))

    def first_after(self, written_us: int, record_id: int) -> int:
        low = int(np.searchsorted(self.written_us, written_us, side="left"))
        high = int(np.searchsorted(self.written_us, written_us, side="right"))
        return low + int(np.searchsorted(self.ids[low:high], record_id, side="right"))


def build_feed(settings: Settings, entity: str, as_of: date) -> Feed:
    """Each record's latest version as of ``as_of``, ordered by (write time, id)."""
    spec = SUPPORT_BY_NAME[entity]
    versions = clock.scan(settings, spec)
    latest = clock.as_of(versions, spec.key, as_of).sort([VISIBLE_AT, "id"]).collect()
    schema = latest.schema
    rows = latest.select(c for c in latest.columns if not c.startswith("_")).with_columns(
        pl.col(c).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        for c, dtype in schema.items()
        if isinstance(dtype, pl.Datetime) and not c.startswith("_")
    )
    written = latest.get_column(VISIBLE_AT).dt.epoch("us").to_numpy()
    return Feed(written_us=written, ids=latest.get_column("id").cast(pl.Int64).to_numpy(), rows=rows)


class FeedCache:
    """Feeds for the last few clock dates; one build at a time per (entity, date)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._feeds: OrderedDict[tuple[str, date, int], Feed] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[str, date, int], threading.Lock] = {}

    def warm(self) -> None:
        """Build every entity's feed for the current clock date, so first pages answer quickly."""
        as_of = clock.read_clock(self.settings)
        if as_of is None:
            return
        for entity in SUPPORT_BY_NAME:
            try:
                self.get(entity, as_of)
            except clock.WorldError as error:
                log.warning("cannot prepare the %s feed: %s", entity, error)

    def get(self, entity: str, as_of: date) -> Feed:
        # The file's modification time is part of the key: a regenerated world is never served stale.
        version = clock.world_file(self.settings, SUPPORT_BY_NAME[entity]).stat().st_mtime_ns
        key = (entity, as_of, version)
        with self._lock:
            if key in self._feeds:
                self._feeds.move_to_end(key)
                return self._feeds[key]
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:
            with self._lock:
                if key in self._feeds:
                    return self._feeds[key]
            started = time.perf_counter()
            feed = build_feed(self.settings, entity, as_of)
            log.debug(
                "built %s feed as of %s: %d records in %.2fs",
                entity,
                as_of,
                len(feed.ids),
                time.perf_counter() - started,
            )
            with self._lock:
                self._feeds[key] = feed
                self._building.pop(key, None)
                dates = list(dict.fromkeys(k[1] for k in self._feeds))
                for stale in dates[:-CACHED_CLOCK_DATES]:
                    for cached in [k for k in self._feeds if k[1] == stale]:
                        del self._feeds[cached]
                for older in [k for k in self._feeds if k[0] == entity and k[1] == as_of and k[2] != version]:
                    del self._feeds[older]
            return feed


# --- cursors --------------------------------------------------------------------------------------


def encode_cursor(entity: str, written_us: int, record_id: int) -> str:
    """An opaque cursor meaning "after the version written at ``written_us`` of ``record_id``"."""
    raw = json.dumps({"e": entity, "w": int(written_us), "i": int(record_id)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(entity: str, cursor: str) -> tuple[int, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = (int(raw["w"]), int(raw["i"]))
        owner = raw["e"]
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidCursor", f"cursor {cursor!r} is not valid") from error
    if owner != entity:
        raise ApiError(
            HTTPStatus.BAD_REQUEST, "InvalidCursor", f"this cursor belongs to {owner}, not {entity}"
        )
    return position


# --- the server -----------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket: ``rate`` requests per second, bursts up to ``rate`` (at least one)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self._lock = threading.Lock()

    def retry_after(self) -> int | None:
        """Take a token and return None, or return the whole seconds to wait for one."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            return max(1, math.ceil((1 - self.tokens) / self.rate))


class SupportHttpServer(ThreadingHTTPServer):
    """The HTTP server plus the state its handlers share."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        settings: Settings,
        token: str,
        rate_limit: float | None,
        faults: Faults,
    ) -> None:
        super().__init__(address, SupportHandler)
        self.settings = settings
        self.token = token
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.faults = faults
        self.feeds = FeedCache(settings)
        self.url_host = f"{address[0]}:{self.server_address[1]}"  # the real port when 0 was asked
        self._random = random.Random(faults.seed)
        self._random_lock = threading.Lock()

    def draw(self) -> tuple[float, float, float, int]:
        """The next request's fault dice (error, slow, malformed, which 5xx), in a fixed order."""
        with self._random_lock:
            return (
                self._random.random(),
                self._random.random(),
                self._random.random(),
                self._random.randrange(3),
            )


class SupportHandler(BaseHTTPRequestHandler):
    """Answers one request; see the module docstring for the protocol."""

    server: SupportHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive: clients page through thousands of requests
    disable_nagle_algorithm = True  # headers and body go out as separate writes: do not delay the body

    def do_GET(self) -> None:
        started = time.perf_counter()
        headers: dict[str, str] = {}
        try:
            status, body, headers = self._answer()
        except ApiError as error:
            status, headers = error.status, error.headers
            body = json.dumps({"error": error.title, "description": error.description}).encode()
        except clock.WorldError as error:
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            body = json.dumps({"error": "WorldUnavailable", "description": str(error)}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        log.debug(
            "%s %s -> %d (%d bytes, %.1f ms)",
            self.command,
            self.path,
            status,
            len(body),
            1000 * (time.perf_counter() - started),
        )

    def _answer(self) -> tuple[HTTPStatus, bytes, dict[str, str]]:
        server = self.server
        supplied = self.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {server.token}".encode()):
            raise ApiError(
                HTTPStatus.UNAUTHORIZED,
                "Couldn't authenticate you",
                "send the API token as 'Authorization: Bearer <token>'",
            )
        if server.limiter is not None:
            wait = server.limiter.retry_after()
            if wait is not None:
                raise ApiError(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    f"rate limit exceeded: retry after {wait} s",
                    {"Retry-After": str(wait)},
                )
        error_die, slow_die, malformed_die, which = server.draw()
        faults = server.faults
        if slow_die < faults.slow_rate:
            time.sleep(faults.slow_seconds)
        if error_die < faults.error_rate:
            status = (
                HTTPStatus.INTERNAL_SERVER_ERROR,
                HTTPStatus.BAD_GATEWAY,
                HTTPStatus.SERVICE_UNAVAILABLE,
            )[which]
            raise ApiError(status, status.phrase, "injected failure (the simulator's --error-rate)")
        body = self._page()
        if malformed_die < faults.malformed_rate:
            body = body[: len(body) // 2]  # a body cut short: the client must not trust it
        return HTTPStatus.OK, body, {}

    def _page(self) -> bytes:
        url = urlsplit(self.path)
        if not (url.path.startswith(PATH_PREFIX) and url.path.endswith(PATH_SUFFIX)):
            raise ApiError(HTTPStatus.NOT_FOUND, "InvalidEndpoint", f"no such endpoint {url.path}")
        entity = url.path[len(PATH_PREFIX) : -len(PATH_SUFFIX)]
        if entity not in SUPPORT_BY_NAME:
            raise ApiError(HTTPStatus.NOT_FOUND, "InvalidEndpoint", f"unknown entity {entity!r}")
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        per_page = _int_param(query, "per_page", DEFAULT_PAGE_SIZE)
        if not 1 <= per_page <= MAX_PAGE_SIZE:
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "InvalidPaginationParameter",
                f"per_page must be between 1 and {MAX_PAGE_SIZE}, got {per_page}",
            )
        as_of = clock.read_clock(self.server.settings)
        if as_of is None:
            raise ApiError(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "ClockNotSet",
                "the simulator clock is not set: run `crm sources advance --to YYYY-MM-DD`",
            )
        feed = self.server.feeds.get(entity, as_of)
        if "cursor" in query:
            written, record_id = decode_cursor(entity, query["cursor"])
            first = feed.first_after(written, record_id)
        elif "start_time" in query:
            start_us = _int_param(query, "start_time", 0) * 1_000_000
            written, record_id = start_us - 1, int(INT64_MAX)
            first = feed.first_at_or_after(start_us)
        else:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "InvalidParameter", "give start_time=<unix seconds> or cursor"
            )
        last = min(first + per_page, len(feed.ids))
        if last > first:
            written, record_id = int(feed.written_us[last - 1]), int(feed.ids[last - 1])
        cursor = encode_cursor(entity, written, record_id)
        host = self.headers.get("Host") or self.server.url_host
        after_url = f"http://{host}{PATH_PREFIX}{entity}{PATH_SUFFIX}?cursor={cursor}"
        if "per_page" in query:
            after_url += f"&per_page={per_page}"
        records = feed.rows.slice(first, last - first).write_json()
        tail = json.dumps(
            {"after_cursor": cursor, "after_url": after_url, "end_of_stream": last >= len(feed.ids)},
            separators=(",", ":"),
        )
        return f'{{"{entity}":{records},{tail[1:]}'.encode()

    def log_message(self, format: str, *args: Any) -> None:
        """The stdlib logs every request to stderr; ``do_GET`` logs one line at DEBUG instead."""


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    if name not in query:
        return default
    try:
        return int(query[name])
    except ValueError as error:
        raise ApiError(HTTPStatus.BAD_REQUEST, "InvalidParameter", f"{name} must be an integer") from error


class SupportServer:
    """A running server on a background thread: ``.url``, ``.stop()``, usable as a context manager."""

    def __init__(self, http: SupportHttpServer) -> None:
        self.http = http
        self.url = f"http://{http.url_host}"
        self._thread = threading.Thread(
            target=http.serve_forever, kwargs={"poll_interval": 0.05}, name="support-api", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self._thread.join()

    def __enter__(self) -> SupportServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_SUPPORT_TOKEN,
    rate_limit: float | None = None,
    faults: Faults | None = None,
) -> SupportServer:
    """Start the help desk on a background thread (``port=0`` picks a free port) and return it."""
    http = SupportHttpServer((host, port), settings, token, rate_limit, faults or Faults())
    return SupportServer(http)


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = DEFAULT_SUPPORT_PORT,
    token: str = DEFAULT_SUPPORT_TOKEN,
    rate_limit: float | None = None,
    faults: Faults | None = None,
) -> None:
    """Serve the help desk in the foreground until interrupted (``crm sources serve-support``)."""
    http = SupportHttpServer((host, port), settings, token, rate_limit, faults or Faults())
    threading.Thread(target=http.feeds.warm, name="support-warm", daemon=True).start()
    log.info("support API on http://%s (clock file %s)", http.url_host, settings.clock_file)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        log.info("support API stopped")
    finally:
        http.server_close()
