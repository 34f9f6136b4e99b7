"""Processes as /proc shows them (Linux): the benchmarks count the CPU of processes that are
not their children (a server, the worker's grandchildren), which getrusage never sees."""

from __future__ import annotations

import os
from typing import NamedTuple


class ProcStat(NamedTuple):
    parent: int
    #: Start time in clock ticks after boot: with the pid, names one process (pids are reused).
    start: int
    #: User + system CPU seconds used so far.
    cpu: float


def proc_stat(pid: int) -> ProcStat | None:
    """What /proc/PID/stat says of a live process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) "
    ticks = os.sysconf("SC_CLK_TCK")
    return ProcStat(int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / ticks)


def processes() -> dict[int, ProcStat]:
    """Every live process, by pid."""
    found: dict[int, ProcStat] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(int(entry))) is not None:
            found[int(entry)] = stat
    return found
