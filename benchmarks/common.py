"""What every benchmark script needs: the data folder, the environment, peak memory, tables.

Each script records the same facts with its results (git sha, versions, machine and load
average), measures memory the same way (``VmHWM`` of one process, or the resident set of a
process tree) and prints fixed-width tables; they live here once.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
# The research corpora sit beside the checkout and are read by path, never copied into it.
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
PACKAGES = ("polars", "numpy", "numba", "datasketch", "rensa", "rapidfuzz", "pyspark", "justext")


def git(*args: str) -> str | None:
    """Return the output of ``git ARGS`` in the checkout, or None outside a git checkout."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def versions(packages: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Return the Python version and each installed package's version (None when missing)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as one string (the machine is shared)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> dict[str, Any]:
    """Return what the results depend on: platform, CPU model and count, memory, load."""
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        import psutil

        memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model,
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib,
        "load_average_start": os.getloadavg(),
    }


def environment() -> dict[str, Any]:
    """Return the record every result carries: git sha, versions and machine."""
    return {"git_sha": git("rev-parse", "HEAD"), "versions": versions(), "machine": machine()}


def peak_rss_kib(status: str) -> int | None:
    """Parse ``VmHWM`` (peak RSS, KiB) from the text of ``/proc/<pid>/status``."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def read_peak_rss_kib(pid: int | str = "self") -> int | None:
    """Peak RSS of a live process in KiB, or None off Linux or once it has exited.

    ``VmHWM`` is used rather than ``ru_maxrss``: a spawned child is forked from its driver
    before its exec, and Linux carries the driver's RSS into the child's ``ru_maxrss``, while
    ``VmHWM`` belongs to the exec'd program alone.
    """
    try:
        return peak_rss_kib(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return None


def tree_peak_rss_kib(pid: int) -> int | None:
    """Summed peak RSS (``VmHWM``, KiB) of a live process and its descendants, or None.

    ``dedupe run`` on Linux is a small supervising parent and the child doing the work (see
    ``dedupe.cli.supervise``): the peak that matters is the pair's.
    """
    import psutil

    try:
        pids = [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.NoSuchProcess:
        return None
    peaks = [read_peak_rss_kib(each) for each in pids]
    found = [peak for peak in peaks if peak is not None]
    return sum(found) if found else None


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 when it is gone)."""
    import psutil

    try:
        process = psutil.Process(pid)
        processes = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in processes:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def fmt(value: float | None, spec: str) -> str:
    """Format a table cell; ``-`` for a value not measured."""
    return "-" if value is None else format(value, spec)


def log(message: str) -> None:
    """Print a progress line with the time and load average to stderr."""
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp} load {load_average()}] {message}", file=sys.stderr, flush=True)
