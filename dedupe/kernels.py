"""Compiled kernels: numba's ``njit(cache=True, nogil=True)``, applied on a kernel's first call.

Importing dedupe does not import numba (a third of a second): `kernel` marks a function and
compiles it, with every other marked function, on first use. ``NUMBA_DISABLE_JIT=1`` runs the
same functions as plain Python (slowly: for debugging and the tests' oracles).

Loading the kernels costs about 0.6 s even from numba's cache, more than a small corpus takes
with the NumPy references that give the same arrays. So a caller asks `use_kernels` with the
bytes it is about to process: until a process has done `NUMPY_WORK` bytes in NumPy the answer
is no; then the kernels are loaded (`load_kernels`, with the warm-ups registered by
`warm_up`) and every later call uses them.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

__all__ = [
    "NUMPY_WORK",
    "cache_folder",
    "compile_kernels",
    "jit_disabled",
    "kernel",
    "load_in_background",
    "load_kernels",
    "load_record",
    "numpy_work_left",
    "use_kernels",
    "warm_up",
]

# Input bytes a process handles with the NumPy references before it loads the kernels.
NUMPY_WORK = 4 << 20

_Function = TypeVar("_Function", bound=Callable[..., Any])
_LOCK = threading.Lock()
_LOADING = threading.Lock()  # held by `load_kernels` while it imports numba and warms up


class LazyKernel:
    """A function compiled by numba on the first call of any kernel (see `compile_kernels`)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.dispatcher: Callable[..., Any] | None = None
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__

    def __call__(self, *args: Any) -> Any:
        dispatcher = self.dispatcher
        if dispatcher is None:
            compile_kernels()
            dispatcher = cast(Callable[..., Any], self.dispatcher)
        if jit_disabled():
            # Plain Python works on NumPy scalars, whose wrap-around NumPy reports as overflow.
            with np.errstate(over="ignore"):
                return dispatcher(*args)
        return dispatcher(*args)


_KERNELS: list[LazyKernel] = []
_WARM_UPS: list[Callable[[], object]] = []
_NUMPY_DONE = [0]  # bytes handled with the NumPy references so far
_LOADED: dict[str, Any] = {}  # how `load_kernels` went, once it ran


def kernel(function: _Function) -> _Function:
    """Mark ``function`` as a kernel: compiled with ``njit(cache=True, nogil=True)`` on first use.

    Kernels may call each other, also across modules: numba sees each one as its compiled
    dispatcher. Callers pass NumPy arrays and scalars only.
    """
    lazy = LazyKernel(function)
    _KERNELS.append(lazy)
    return cast(_Function, lazy)


def jit_disabled() -> bool:
    """Whether ``NUMBA_DISABLE_JIT`` asks for plain Python instead of compiled kernels."""
    return os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def compile_kernels() -> float:
    """Import numba and make every kernel's dispatcher; return the seconds this took.

    Compilation itself happens per argument types on a kernel's first call, or is loaded from
    numba's cache (see `cache_folder`).
    """
    started = time.perf_counter()
    with _LOCK:
        pending = [lazy for lazy in _KERNELS if lazy.dispatcher is None]
        if not pending:
            return 0.0
        import numba  # deferred: dedupe --help must not pay for numba
        from numba.core import types
        from numba.extending import typeof_impl

        @typeof_impl.register(LazyKernel)
        def _typeof_lazy(value: LazyKernel, context: Any) -> Any:
            # A kernel called from another kernel is typed as its dispatcher.
            return types.Dispatcher(value.dispatcher)

        for lazy in pending:
            dispatcher = numba.njit(cache=True, nogil=True)(lazy.function)
            lazy.dispatcher = dispatcher
            if not jit_disabled():
                # Callers in the defining module look the name up: give them the dispatcher.
                lazy.function.__globals__[lazy.function.__name__] = dispatcher
    return time.perf_counter() - started


def compiled() -> bool:
    """Whether the kernels' dispatchers exist (numba is imported and they are usable)."""
    return any(lazy.dispatcher is not None for lazy in _KERNELS)


def use_kernels(work: int) -> bool:
    """Whether a call about to process ``work`` bytes should run the kernels.

    False while this process has handled at most `NUMPY_WORK` bytes with the NumPy references
    (counting ``work``); then the kernels are loaded and the answer is True from then on.
    """
    if compiled():
        return True
    with _LOCK:
        _NUMPY_DONE[0] += work
        small = _NUMPY_DONE[0] <= NUMPY_WORK
    if small:
        return False
    load_kernels()
    return True


def warm_up(function: Callable[[], object]) -> Callable[[], object]:
    """Register ``function`` to run when the kernels load.

    A warm-up makes tiny calls that compile each kernel for the argument types a run uses (or
    load it from numba's cache), so that the first batch does not pay for it.
    """
    _WARM_UPS.append(function)
    return function


def load_kernels() -> dict[str, Any]:
    """Import numba, make the dispatchers and run the warm-ups; return how long that took."""
    with _LOADING:
        if _LOADED:
            return dict(_LOADED)
        started = time.perf_counter()
        import_seconds = compile_kernels()
        for function in _WARM_UPS:
            function()
        # numba's compiler leaves some hundred thousand objects that live as long as the
        # process; frozen, they are out of the collector's way (each full collection walked
        # them, about 90 ms, five times in a 20,000-document run). Collected first, so that no
        # garbage cycle of the moment is frozen (it would never be freed).
        gc.collect()
        gc.freeze()
        _LOADED.update(
            seconds=round(time.perf_counter() - started, 3),
            import_seconds=round(import_seconds, 3),
            cache=cache_folder(),
        )
        return dict(_LOADED)


def numpy_work_left() -> int:
    """Bytes this process may still handle with the NumPy references before the kernels load."""
    return max(NUMPY_WORK - _NUMPY_DONE[0], 0)


def load_in_background(work: int) -> threading.Thread | None:
    """Start loading the kernels in a thread when ``work`` bytes will pass `NUMPY_WORK`.

    A run that knows it is large calls this first: numba's import and the kernels' loading
    (about 0.6 s of CPU) then overlap the first pass, whose Polars work leaves the GIL free,
    instead of stalling the first batch that needs a kernel. Calls made meanwhile use the NumPy
    references or wait for the loading, with the same results.
    """
    if compiled() or _NUMPY_DONE[0] + work <= NUMPY_WORK:
        return None
    thread = threading.Thread(target=load_kernels, name="dedupe-load-kernels", daemon=True)
    thread.start()
    return thread


def load_record() -> dict[str, Any]:
    """What `report.json` says of the kernels: how they were loaded, or the NumPy work done."""
    if _LOADED:
        return {"loaded": True, **_LOADED}
    if compiled():
        return {"loaded": True, "seconds": 0.0, "cache": cache_folder()}
    return {"loaded": False, "numpy_bytes": _NUMPY_DONE[0], "numpy_limit": NUMPY_WORK}


def cache_folder() -> str:
    """Where numba keeps compiled kernels between runs.

    ``NUMBA_CACHE_DIR`` when set; else ``__pycache__`` beside dedupe's modules when that is
    writable; else numba's per-user cache folder (``~/.cache/numba`` on Linux).
    """
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return configured
    package = os.path.dirname(os.path.abspath(__file__))
    in_tree = os.path.join(package, "duplicates", "__pycache__")
    if os.access(in_tree if os.path.isdir(in_tree) else os.path.dirname(in_tree), os.W_OK):
        return in_tree
    return os.path.join(os.path.expanduser("~"), ".cache", "numba")
