"""Resident memory and CPU time of a process and its children, sampled while a load runs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def _tree(pid: int, exclude: str | None) -> list[int]:
    """`pid` and its descendants, leaving out any process (and its own descendants) whose command line contains
    `exclude` (the backend a proxy spawned is not the proxy's cost)."""
    children = _children()
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if current != pid and exclude and exclude in _cmdline(current):
            continue
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def tree_rss(pid: int, exclude: str | None = None) -> int:
    """Bytes resident in `pid` and its descendants (see `_tree`)."""
    return sum(_rss(p) for p in _tree(pid, exclude))


def tree_cpu_seconds(pid: int, exclude: str | None = None) -> float:
    """CPU time (user and system) `pid` and its descendants have used so far: what a load costs the system
    itself, which a shared machine's noise disturbs far less than latency or throughput."""
    return sum(_cpu_seconds(p) for p in _tree(pid, exclude))


class PeakSampler:
    """The highest `tree_rss` seen while the `with` block runs, sampled every `interval` seconds."""

    def __init__(self, pid: int, exclude: str | None = None, interval: float = 0.25) -> None:
        self.pid, self.exclude, self.interval = pid, exclude, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid, self.exclude))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
