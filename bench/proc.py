"""CPU time and memory of processes from /proc (Linux), the way the Miniflare anchor measured them."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of one process (not its children)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """``{"rss": VmRSS, "hwm": VmHWM}`` in KiB (VmHWM is the peak since start or the last reset_peak)."""
    out = {"rss": 0, "hwm": 0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            out["hwm"] = int(line.split()[1])
    return out


def reset_peak(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (``echo 5 > clear_refs``) so the next peak belongs to the next phase."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children of all its threads, recursively)."""
    found: list[int] = []
    queue = [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                text = Path(f"/proc/{parent}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            kids = [int(k) for k in text]
            found.extend(kids)
            queue.extend(kids)
    return found


def tree_rss_kib(pid: int) -> int:
    """Summed VmRSS of a process and all its descendants (e.g. wrangler's node + workerd processes)."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            total += memory_kib(p)["rss"]
        except OSError:
            pass
    return total
