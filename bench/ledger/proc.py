"""Memory and CPU time of a process, from Linux's /proc.

Why not `getrusage().ru_maxrss`: on Linux it survives exec, so a stage started by a
big parent reports the parent's peak (a child of a process holding 500 MiB reports
500 MiB before doing anything). VmHWM is the same high-water mark, but of the
process's own address space, which starts afresh at exec.
"""

from __future__ import annotations

import os
from pathlib import Path


def _status_mib(field: str, pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise LookupError(f"/proc/{pid}/status has no {field}")


def peak_mib(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) since the process started its program."""
    return _status_mib("VmHWM", pid)


def current_mib(pid: int | str = "self") -> float:
    """Resident set size now (VmRSS)."""
    return _status_mib("VmRSS", pid)


def reset_peak(pid: int | str = "self") -> None:
    """Start VmHWM afresh from the current RSS (Linux ≥ 4.0), so a stage's peak is not
    a start-up transient's: importing corridor.services.access computes an Argon2 hash
    with 64 MiB of memory, which would otherwise be every process's peak."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of all the process's threads so far: unlike wall time,
    barely affected by other work on the machine (which shares its two cores)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def load_average() -> float:
    """The 1-minute load average: above the core count, figures are suspect."""
    return os.getloadavg()[0]
