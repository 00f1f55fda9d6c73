"""Handing memory the run has freed back to the operating system between its passes.

glibc's allocator keeps freed blocks in its arenas for reuse. After a pass's many batch-sized
NumPy temporaries that can be a gigabyte the process no longer uses but still holds, and it
counts in the resident memory a user (or a container limit) sees. `release_freed_memory` asks
glibc to return it with ``malloc_trim``; on other C libraries and systems it only collects
garbage.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
        return None
    return trim


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
