"""The output folder: checks, a temporary workspace for spilled batches, and atomic publication.

Everything is written into a hidden workspace beside the output folder and renamed into place
only when complete, so a run that is interrupted, even by SIGKILL, never leaves a folder that
looks finished, and never touches the folder a later run reads with ``--against``.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.config import OutputConfig
from dedupe.errors import InputError, ResourceError
from dedupe.io.locks import (
    FolderLock,
    Registration,
    is_workspace,
    new_token,
    remove_abandoned_workspaces,
    workspaces_folder,
)
from dedupe.io.read import STDIN

logger = logging.getLogger(__name__)

STATE = "state"
# Rows per Parquet row group of the outputs. Polars' default groups buffer close to the whole
# table before writing; 10,000 rows keep a million-article sink to a few hundred MB.
ROW_GROUP_ROWS = 10_000


def check_output_path(
    output: Path, inputs: list[str], *, force: bool, against: Path | None = None
) -> None:
    """Refuse an output folder overlapping an input or ``against``, or not empty without ``force``.

    Raises:
        InputError: the folder would overwrite or mix with data the user did not ask to replace.
    """
    target = output.resolve()
    for item in inputs:
        if item == STDIN:
            continue
        source = Path(item).resolve()
        if source == target or target in source.parents or source in target.parents:
            raise InputError(
                f"output folder '{output}' overlaps input '{item}'; choose an output folder "
                "outside the inputs"
            )
    if against is not None:
        earlier = against.resolve()
        if earlier == target or target in earlier.parents or earlier in target.parents:
            raise InputError(
                f"output folder '{output}' overlaps --against '{against}', which the run reads; "
                "choose an output folder outside it"
            )
    if target.exists() and not target.is_dir():
        raise InputError(f"output '{output}' exists and is not a folder; choose another path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(
            f"output folder '{output}' is not empty; pass force=True to replace it or choose "
            "another"
        )


def check_output_file(output: Path, inputs: list[str]) -> None:
    """Refuse an output file that is one of the inputs or lies inside an input folder.

    Raises:
        InputError: writing the file would overwrite or add to an input.
    """
    target = output.resolve()
    for item in inputs:
        if item == STDIN:
            continue
        source = Path(item).resolve()
        if source == target or source in target.parents:
            raise InputError(
                f"output '{output}' would overwrite input '{item}'; "
                "choose a path outside the inputs"
            )


# errno values (and the "(os error N)" Polars appends) of a write that found no room.
_NO_ROOM = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file size limit",
}


def no_room_reason(error: BaseException) -> str | None:
    """Say why a write failed for lack of room (full disk, quota, size limit), else None.

    Polars reports an I/O failure as ``ComputeError`` (``... (os error 28)``), not ``OSError``,
    and NumPy reports a short write as ``OSError`` without an errno.
    """
    code = error.errno if isinstance(error, OSError) else None
    if code in _NO_ROOM:
        return _NO_ROOM[code]
    message = str(error)
    for number, reason in _NO_ROOM.items():
        if f"os error {number})" in message:
            return reason
    if isinstance(error, OSError) and code is None and " requested and " in message:
        return "short write (the disk is probably full)"
    return None


def write_error(error: BaseException, path: Path) -> InputError | ResourceError:
    """Return the one-line error for a failed write of ``path``.

    Lack of room is a `ResourceError`; anything else an `InputError`.
    """
    reason = no_room_reason(error)
    if reason is not None:
        return ResourceError(
            f"cannot write '{path}': {reason}; free some space or write --output to another "
            "disk (nothing was published, the previous output is untouched)"
        )
    detail = error.strerror if isinstance(error, OSError) and error.strerror else None
    first = detail or (str(error).strip().splitlines() or [type(error).__name__])[0]
    return InputError(f"cannot write '{path}': {first}")


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn an I/O failure while writing ``path`` into a one-line `write_error`."""
    try:
        yield
    except (OSError, pl.exceptions.ComputeError) as error:
        if isinstance(error, pl.exceptions.ComputeError) and "os error" not in str(error):
            raise
        raise write_error(error, path) from None


# renameat2(2) swaps two paths in one step on Linux (glibc 2.28+, most local file systems).
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def exchange_folders(first: Path, second: Path) -> bool:
    """Swap two existing folders in one atomic step; False where the system cannot.

    Raises:
        OSError: the swap is supported but failed.
    """
    function = _renameat2()
    if function is None:
        return False
    status = function(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if status == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(second))


