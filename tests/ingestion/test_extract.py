"""Shared extraction mechanics: reading ahead on a background thread keeps order, errors and cleanup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingestion.extract import prefetch


def test_prefetch_yields_every_item_in_order() -> None:
    assert list(prefetch(iter(range(500)), depth=3)) == list(range(500))


def test_an_error_while_prefetching_is_raised_where_its_item_would_have_come() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise ConnectionError("source went away")

    received: list[int] = []
    with pytest.raises(ConnectionError, match="source went away"):
        for item in prefetch(items(), depth=2):
            received.append(item)
    assert received == [0, 1, 2, 3, 4]


def test_a_consumer_stopping_early_stops_the_producer_and_runs_its_cleanup() -> None:
    produced: list[int] = []
    closed: list[bool] = []

    def items() -> Iterator[int]:
        try:
            for item in range(1_000):
                produced.append(item)
                yield item
        finally:
            closed.append(True)

    stream = prefetch(items(), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert closed == [True]
    assert len(produced) <= 3 + 2 + 1  # taken, buffered, and the one being offered
