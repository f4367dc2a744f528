"""Run one command as a child process and measure it: wall seconds and peak RSS of its process tree.

Wall time is ``time.perf_counter`` around the child's whole life, interpreter start-up included: that
is what an operator waits for. Peak memory comes from two sources and the larger wins:

- the kernel's high-water mark for the child (``os.wait4`` returns the child's own ``ru_maxrss``,
  which already covers the descendants it waited for) — exact, but for one process at a time;
- the sum of the RSS of the child and all its live descendants, sampled every 100 ms with psutil
  (installed with Airflow) — catches helpers running side by side, but can miss a short spike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class ProcessRun:
    """One finished child process: how long it took, its peak memory, and where its output went."""

    argv: tuple[str, ...]
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout_path: Path
    stderr_path: Path
    timed_out: bool = False
    pid: int = 0  # also the id of the process group it led

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr_tail(self, lines: int = 15) -> str:
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def run_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_stem: Path,
    cwd: Path | None = None,
    timeout_seconds: float | None = None,
) -> ProcessRun:
    """Run ``argv`` to completion; stdout goes to ``<log_stem>.out``, stderr to ``<log_stem>.err``.

    With ``timeout_seconds``, the child's whole process group is stopped when the time is up
    (``timed_out`` is then true).
    """
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    stdout_path = log_stem.with_name(log_stem.name + ".out")
    stderr_path = log_stem.with_name(log_stem.name + ".err")
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        sampler = _TreeSampler(child.pid)
        sampler.start()
        fired = threading.Event()
        stopper = threading.Timer(timeout_seconds or 0, _stop_group, [child.pid, fired])
        if timeout_seconds:
            stopper.start()
        try:
            # wait4 rather than Popen.wait: it also returns the child's own resource usage
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:  # Ctrl-C: the child runs in its own session, so stop it here
            _stop_group(child.pid, fired)
            raise
        finally:
            stopper.cancel()
            sampler.stop()
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    kernel_peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    return ProcessRun(
        argv=tuple(argv),
        seconds=seconds,
        peak_rss_bytes=max(kernel_peak, sampler.peak_bytes),
        returncode=child.returncode,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
        timed_out=fired.is_set(),
        pid=child.pid,
    )


def _stop_group(pid: int, fired: threading.Event) -> None:
    """Stop a child and everything it started: SIGTERM, then SIGKILL after 10 s."""
    fired.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(100):
            time.sleep(0.1)
            os.killpg(pid, 0)  # raises once the group is gone
        os.killpg(pid, signal.SIGKILL)


class _TreeSampler(threading.Thread):
    """Polls the summed RSS of a process and its descendants until stopped; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # the kernel's high-water mark alone still bounds the main process
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:  # exited between listing and reading
                    continue
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