def recover_output(output: Path) -> None:
    """Undo what killed runs left beside ``output``; the caller holds its lock.

    A run killed between publishing's two renames left no ``output`` but the previous one as
    ``.NAME.old-*``: that is renamed back. Every other ``.NAME.old-*`` and ``.NAME.tmp-*``
    belongs to no live run (the lock proves it) and is removed.
    """
    parent, name = output.parent, output.name
    previous = sorted(
        (p for p in parent.glob(f".{name}.old-*") if p.is_dir() and not p.is_symlink()),
        key=lambda p: p.stat().st_mtime,
    )
    if previous and not output.exists():
        restored = previous.pop()
        restored.rename(output)
        logger.warning(
            "restored '%s' from '%s', left by a run killed while publishing", output, restored
        )
    for leftover in [*previous, *parent.glob(f".{name}.tmp-*")]:
        if is_workspace(leftover) or leftover in previous:
            logger.info("removing %s left by an interrupted run", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


class Workspace:
    """A temporary folder for one run: spilled batches, then the output files before publishing.

    With an output folder it lives beside it (``.NAME.tmp-TOKEN``) so the final rename stays on
    one file system, and the run holds the output's lock; without one it lives in
    `dedupe.io.locks.workspaces_folder`. Either way it is registered there, and whatever killed
    runs left behind is removed when the next run starts. ``against`` is locked shared.

    Raises:
        InputError: the workspace cannot be made, or another run holds a lock it needs.
    """

    def __init__(self, output: Path | None, *, against: Path | None = None) -> None:
        self.output = output.resolve() if output is not None else None
        self.locks: list[FolderLock] = []
        self.registration: Registration | None = None
        token = new_token()
        try:
            remove_abandoned_workspaces()
            if self.output is None:
                self.root = workspaces_folder() / token
            else:
                self.output.parent.mkdir(parents=True, exist_ok=True)
                self.locks.append(FolderLock(self.output, shared=False))
                recover_output(self.output)
                self.root = self.output.parent / f".{self.output.name}.tmp-{token}"
            if against is not None:
                self.locks.append(lock_against(against.resolve()))
            self.registration = Registration(self.root, token)
            self.root.mkdir()
            self.spill = self.root / "_spill"
            self.spill.mkdir()
        except OSError as error:
            self.close()
            place = f"beside '{output}'" if output is not None else f"in '{workspaces_folder()}'"
            raise InputError(f"cannot create a workspace {place}: {error.strerror}") from None
        except BaseException:
            self.close()
            raise
        self.token = token

    def spill_path(self, kind: str, index: int) -> Path:
        """Return the path of spilled part ``index`` of ``kind`` (``lines``, ``docs``, ...)."""
        return self.spill / f"{kind}-{index:06d}.parquet"

    def write_spill(self, kind: str, index: int, frame: pl.DataFrame) -> Path:
        """Spill one batch's frame to disk and return its path."""
        path = self.spill_path(kind, index)
        with writing(path):
            # Uncompressed: spill parts live for one run, and lz4 made writing them 3x slower.
            frame.write_parquet(path, compression="uncompressed", statistics=False)
        return path

    def write_tables(self, tables: dict[str, pl.LazyFrame], config: OutputConfig) -> None:
        """Write the output tables into the workspace (not yet visible as the output).

        ``tables`` maps a file stem (``corpus``) to its rows; every table is written in
        ``config.format``.

        Raises:
            InputError: a file cannot be written.
        """
        for stem, frame in tables.items():
            if config.format == "jsonl":
                with writing(self.root / f"{stem}.jsonl"):
                    frame.sink_ndjson(self.root / f"{stem}.jsonl")
            else:
                with writing(self.root / f"{stem}.parquet"):
                    frame.sink_parquet(
                        self.root / f"{stem}.parquet",
                        statistics=False,
                        row_group_size=ROW_GROUP_ROWS,
                    )

    def write_state(
        self, chunks: Iterator[dict[str, pl.DataFrame]], state_meta: dict[str, Any]
    ) -> None:
        """Write ``state/`` for a later ``--against``: each chunk's tables as they come.

        Raises:
            InputError: a file cannot be written.
        """
        folder = self.root / STATE
        documents = 0
        with writing(folder):
            folder.mkdir()
        index = -1
        for index, tables in enumerate(chunks):
            for stem, frame in tables.items():
                path = folder / f"{stem}-{index:05d}.parquet"
                with writing(path):
                    frame.write_parquet(path, statistics=False, row_group_size=ROW_GROUP_ROWS)
            documents += tables["documents"].height
        # The part and document counts let a later run see a missing or foreign part.
        counted = {**state_meta, "chunks": index + 1, "documents": documents}
        with writing(folder / "meta.json"):
            (folder / "meta.json").write_text(
                json.dumps(counted, indent=2) + "\n", encoding="utf-8"
            )

    def publish(self, report: dict[str, Any]) -> None:
        """Write report.json last, then rename the workspace into place as the output folder.

        Raises:
            InputError: the folder cannot be written or renamed.
        """
        if self.output is None:
            raise InputError("publish needs an output folder")
        shutil.rmtree(self.spill, ignore_errors=True)
        text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
        with writing(self.root / "report.json"):
            (self.root / "report.json").write_text(text, encoding="utf-8")
        with writing(self.output):
            if self.output.exists() and exchange_folders(self.root, self.output):
                # One step: the output is the new folder, the workspace holds the previous one.
                shutil.rmtree(self.root, ignore_errors=True)
                return
            # Two renames: a run killed between them leaves the previous output as
            # .NAME.old-TOKEN, which the next run on this output renames back.
            previous = self.output.parent / f".{self.output.name}.old-{self.token}"
            if self.output.exists():
                self.output.rename(previous)
            self.root.rename(self.output)
            shutil.rmtree(previous, ignore_errors=True)

    def close(self) -> None:
        """Remove whatever is left of the workspace, its registration and its locks."""
        root = getattr(self, "root", None)
        if root is not None and self.registration is not None:
            shutil.rmtree(root, ignore_errors=True)
        if self.registration is not None:
            self.registration.release()
            self.registration = None
        while self.locks:
            self.locks.pop().release()


def lock_against(folder: Path) -> FolderLock:
    """Lock ``--against`` shared; first restore it if a run was killed while publishing it.

    Raises:
        InputError: a run is writing that folder now.
    """
    lock = FolderLock(folder, shared=True)
    interrupted = any(folder.parent.glob(f".{folder.name}.old-*"))
    if interrupted and not (folder / STATE / "meta.json").is_file():
        lock.release()
        exclusive = FolderLock(folder, shared=False)
        try:
            recover_output(folder)
        finally:
            exclusive.release()
        lock = FolderLock(folder, shared=True)
    return lock
