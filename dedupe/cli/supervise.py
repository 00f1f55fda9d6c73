"""The ``dedupe`` process entry: a small parent that watches the run for a hard memory abort.

When Polars (Rust) or another native library cannot allocate memory, it prints
``memory allocation of N bytes failed`` and aborts the process: no Python code runs, so the
command itself cannot turn that into its usual one-line error. On Linux, the commands that run
the pipeline (``run``, ``clean``, ``dups``) therefore run in a child process, started as
``python -m dedupe`` with the same arguments, and this parent:

- passes the child's Python-level output (messages, progress bars, tracebacks) straight
  through: the child writes it to a copy of this process's stderr, so a terminal stays a
  terminal;
- reads what native code writes to the child's file descriptor 2, passes it on, and keeps
  back the allocator's abort lines (and the backtrace after them, and jemalloc's thread
  warnings);
- learns from the child, through a pipe, the stage under way and the batch size, so that an
  abort becomes one line that names the stage and suggests a smaller ``--batch-size``;
- forwards SIGTERM to the child, leaves Ctrl-C to the child (both get it from the terminal),
  and dies with the child if it is killed itself (the child gets SIGKILL from the kernel when
  this process ends, ``PR_SET_PDEATHSIG``).

The exit code is the child's, and 1 after an abort. ``DEDUPE_SUPERVISED=0`` runs the command
in this process (no supervision), as on other platforms and for the other commands.

This module imports only the standard library until it runs the command in this process, so
the parent costs one small interpreter start.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
from collections.abc import Callable

SUPERVISED = "DEDUPE_SUPERVISED"  # "1" in the child; "0" turns supervision off
STATUS_FD = "DEDUPE_STATUS_FD"  # the child tells the stage and batch size on this descriptor
STDERR_FD = "DEDUPE_STDERR_FD"  # the child's Python-level stderr: the parent's own stderr
PROG_NAME = "DEDUPE_PROG_NAME"  # the program name usage lines show

# The commands that run the pipeline and may allocate a lot.
COMMANDS = frozenset({"run", "clean", "dups"})
# Lines native allocators print when memory runs out; the rest of fd 2 passes through.
# Rust's alloc error handler, C++'s bad_alloc (LLVM, for the JIT) and glibc's thread set-up.
ABORT = re.compile(
    rb"^memory allocation of (\d+) bytes failed|std::bad_alloc|^cannot allocate memory"
)
NOISE = re.compile(rb"^(<jemalloc>: |stack backtrace:|skipping backtrace printing)")
PR_SET_PDEATHSIG = 1


def main() -> None:
    """Run the ``dedupe`` command line, supervised where that is possible and useful."""
    arguments = sys.argv[1:]
    if not _supervise(arguments):
        _run_here()
        return
    sys.exit(_supervised(arguments))


def _supervise(arguments: list[str]) -> bool:
    if os.environ.get(SUPERVISED) in {"0", "1"} or not sys.platform.startswith("linux"):
        return False
    command = next((a for a in arguments if not a.startswith("-")), None)
    return command in COMMANDS and not {"--help", "-h"} & set(arguments)


def _run_here() -> None:
    if os.environ.get(SUPERVISED) == "1":
        _become_child()
    try:
        from dedupe.cli.commands import app  # the parent never imports the app

        app(prog_name=os.environ.get(PROG_NAME) or _program_name())
    except MemoryError:
        # Outside the pipeline (which names its stage): starting up, or printing the result.
        sys.stderr.write(
            "error: out of memory while starting or finishing the command; free memory or "
            "raise the limit (ulimit -v) and run again (nothing was published)\n"
        )
        sys.exit(1)


def _program_name() -> str:
    main_module = sys.modules.get("__main__")
    spec = getattr(main_module, "__spec__", None)
    if spec is not None and spec.name in {"dedupe", "dedupe.__main__"}:
        return "python -m dedupe"
    return os.path.basename(sys.argv[0]) or "dedupe"


def _become_child() -> None:
    """In the child: Python's stderr is the parent's stderr; fd 2 stays the watched pipe."""
    descriptor = os.environ.get(STDERR_FD)
    if descriptor:
        stream = os.fdopen(int(descriptor), "w", buffering=1, errors="backslashreplace")
        sys.stderr = stream


def tell(key: str, value: object) -> None:
    """Tell the supervising parent ``key`` (``stage``, ``batch_size``); nothing unsupervised."""
    descriptor = os.environ.get(STATUS_FD)
    if not descriptor:
        return
    with contextlib.suppress(OSError):
        os.write(int(descriptor), f"{key}={value}\n".encode())


# The library's on_progress callback (dedupe.pipeline.run), written out: the parent imports
# nothing of dedupe's.
Progress = Callable[[str, int, int | None], None]


def telling(on_progress: Progress | None) -> Progress | None:
    """``on_progress`` that also tells the parent each stage as it starts.

    Unsupervised, ``on_progress`` itself.
    """
    if not os.environ.get(STATUS_FD):
        return on_progress
    started: list[str] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if not started or started[-1] != stage:
            started.append(stage)
            tell("stage", stage)
        if on_progress is not None:
            on_progress(stage, done, total)

    return progress


def _supervised(arguments: list[str]) -> int:
    status_read, status_write = os.pipe()
    native_read, native_write = os.pipe()
    stderr_copy = os.dup(2)
    environment = {
        **os.environ,
        SUPERVISED: "1",
        STATUS_FD: str(status_write),
        STDERR_FD: str(stderr_copy),
        PROG_NAME: _program_name(),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "dedupe", *arguments],
        env=environment,
        stderr=native_write,
        pass_fds=(status_write, stderr_copy),
        preexec_fn=_die_with_parent,  # the parent has no threads
    )
    for descriptor in (status_write, native_write, stderr_copy):
        os.close(descriptor)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends it to the child too
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    watch = _Watch()
    watch.follow(status_read, native_read)
    code = child.wait()
    if watch.aborted:
        sys.stderr.write(watch.message() + "\n")
        sys.stderr.flush()
        return 1
    if code < 0:  # killed by a signal: end the same way, so callers see what the child saw
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _die_with_parent() -> None:
    import ctypes  # in the forked child, before exec

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _Watch:
    """What the parent reads from the child: its stage, its batch size, its native output."""

    def __init__(self) -> None:
        self.stage = "run"
        self.batch_size: int | None = None
        self.aborted = False  # a native allocation failed
        self.wanted: int | None = None  # the bytes it asked for, where the line says
        self.held = 0  # native lines kept back

    def follow(self, status: int, native: int) -> None:
        """Read both pipes until the child closes them (it exits)."""
        selector = selectors.DefaultSelector()
        pending = {status: b"", native: b""}
        for descriptor in pending:
            selector.register(descriptor, selectors.EVENT_READ)
        while pending:
            for key, _ in selector.select():
                descriptor = int(key.fd)
                chunk = os.read(descriptor, 65536)
                lines = (pending[descriptor] + chunk).split(b"\n")
                if not chunk:
                    selector.unregister(descriptor)
                    os.close(descriptor)
                    del pending[descriptor]
                    tail = [line for line in lines if line]
                else:
                    pending[descriptor] = lines.pop()
                    tail = lines
                for line in tail:
                    (self.status if descriptor == status else self.native)(line)

    def status(self, line: bytes) -> None:
        key, _, value = line.decode(errors="replace").partition("=")
        if key == "stage":
            self.stage = value
        elif key == "batch_size" and value.isdigit():
            self.batch_size = int(value)

    def native(self, line: bytes) -> None:
        found = ABORT.search(line)
        if found and not self.aborted:
            self.aborted = True
            self.wanted = int(found.group(1)) if found.group(1) else None
        if self.aborted or NOISE.match(line):
            self.held += 1
            return
        sys.stderr.buffer.write(line + b"\n")
        sys.stderr.flush()

    def message(self) -> str:
        """The one line that replaces an allocation abort (as the library words ``MemoryError``)."""
        where = f"in stage '{self.stage}'"
        smaller = "a smaller --batch-size"
        if self.batch_size is not None:
            where += f" at --batch-size {self.batch_size}"
            smaller += f" {max(self.batch_size // 4, 1)}"
        if self.wanted is not None:
            where += f" (an allocation of {self.wanted:,} bytes failed)"
        return (
            f"error: out of memory {where}; run again with {smaller} and --workers 1, or with "
            "more memory (nothing was published)"
        )


__all__ = ["main", "tell", "telling"]
