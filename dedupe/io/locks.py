"""Who owns a folder on disk: a lock on each output folder and a registry of live workspaces.

A run holds an exclusive lock on its ``--output`` (a ``.NAME.lock`` file beside it) and a shared
one on its ``--against``, so two runs never write one output, nor does one replace what another
reads. Every workspace has an entry in `workspaces_folder` that its run keeps locked; the kernel
drops the lock when the process dies, even by SIGKILL, so the next run finds the workspaces of
killed runs wherever they are. Locks are ``fcntl.flock`` (POSIX), advisory: they order dedupe
runs, not other programs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from dedupe.errors import InputError

logger = logging.getLogger(__name__)

# A lock file is removed by its last holder; one that is being removed looks locked for an
# instant, so a busy lock is tried again for about half a second before a run gives up.
_ATTEMPTS = 10
_RETRY_SECONDS = 0.05
ENTRY_SUFFIX = ".entry"
_STAGING_SECONDS = 60


def lock_path(folder: Path) -> Path:
    """Return the lock file of ``folder``: ``.NAME.lock`` beside it."""
    return folder.parent / f".{folder.name}.lock"


def _is_same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (its last holder may remove it)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (opened.st_dev, opened.st_ino)


class FolderLock:
    """An advisory lock on a folder, held from creation until :meth:`release`.

    ``shared`` locks (runs reading the folder with ``--against``) coexist; an exclusive one (the
    run writing it) excludes every other. A shared lock that cannot be created because the
    place is read-only is skipped: nobody can replace that folder either.

    Raises:
        InputError: another run holds the lock, or an exclusive lock cannot be created.
    """

    def __init__(self, folder: Path, *, shared: bool) -> None:
        self.path = lock_path(folder)
        self.shared = shared
        self.fd: int | None = None
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        holder = ""
        for _ in range(_ATTEMPTS):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                if shared:
                    return
                raise InputError(
                    f"cannot lock output folder '{folder}' ('{self.path}'): {error.strerror}"
                ) from None
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                os.close(fd)
                time.sleep(_RETRY_SECONDS)
                continue
            if _is_same_file(fd, self.path):
                self.fd = fd
                if not shared:
                    os.ftruncate(fd, 0)
                    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                return
            os.close(fd)
        who = f"another dedupe run (pid {holder})" if holder else "another dedupe run"
        if shared:
            raise InputError(
                f"--against '{folder}' is being written by {who}; wait for it to finish "
                f"(lock '{self.path}')"
            )
        raise InputError(
            f"output folder '{folder}' is in use by {who}; wait for it to finish or choose "
            f"another --output (lock '{self.path}')"
        )

    def release(self) -> None:
        """Release the lock; the last holder removes the lock file."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)


def workspaces_folder() -> Path:
    """Return the folder of the workspace registry (and of workspaces without an output).

    It is ``dedupe-workspaces-UID`` in the system's temporary folder (``$TMPDIR``, else
    ``/tmp``), private to the user.
    """
    return Path(tempfile.gettempdir()) / f"dedupe-workspaces-{os.getuid()}"


def _registry() -> Path:
    folder = workspaces_folder()
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.is_symlink() or folder.stat().st_uid != os.getuid():
        raise InputError(f"'{folder}' belongs to another user; set TMPDIR to a private folder")
    return folder


def new_token() -> str:
    """Return a name no other workspace has: the process id and random hex digits."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


class Registration:
    """A workspace's entry in the registry, locked while its run lives.

    The entry is written under a hidden name, locked, and only then renamed into place, so a
    run cleaning up never sees an entry that is not yet locked.
    """

    def __init__(self, root: Path, token: str) -> None:
        folder = _registry()
        staging = folder / f".{token}.new"
        self.path = folder / f"{token}{ENTRY_SUFFIX}"
        self.fd: int | None = os.open(staging, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.write(self.fd, os.fsencode(root))
        staging.rename(self.path)

    def release(self) -> None:
        """Remove the entry: the workspace is gone."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        self.path.unlink(missing_ok=True)
        os.close(fd)


def is_workspace(path: Path) -> bool:
    """Whether ``path`` is named like a workspace: beside an output, or in the registry."""
    if path.is_symlink() or not path.is_dir():
        return False
    beside_output = path.name.startswith(".") and ".tmp-" in path.name
    return beside_output or path.parent == workspaces_folder()


def _age_seconds(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def remove_abandoned_workspaces() -> None:
    """Remove every registered workspace whose run has died, wherever it lives."""
    folder = workspaces_folder()
    if not folder.is_dir():
        return
    # An entry being written is locked a moment after it is created: leave young ones alone.
    staged = [path for path in folder.glob(".*.new") if _age_seconds(path) > _STAGING_SECONDS]
    for entry in [*folder.glob(f"*{ENTRY_SUFFIX}"), *staged]:
        try:
            fd = os.open(entry, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            root = Path(os.fsdecode(os.read(fd, 1 << 16)))
            if str(root) and is_workspace(root):
                logger.info("removing %s, left by a run that was killed", root)
                shutil.rmtree(root, ignore_errors=True)
            entry.unlink(missing_ok=True)
        finally:
            os.close(fd)
    for leftover in folder.iterdir():
        # A workspace is registered before it is made and removed before its entry, so one
        # without an entry belongs to no live run (a cleanup that was itself killed).
        if leftover.is_dir() and not (folder / f"{leftover.name}{ENTRY_SUFFIX}").exists():
            shutil.rmtree(leftover, ignore_errors=True)
