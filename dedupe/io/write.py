"""The output folder: checks, a temporary workspace for spilled batches, and atomic publication.

Everything is written into a hidden workspace beside the output folder and renamed into place
only when complete, so a run that is interrupted, even by SIGKILL, never leaves a folder that
looks finished, and never touches the folder a later run reads with ``--against``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.config import OutputConfig
from dedupe.errors import InputError
from dedupe.io.read import STDIN

logger = logging.getLogger(__name__)

STATE = "state"
# Rows per Parquet row group of the outputs. Polars' default groups buffer close to the whole
# table before writing; 10,000 rows keep a million-article sink to a few hundred MB.
ROW_GROUP_ROWS = 10_000


def check_output_path(output: Path, inputs: list[str], *, force: bool) -> None:
    """Refuse an output folder that holds an input, or that is not empty without ``force``.

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
    if target.exists() and not target.is_dir():
        raise InputError(f"output '{output}' exists and is not a folder; choose another path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(
            f"output folder '{output}' is not empty; pass force=True to replace it or choose "
            "another"
        )


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, name: str) -> None:
    """Remove the workspaces of runs that were killed before they could clean up."""
    for leftover in parent.glob(f".{name}.*-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _is_running(int(pid)) and leftover.is_dir():
            logger.info("removing %s left by an interrupted run", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


class Workspace:
    """A temporary folder for one run: spilled batches, then the output files before publishing.

    With an output folder it lives beside it (``.NAME.tmp-PID``) so the final rename stays on
    one file system; leftovers of killed runs are removed when the next run starts.
    """

    def __init__(self, output: Path | None) -> None:
        self.output = output.resolve() if output is not None else None
        if self.output is None:
            self.root = Path(tempfile.mkdtemp(prefix="dedupe-"))
        else:
            parent = self.output.parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
                _remove_stale(parent, self.output.name)
                self.root = parent / f".{self.output.name}.tmp-{os.getpid()}"
                shutil.rmtree(self.root, ignore_errors=True)
                self.root.mkdir()
            except OSError as error:
                raise InputError(
                    f"cannot create a workspace beside '{output}': {error.strerror}"
                ) from None
        self.spill = self.root / "_spill"
        self.spill.mkdir()

    def spill_path(self, kind: str, index: int) -> Path:
        """Return the path of spilled part ``index`` of ``kind`` (``lines``, ``docs``, ...)."""
        return self.spill / f"{kind}-{index:06d}.parquet"

    def write_spill(self, kind: str, index: int, frame: pl.DataFrame) -> Path:
        """Spill one batch's frame to disk and return its path."""
        path = self.spill_path(kind, index)
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
        try:
            for stem, frame in tables.items():
                if config.format == "jsonl":
                    frame.sink_ndjson(self.root / f"{stem}.jsonl")
                else:
                    frame.sink_parquet(
                        self.root / f"{stem}.parquet",
                        statistics=False,
                        row_group_size=ROW_GROUP_ROWS,
                    )
        except OSError as error:
            raise InputError(f"cannot write into '{self.root}': {error.strerror}") from None

    def write_state(
        self, chunks: Iterator[dict[str, pl.DataFrame]], state_meta: dict[str, Any]
    ) -> None:
        """Write ``state/`` for a later ``--against``: each chunk's tables as they come.

        Raises:
            InputError: a file cannot be written.
        """
        folder = self.root / STATE
        try:
            folder.mkdir()
            for index, tables in enumerate(chunks):
                for stem, frame in tables.items():
                    frame.write_parquet(
                        folder / f"{stem}-{index:05d}.parquet",
                        statistics=False,
                        row_group_size=ROW_GROUP_ROWS,
                    )
            text = json.dumps(state_meta, indent=2) + "\n"
            (folder / "meta.json").write_text(text, encoding="utf-8")
        except OSError as error:
            raise InputError(f"cannot write into '{folder}': {error.strerror}") from None

    def publish(self, report: dict[str, Any]) -> None:
        """Write report.json last, then rename the workspace into place as the output folder.

        Raises:
            InputError: the folder cannot be written or renamed.
        """
        if self.output is None:
            raise InputError("publish needs an output folder")
        try:
            shutil.rmtree(self.spill)
            text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
            (self.root / "report.json").write_text(text, encoding="utf-8")
            previous = self.output.parent / f".{self.output.name}.old-{os.getpid()}"
            if self.output.exists():
                self.output.rename(previous)
            self.root.rename(self.output)
            shutil.rmtree(previous, ignore_errors=True)
        except OSError as error:
            raise InputError(
                f"cannot write output folder '{self.output}': {error.strerror}"
            ) from None

    def close(self) -> None:
        """Remove whatever is left of the workspace."""
        shutil.rmtree(self.root, ignore_errors=True)
