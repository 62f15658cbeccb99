"""Memory measurement shared by the benchmarks that run each tool in a child process."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mib() -> float:
    """Return this process's RSS high-water mark in MiB.

    /proc's VmHWM belongs to this program alone; `ru_maxrss` would carry over the parent's
    high-water mark across fork and exec on Linux.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
