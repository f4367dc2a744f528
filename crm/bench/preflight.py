"""Before a large bench starts: will the generator fit in memory, and the runs on disk?

An SF 10 bench that runs out of memory in the generator, or out of disk in its second hour, fails
late and leaves a full disk behind. Both needs grow linearly with the scale factor; the slopes below
were measured with ``crm bench`` on the 2-core reference machine (see bench/README.md), and the
check refuses a bench that clearly cannot fit, naming both figures.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from crm.bench.machine import total_memory_bytes

MIB = 2**20
GIB = 2**30

# Peak RSS of `crm sources generate`: 1,015 MiB at SF 0.1 and 5,200 MiB at SF 1 (seed 7): the
# generator holds the whole world in memory before it writes it.
GENERATE_BASE_BYTES = 550 * MIB
GENERATE_BYTES_PER_SF = 4_650 * MIB

# Disk of one bench at SF 1: the prepared world and sources, plus one run's data directories at a time
# (runs are deleted as they finish unless --keep). Measured with `df` while benches ran: 12 GiB with
# the CLI path and its incremental day, 18 GiB with the Airflow path as well.
DISK_BYTES_PER_SF_PER_PATH = {"prepared": 1 * GIB, "cli": 11 * GIB, "dag": 6 * GIB}


@dataclass(frozen=True)
class Room:
    """What a bench at one scale factor needs against what this machine has."""

    memory_needed: int
    memory_total: int
    disk_needed: int
    disk_free: int

    def problems(self) -> list[str]:
        found = []
        if self.memory_needed > self.memory_total:
            found.append(
                f"generating the world needs about {self.memory_needed / GIB:.0f} GiB of memory "
                f"and this machine has {self.memory_total / GIB:.1f} GiB"
            )
        if self.disk_needed > self.disk_free:
            found.append(
                f"the runs need about {self.disk_needed / GIB:.0f} GiB of disk "
                f"and {self.disk_free / GIB:.0f} GiB is free"
            )
        return found


def room_for(sf: float, paths: tuple[str, ...], work_dir: Path, *, keep: bool, runs: int) -> Room:
    """Estimate the memory and disk a bench needs, and read what this machine has."""
    per_run = sum(DISK_BYTES_PER_SF_PER_PATH[path] for path in paths)
    kept_runs = runs if keep else 1
    disk_needed = int(sf * (DISK_BYTES_PER_SF_PER_PATH["prepared"] + per_run * kept_runs))
    return Room(
        memory_needed=int(GENERATE_BASE_BYTES + sf * GENERATE_BYTES_PER_SF),
        memory_total=total_memory_bytes(),
        disk_needed=disk_needed,
        disk_free=shutil.disk_usage(_existing_parent(work_dir)).free,
    )


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path
