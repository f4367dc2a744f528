"""Identifier formats of the three source systems, built vectorised from integer sequences.

Sales ids are 18-character Salesforce ids: a 3-character key prefix, 12 base-62 digits, and the
3-character case-safety suffix Salesforce computes from the first 15 characters. Help-desk ids are
integers; marketing ids are decimal or hex strings, as HubSpot/Mailchimp exports show them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_SUFFIX = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)

# Key prefixes of the Salesforce objects (standard ones where Salesforce has them).
SF_PREFIX = {
    "account": "001",
    "contact": "003",
    "lead": "00Q",
    "opportunity": "006",
    "opportunity_history": "008",
    "quote": "0Q0",
    "product": "01t",
    "order": "801",
    "order_item": "802",
    "user": "005",
    "quota": "0J9",
    "campaign": "701",
}


def _bytes_to_series(chars: np.ndarray, name: str) -> pl.Series:
    """Turn an (n, width) uint8 array of ASCII codes into a String series without a Python loop."""
    n, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars, dtype=np.uint8))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, data])
    return pl.Series(name, fixed).cast(pl.Binary).cast(pl.String)


def sf_ids(kind: str, index: np.ndarray, name: str = "id") -> pl.Series:
    """18-character Salesforce ids for the given non-negative integer indexes of object ``kind``."""
    index = np.asarray(index, dtype=np.int64)
    n = len(index)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0:3] = np.frombuffer(SF_PREFIX[kind].encode(), dtype=np.uint8)
    chars[:, 3:5] = np.frombuffer(b"5g", dtype=np.uint8)  # the "pod" part, constant for one org
    # Base-62 digits, least significant last; digits above the largest index's are all "0".
    chars[:, 5:15] = _BASE62[0]
    rest = index.copy()
    top = int(rest.max()) if n else 0
    for pos in range(14, 4, -1):
        if top == 0:
            break
        rest, digit = np.divmod(rest, 62)
        chars[:, pos] = _BASE62[digit]
        top //= 62
    # Case-safety suffix: for each 5-character chunk, a bitmask of which characters are uppercase.
    upper = (chars[:, :15] >= ord("A")) & (chars[:, :15] <= ord("Z"))
    for chunk in range(3):
        bits = np.packbits(upper[:, chunk * 5 : chunk * 5 + 5], axis=1, bitorder="little")[:, 0]
        chars[:, 15 + chunk] = _SUFFIX[bits]
    return _bytes_to_series(chars, name)


def random_bytes(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """``n`` rows of ``width`` random bytes, (n, width) uint8 — the raw material of :func:`hex_ids`."""
    return np.frombuffer(rng.bytes(n * width), dtype=np.uint8).reshape(n, width)


def hex_strings(raw: np.ndarray, name: str) -> pl.Series:
    """Rows of bytes → lowercase hex strings (twice as wide), encoded by Polars, not by numpy."""
    n, width = raw.shape
    data = pa.py_buffer(np.ascontiguousarray(raw, dtype=np.uint8))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, data])
    return pl.Series(name, fixed).cast(pl.Binary).bin.encode("hex").cast(pl.String)


def hex_ids(rng: np.random.Generator, n: int, name: str, width: int = 24) -> pl.Series:
    """Random lowercase hex identifiers of ``width`` (even) characters (e.g. email event ids)."""
    return hex_strings(random_bytes(rng, n, width // 2), name)


def decimal_ids(start: int, n: int, name: str) -> pl.Series:
    """Consecutive decimal ids as strings (``start``, ``start + 1``, …)."""
    return pl.Series(name, np.arange(start, start + n, dtype=np.int64)).cast(pl.String)
