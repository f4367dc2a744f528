"""What every generation step shares: the clock, the random streams, the dirt, and the scale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from seeds.generator.dirt import Dirt
from seeds.generator.rng import Streams
from seeds.generator.timeline import Clock

# Source rows at SF 1 (sources.md "Scale factor"); every count scales linearly with sf.
SF1_TARGETS = {
    "customers": 100_000,
    "orders": 1_000_000,
    "order_items": 3_000_000,
    "tickets": 500_000,
    "ticket_events": 3_000_000,
    "leads": 400_000,
    "opportunities": 200_000,
    "marketing_contacts": 500_000,
    "email_events": 10_000_000,
}


@dataclass
class Context:
    """Shared state of one generation run."""

    clock: Clock
    streams: Streams
    dirt: Dirt
    sf: float
    step: Callable[[str], None] = field(default=lambda _name: None)

    def target(self, name: str, minimum: int = 1) -> int:
        """The scaled target count for ``name`` (at least ``minimum``)."""
        return max(minimum, round(SF1_TARGETS[name] * self.sf))
