"""``run()``: three streaming passes around corpus-wide decisions, then the published outputs.

The passes live in `dedupe.engines.local.passes`: pass A reads and applies the one-document line
rules and gathers line statistics, pass B finishes cleaning and keeps only keys and
fingerprints, the corpus-wide stages decide on those, and pass C joins the decisions back onto
the cleaned batches. ``run`` drives them, writes the state a later ``--against`` needs, checks
the ledger and publishes the output folder. Memory follows the batch size and the fingerprints,
not the corpus.

Stages add columns and never delete rows; only the split at the end separates kept rows from
dropped ones, and the ledger check proves every record is in exactly one before anything is
published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dedupe.config import KeepConfig, PipelineConfig
from dedupe.duplicates.fingerprints import FingerprintSet
from dedupe.engines.local.memory import (
    freeze_loaded_objects,
    out_of_memory,
    release_freed_memory,
)
from dedupe.engines.local.passes import CLUSTER_COLUMNS, LEDGER_COLUMNS, Progress, Runner
from dedupe.engines.stage import DECISIONS
from dedupe.errors import ConfigError, InputError
from dedupe.io.read import ReadResult, frame_batches, iter_batches, lazy_batches
from dedupe.io.sample import sample_batches
from dedupe.io.state import check_meta, meta, read_state_meta, state_tables
from dedupe.io.write import Workspace, check_output_path, no_room_reason, write_error
from dedupe.kernels import load_in_background, load_record, numpy_work_left
from dedupe.ledger import (
    check_ledger,
    check_unique_ids,
    cluster_table,
    mark_published_ids,
)
from dedupe.report import Report, StageRecord
from dedupe.review.explain import scan_table
from dedupe.review.page import write_review_page
from dedupe.schema import (
    CLUSTER_SIZE,
    CONTENT_KEY,
    DATE_CANDIDATES,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    INTERNAL_PREFIX,
    LEAD_SIGNATURE,
    LENGTH,
    PREVIOUS,
    ROW_INDEX,
    SOURCE_CANDIDATES,
    URL_CANDIDATES,
    find_column,
    source_key,
)

logger = logging.getLogger(__name__)

Source = str | Path | Sequence[str | Path] | pl.DataFrame | pl.LazyFrame | Any
_ACCEPTED = (
    "a path (str or Path), a list of paths, a Polars DataFrame or LazyFrame, a pyarrow Table "
    "or a pandas DataFrame"
)


_STATE_COLUMNS = (DOC_ID, LENGTH, CONTENT_KEY, LEAD_SIGNATURE)
_STATE_CHUNK = 100_000


@dataclass(frozen=True)
class PipelineResult:
    """What a run produced: the kept corpus, the ledger tables, the clusters and the report.

    With an output folder the large tables are read from it when first used (and then kept),
    so a run over a million documents does not hold its corpus in memory until asked.

    Example:
        >>> result = run("samples/syndicated.jsonl")
        >>> result.corpus.height + result.dropped.height
        10
    """

    corpus_rows: pl.LazyFrame
    dropped_rows: pl.LazyFrame
    removed_lines_rows: pl.LazyFrame
    clusters: pl.DataFrame
    report: Report

    @cached_property
    def corpus(self) -> pl.DataFrame:
        """The kept documents with their cleaned text and cluster columns."""
        return self.corpus_rows.collect()

    @cached_property
    def dropped(self) -> pl.DataFrame:
        """Every dropped document: its ledger columns, pass-through columns and cleaned text."""
        return self.dropped_rows.collect()

    @cached_property
    def removed_lines(self) -> pl.DataFrame:
        """Every removed line with its document, line number and rule."""
        return self.removed_lines_rows.collect()


def _rank_columns_of(table: pl.DataFrame) -> list[str]:
    """The pass-through columns the key table carries for ranking (date, source, url)."""
    reserved = {DOC_ID, *LEDGER_COLUMNS, *CLUSTER_COLUMNS}
    return [c for c in table.columns if not c.startswith(INTERNAL_PREFIX) and c not in reserved]


def as_frame(source: Any) -> pl.DataFrame | pl.LazyFrame | None:
    """Return ``source`` as a Polars frame when it is a table, or None when it is not one.

    A pyarrow Table and a pandas DataFrame are converted through Arrow (pandas needs pyarrow).

    Raises:
        InputError: a pandas DataFrame was given but pyarrow is not installed.
    """
    if isinstance(source, pl.DataFrame | pl.LazyFrame):
        return source
    module = type(source).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(source, "schema") and hasattr(source, "num_rows"):
        converted = pl.from_arrow(source)
        return converted if isinstance(converted, pl.DataFrame) else converted.to_frame()
    if module == "pandas" and hasattr(source, "columns"):
        try:
            return pl.from_pandas(source)
        except ImportError:
            raise InputError(
                'a pandas DataFrame is read through Arrow: pip install "pyarrow>=15"'
            ) from None
    return None


def as_paths(source: Any, name: str = "source") -> list[str]:
    """Return a path or a list of paths as a list of strings; ``-`` stays stdin.

    Raises:
        TypeError: ``source`` is neither a path nor a list of paths.

    Example:
        >>> as_paths("samples/news")
        ['samples/news']
    """
    if isinstance(source, str | Path):
        return [str(source)]
    if isinstance(source, Sequence) and all(isinstance(item, str | Path) for item in source):
        return [str(item) for item in source]
    raise TypeError(f"{name} must be {_ACCEPTED}; got {type(source).__name__}")


def _as_folder(value: Any, name: str) -> Path | None:
    if value is None or isinstance(value, Path):
        return value
    if isinstance(value, str):
        return Path(value)
    raise TypeError(
        f"{name} must be a folder path (str or Path) or None; got {type(value).__name__}"
    )


def _open(source: Source, config: PipelineConfig) -> tuple[list[str], Iterator[ReadResult], bool]:
    size = config.input.batch_size
    frame = as_frame(source)
    if isinstance(frame, pl.DataFrame):
        inputs, batches, in_memory = (
            ["<DataFrame>"],
            frame_batches(frame, config.input, batch_size=size),
            True,
        )
    elif isinstance(frame, pl.LazyFrame):
        inputs, batches, in_memory = (
            ["<LazyFrame>"],
            lazy_batches(frame, config.input, batch_size=size),
            True,
        )
    else:
        inputs = as_paths(source)
        batches, in_memory = iter_batches(inputs, config.input, batch_size=size), False
    if config.input.sample is not None:
        batches = sample_batches(batches, config.input.sample, batch_size=size)
    return inputs, batches, in_memory


def input_bytes(source: Any, inputs: list[str], *, enough: int) -> int:
    """About how many bytes the input holds, counted until ``enough`` (for `load_in_background`).

    Files count their size on disk (compressed or not), folders the files below them, frames
    their estimated size; a lazy frame counts as ``enough``.
    """
    frame = as_frame(source)
    if isinstance(frame, pl.DataFrame):
        return int(frame.estimated_size())
    if isinstance(frame, pl.LazyFrame):
        return enough
    total = 0
    for name in inputs:
        path = Path(name)
        files = [path] if not path.is_dir() else (p for p in path.rglob("*") if p.is_file())
        for file in files:
            try:
                total += file.stat().st_size
            except OSError:
                continue  # the reader says what is wrong with it
            if total >= enough:
                return total
    return total


def run(
    source: Source,
    config: PipelineConfig | None = None,
    *,
    output: str | Path | None = None,
    against: str | Path | None = None,
    on_progress: Progress | None = None,
) -> PipelineResult:
    """Clean and deduplicate a corpus; write the output folder when ``output`` is given.

    ``source`` is a path or a list of paths (folders, JSONL, Parquet, CSV, ``-`` for stdin, as
    str or Path), a Polars DataFrame or LazyFrame, a pyarrow Table or a pandas DataFrame
    (converted through Arrow). ``output`` and ``against`` are folder paths (str or Path).
    With ``against``, an earlier output folder, new documents are also compared with that
    output's canonical documents (read from its ``state/``, not its text): a copy of one is
    dropped with ``duplicate_of`` naming it.

    ``on_progress(stage, done, total)`` is called with the documents done in each pass
    (``read``, with ``total`` None; ``clean``; ``write``), at the end of each corpus-wide stage
    (``rank``, ``exact``, ``near``, ``clusters``: ``(0, 1)`` as it starts, ``(1, 1)`` at its
    end), and around the writing of the
    output folder (``publish``: ``(0, None)``, then ``(1, 1)``).

    Raises:
        InputError: an input cannot be read, the output folder is not usable or is locked by
            another run, or ``against`` has a damaged state.
        SchemaError: an input lacks the text column or the requested id column.
        ConfigError: ``against`` was built with other near-duplicate settings, or a column
            named in the config is not in the input.
        ResourceError: memory or disk space ran out; the message names the stage or the path.
        TypeError: ``source``, ``output`` or ``against`` is of a type not listed above.

    Example:
        >>> from dedupe import run
        >>> result = run(["samples/news"])
        >>> result.report.kept
        5
    """
    config = config or PipelineConfig()
    output = _as_folder(output, "output")
    against = _as_folder(against, "against")
    inputs, batches, in_memory = _open(source, config)
    batches = checked_first_batch(batches, config)
    if output is not None:
        check_output_path(output, inputs, force=config.output.force, against=against)
    report = Report(parameters=config.to_dict(), inputs=inputs)
    workspace = Workspace(output, against=against)
    freeze_loaded_objects()
    load_in_background(input_bytes(source, inputs, enough=numpy_work_left() + 1))
    try:
        if against is not None:
            check_meta(read_state_meta(against), config.near, origin=str(against))
        runner = Runner(config, workspace, report, on_progress or (lambda *_: None))
        previous = runner.spill_previous(against) if against is not None else None
        read = runner.read(batches, allow_empty=in_memory)
        table = runner.clean_and_fingerprint(read.learned)
        check_source_priority(table, config.keep)
        if previous is not None:
            table = mark_published_ids(table, previous, origin=str(against))
        table, prints = runner.decide(
            table.with_columns(pl.lit(False).alias(PREVIOUS)), previous, DECISIONS
        )
        if output is not None and config.near.enabled:
            # Written now, so the fingerprints are let go before pass C.
            workspace.write_state(_state_chunks(table, prints), meta(config.near))
        del prints
        release_freed_memory()
        is_new = ~pl.col(PREVIOUS)
        ledger = table.filter(pl.col(DROP_REASON).is_not_null() & is_new).sort(ROW_INDEX)
        dropped_rows = runner.write_dropped(ledger, text=config.output.dropped_text)
        dropped = pl.concat(
            [
                ledger.select(list(DROPPED_SCHEMA)),
                *[
                    part.select(
                        pl.col(c) if c in part.columns else pl.lit(None, dtype).alias(c)
                        for c, dtype in DROPPED_SCHEMA.items()
                    )
                    for part in read.totals.invalid
                ],
            ],
            how="vertical",
        )
        corpus = runner.write_corpus(table)
        kept_ids = table.filter(pl.col(DROP_REASON).is_null() & is_new).get_column(DOC_ID)
        check_ledger(read.totals.records, len(kept_ids), dropped, kept_ids)
        removed = runner.removed_lines()
        report.details["read"] = {"decoded_with_fallback": read.totals.decoded_with_fallback}
        if read.totals.unsupported_files:
            # Only when there are some, so reports of folders without any are unchanged.
            report.details["read"]["unsupported_files"] = dict(
                sorted(read.totals.unsupported_files.items())
            )
        report.count_outcome(len(kept_ids), dropped, removed)
        new_table = table.filter(is_new)
        report.count_clusters(
            new_table.filter(pl.col(DROP_REASON).is_null()).get_column(CLUSTER_SIZE)
        )
        report.stages[:0] = runner.batch_stages()
        clusters = cluster_table(new_table)
        report.details["jit"] = load_record()
        if output is None:
            return PipelineResult(
                corpus.collect().lazy(),
                dropped_rows.collect().lazy(),
                removed.collect().lazy(),
                clusters,
                report,
            )
        started = time.perf_counter()
        runner.progress("publish", 0, None)
        workspace.write_tables(
            {"corpus": corpus, "dropped": dropped_rows, "removed_lines": removed}, config.output
        )
        seconds = time.perf_counter() - started + runner.timings.get("write", 0.0)
        report.stages.append(StageRecord("write", len(kept_ids), len(kept_ids), seconds))
        write_review_page(workspace.root, report.to_dict())
        workspace.publish(report.to_dict())
        logger.info("published %s: %d kept, %d dropped", output, len(kept_ids), dropped.height)
        runner.progress("publish", 1, 1)
        corpus_rows, dropped_rows, removed_rows = (
            scan_table(output, stem) for stem in ("corpus", "dropped", "removed_lines")
        )
        return PipelineResult(corpus_rows, dropped_rows, removed_rows, clusters, report)
    except MemoryError as error:
        raise out_of_memory(error, batch_size=config.input.batch_size) from None
    except (OSError, pl.exceptions.ComputeError) as error:
        if no_room_reason(error) is None:
            raise
        raise write_error(error, Path(getattr(error, "filename", None) or workspace.root)) from None
    finally:
        workspace.close()


def _state_chunks(table: pl.DataFrame, prints: FingerprintSet) -> Iterator[dict[str, pl.DataFrame]]:
    """The state tables of the kept documents, in chunks, so no full copy is ever made."""
    kept = np.flatnonzero(table.get_column(DROP_REASON).is_null().to_numpy())
    state_columns = [c for c in _STATE_COLUMNS if c in table.columns]
    documents = table[kept].select(*state_columns, *_rank_columns_of(table))
    check_unique_ids(documents.get_column(DOC_ID), what="state/")
    for start in range(0, max(len(kept), 1), _STATE_CHUNK):
        rows = kept[start : start + _STATE_CHUNK]
        yield state_tables(documents.slice(start, _STATE_CHUNK), prints.take(rows))


def checked_first_batch(
    batches: Iterator[ReadResult], config: PipelineConfig
) -> Iterator[ReadResult]:
    """Pass the batches on, checking the columns the config names on the first one with rows."""
    checked = False
    for batch in batches:
        if not checked and batch.corpus.height:
            check_named_columns(batch.corpus.columns, config)
            checked = True
        yield batch


def check_named_columns(columns: Sequence[str], config: PipelineConfig) -> None:
    """Refuse a config naming a column the input lacks, or a policy with no column to use.

    Raises:
        ConfigError: ``date_column`` or ``source_column`` is not a column, ``keep='earliest'``
            finds no date column, or ``keep='source-priority'`` no source or url column.
    """
    shown = [c for c in columns if not c.startswith(INTERNAL_PREFIX)]
    found = f"(found: {', '.join(shown)})"
    # Without duplicate stages (`dedupe clean`) no copy is chosen: the policy needs no column.
    deduplicates = config.exact.enabled or config.near.enabled
    keep = config.keep if deduplicates else KeepConfig()
    named = {
        "date_column": keep.date_column,
        "source_column": keep.source_column or config.clean.source_column,
    }
    for parameter, column in named.items():
        if column is not None and column not in columns:
            raise ConfigError(
                f"{parameter}={column!r} is not a column of the input {found}; "
                f"pass one of those as {parameter}="
            )
    if keep.keep == "earliest" and find_column(columns, keep.date_column, DATE_CANDIDATES) is None:
        raise ConfigError(
            f"keep='earliest' needs a date column and the input has none of "
            f"{', '.join(DATE_CANDIDATES)} {found}; name one with date_column="
        )
    has_source = find_column(columns, keep.source_column, SOURCE_CANDIDATES) is not None
    if keep.keep == "source-priority" and not (
        has_source or find_column(columns, None, URL_CANDIDATES)
    ):
        raise ConfigError(
            f"keep='source-priority' needs a source or url column {found}; "
            "name one with source_column="
        )


def check_source_priority(table: pl.DataFrame, config: KeepConfig) -> None:
    """Warn of sources in ``source_priority`` that no document has; refuse when none matches.

    Raises:
        ConfigError: no entry of ``source_priority`` is the source or url host of a document.
    """
    if config.keep != "source-priority":
        return
    source = source_key(table, config.source_column)
    if source is None:
        return
    present = table.select(source.alias("source")).get_column("source").drop_nulls().unique()
    unmatched = [name for name in config.source_priority if name.lower() not in set(present)]
    if len(unmatched) < len(config.source_priority):
        if unmatched:
            logger.warning("source_priority entries match no document: %s", ", ".join(unmatched))
        return
    examples = ", ".join(present.sort().head(5).to_list())
    raise ConfigError(
        f"source_priority={list(config.source_priority)!r} matches no document's source or url "
        f"host (the input has e.g. {examples or 'no sources'}); check the spelling"
    )
