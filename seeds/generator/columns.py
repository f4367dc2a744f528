"""Small column helpers shared by the source builders."""

from __future__ import annotations

import numpy as np
import polars as pl


def keep_where(
    values: np.ndarray | pl.Series,
    keep: np.ndarray,
    name: str = "",
    dtype: type[pl.DataType] | pl.DataType | None = None,
) -> pl.Series:
    """``values`` where ``keep`` is true, null elsewhere (numpy's ``where(…, None)`` makes Object arrays)."""
    s = pl.Series(name, values) if dtype is None else pl.Series(name, values, dtype=dtype)
    drop = np.flatnonzero(~np.asarray(keep, dtype=bool))
    return s.scatter(drop, None) if len(drop) else s


def ffill_within(value: pl.Expr, group: str) -> pl.Expr:
    """Forward-fill ``value`` inside runs of equal ``group`` in a frame already sorted by ``group``.

    Same result as ``value.forward_fill().over(group)`` without a window per group: each group's first
    row gets a sentinel when it is null, so nothing leaks from the previous group.
    """
    first = pl.col(group) != pl.col(group).shift(1)
    seeded = pl.when(first.fill_null(True) & value.is_null()).then(pl.lit("\x00")).otherwise(value)
    filled = seeded.forward_fill()
    return pl.when(filled == "\x00").then(None).otherwise(filled)


def row_lists(name: str, *columns: pl.Series) -> pl.Series:
    """Row ``i`` → ``[columns[0][i], columns[1][i], …]`` as a ``List`` series.

    The same values and type as ``pl.concat_list``, built by interleaving the columns and reshaping:
    ``concat_list`` pays per row (seconds for a million rows of structs), this pays one gather.
    """
    n, k = len(columns[0]), len(columns)
    order = (np.arange(n, dtype=np.int64)[:, None] + np.arange(k, dtype=np.int64)[None, :] * n).ravel()
    flat = pl.concat(columns, rechunk=False).gather(order)
    return flat.reshape((n, k)).arr.to_list().alias(name)


def sort_order(*keys: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by ``keys`` (non-negative integers, most significant first),
    keeping the input order of equal rows — what ``DataFrame.sort(keys, maintain_order=True)`` does.

    When the keys' bit widths add up to at most 63 they are packed into one ``int64`` and sorted with
    one stable numpy sort, several times cheaper than Polars' multi-column sort (which row-encodes
    every key); otherwise it falls back to that sort.
    """
    arrays = [np.asarray(k, dtype=np.int64) for k in keys]
    n = len(arrays[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if min(int(a.min()) for a in arrays) < 0:
        raise ValueError("sort_order needs non-negative integer keys")
    widths = [int(a.max()).bit_length() for a in arrays]
    if sum(widths) <= 63:
        packed = arrays[0].copy()
        for a, width in zip(arrays[1:], widths[1:], strict=True):
            packed <<= width
            packed |= a
        return np.argsort(packed, kind="stable")
    frame = pl.DataFrame({f"k{i}": a for i, a in enumerate(arrays)}).with_row_index("_i")
    return frame.sort([f"k{i}" for i in range(len(arrays))], maintain_order=True)["_i"].to_numpy()


def run_ids(*sorted_keys: np.ndarray) -> np.ndarray:
    """0, 0, 1, 2, 2, …: the index of each row's run of equal ``keys`` in rows sorted by them."""
    n = len(sorted_keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.zeros(n, dtype=bool)
    for k in sorted_keys:
        new[1:] |= k[1:] != k[:-1]
    return np.cumsum(new, dtype=np.int64)
