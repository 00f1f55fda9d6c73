"""Handing memory the run has freed back to the operating system between its passes.

glibc's allocator keeps freed blocks in its arenas for reuse. After a pass's many batch-sized
NumPy temporaries that can be a gigabyte the process no longer uses but still holds, and it
counts in the resident memory a user (or a container limit) sees. `release_freed_memory` asks
glibc to return it with ``malloc_trim``; on other C libraries and systems it only collects
garbage. A run that runs out of memory anyway ends with `out_of_memory`'s one line.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
from collections.abc import Callable

from dedupe.errors import ResourceError


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None
    return trim


def freeze_loaded_objects() -> None:
    """Take the objects alive now (loaded modules, mostly) out of the garbage collector's walks.

    They live for the process, yet every full collection visits them all; `gc.freeze` moves
    them to a permanent generation, so the collections a run triggers cost what its own
    objects do. Garbage is collected first, so only live objects are frozen: a frozen object
    is still freed by reference counting, but a frozen cycle never would be.
    """
    gc.collect()
    gc.freeze()


def release_freed_memory(*, collect: bool = True) -> None:
    """Collect garbage, then return the allocator's free memory to the operating system.

    ``collect=False`` skips the full garbage collection (some 40 ms once the CLI is loaded),
    for use after each batch: batches are freed by reference counting, not by the collector.
    """
    if collect:
        gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


# The stage each library module's code belongs to, most specific first, to name where memory
# ran out (the names of the report's stages).
_STAGE_OF_MODULE = (
    ("dedupe.io.read", "read"),
    ("dedupe.io.state", "read --against state"),
    ("dedupe.io.write", "write"),
    ("dedupe.clean", "clean"),
    ("dedupe.normalize", "normalize"),
    ("dedupe.duplicates.canonical", "rank"),
    ("dedupe.duplicates.exact", "exact"),
    ("dedupe.duplicates.shingles", "fingerprint"),
    ("dedupe.duplicates.minhash", "fingerprint"),
    ("dedupe.duplicates.fingerprints", "fingerprint"),
    ("dedupe.duplicates", "near"),
    ("dedupe.ledger", "clusters"),
)


def failed_stage(error: BaseException) -> str:
    """Name the stage whose code raised ``error``: the innermost library frame that has one."""
    stage = "run"
    frame = error.__traceback__
    while frame is not None:
        module = str(frame.tb_frame.f_globals.get("__name__", ""))
        found = next((name for prefix, name in _STAGE_OF_MODULE if module.startswith(prefix)), None)
        stage = found or stage
        frame = frame.tb_next
    return stage


def out_of_memory(error: BaseException, *, batch_size: int) -> ResourceError:
    """Return the one-line error for a run that ran out of memory, naming the stage."""
    smaller = max(batch_size // 4, 1)
    return ResourceError(
        f"out of memory in stage '{failed_stage(error)}' at batch_size={batch_size}; run "
        f"again with a smaller batch_size={smaller} and workers=1, or with more "
        "memory (nothing was published)"
    )
