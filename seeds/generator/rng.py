"""Named, independent random streams: one child of the run's seed per generation step.

Each step asks for its stream by name (``streams("sales.order")``). The child is the seed's
``SeedSequence`` with a spawn key derived from the name (exactly what ``SeedSequence.spawn`` does with
an index), so adding, removing or reordering steps never changes the numbers another step draws.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """Factory of independent ``numpy.random.Generator`` streams keyed by a stable name."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __call__(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode("utf-8"))
        return np.random.default_rng(np.random.SeedSequence(entropy=self.seed, spawn_key=(key,)))
