"""What the benchmark ran on: enough to tell whether two result files are comparable."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "apache-airflow", "polars", "great-expectations")


def describe() -> dict[str, object]:
    """CPU model, cores, RAM, OS, Python, the engines' versions, and the load average right now."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(total_memory_bytes() / 2**30, 1),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in PACKAGES},
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def total_memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
