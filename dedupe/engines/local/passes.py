"""The streaming passes of one run and the corpus-wide decisions between them.

Pass A reads the inputs batch by batch, applies the line rules that look at one document and
gathers the line statistics learned rules need. Pass B finishes cleaning each batch, then
normalizes it and keeps only what deduplication needs: a small table of keys and the
documents' fingerprints (spilled to disk). The corpus-wide stages (rank, exact, near, clusters)
work on those, never on the text. Pass C joins the decisions back onto the cleaned batches.
`dedupe.pipeline.run` drives them and publishes the outputs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from dedupe.clean.phases import (
    apply_learned,
    count_statistics,
    learn_lines,
    mark_lines,
    merge_learned_reports,
    rewrite_texts,
)
from dedupe.config import PipelineConfig
from dedupe.duplicates.canonical import rank_columns
from dedupe.duplicates.clusters import IndexArray
from dedupe.duplicates.exact import add_content_keys
from dedupe.duplicates.facts import TextSource
from dedupe.duplicates.fingerprints import FingerprintSet, SavedFingerprints, fingerprint
from dedupe.duplicates.leads import lead_signature_column
from dedupe.duplicates.near import FingerprintsAndTexts
from dedupe.engines.local.memory import release_freed_memory
from dedupe.engines.stage import Stage
from dedupe.errors import InputError
from dedupe.io.read import ReadResult
from dedupe.io.state import read_state_chunks
from dedupe.io.write import Workspace
from dedupe.ledger import LedgerError
from dedupe.normalize import is_blank, normalize_texts
from dedupe.report import Report, StageRecord
from dedupe.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    CONTENT_KEY,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    DUPLICATE_IDS,
    DUPLICATE_OF,
    DUPLICATE_SOURCES,
    DUPLICATE_URLS,
    INTERNAL_PREFIX,
    LEAD_SIGNATURE,
    LENGTH,
    MATCHED,
    MEASURE,
    NORMALIZED,
    PREVIOUS,
    REMOVED_LINES_SCHEMA,
    ROW_INDEX,
    SIMILARITY,
    TEXT,
    DropReason,
)

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

# on_progress(stage, done, total): the CLI draws it; the library never prints. Documents done
# in pass A ("read", total None: not known while reading), pass B ("clean") and pass C
# ("write"); the corpus-wide stages ("rank", "exact", "near", "clusters") report (1, 1) when
# they end.
Progress = Callable[[str, int, int | None], None]

LEDGER_COLUMNS = (DROP_REASON, DUPLICATE_OF, MATCHED, MEASURE, SIMILARITY, DETAIL)
KEY_COLUMNS = (DOC_ID, ROW_INDEX, LENGTH, CONTENT_KEY, *LEDGER_COLUMNS)
CLUSTER_COLUMNS = (CLUSTER_ID, CLUSTER_SIZE, DUPLICATE_IDS, DUPLICATE_URLS, DUPLICATE_SOURCES)
_EMPTY_KEYS = {
    DOC_ID: pl.String,
    ROW_INDEX: pl.UInt32,
    LENGTH: pl.UInt32,
    CONTENT_KEY: pl.UInt64,
    **{c: t for c, t in DROPPED_SCHEMA.items() if c != DOC_ID},
}


@dataclass(slots=True)
class PassTotals:
    """What the streaming passes gather about the whole corpus."""

    parts: list[int] = field(default_factory=list)
    # Spilled line statistics of pass A's batches (`count_statistics`), read back to learn.
    statistics: list[Path] = field(default_factory=list)
    invalid: list[pl.DataFrame] = field(default_factory=list)
    keys: list[pl.DataFrame] = field(default_factory=list)
    records: int = 0
    valid: int = 0
    emptied: int = 0
    decoded_with_fallback: int = 0
    columns: set[str] = field(default_factory=set)
    # Files of input folders left unread, by extension.
    unsupported_files: dict[str, int] = field(default_factory=dict)


def key_batch(corpus: pl.DataFrame) -> pl.DataFrame:
    """Ready one cleaned batch for the decisions; both engines call it.

    Adds empty ledger columns (``reason``, ``duplicate_of``, ``matched``, ``measure``,
    ``similarity``, ``detail``), marks
    documents left empty by cleaning, and adds the normalized text (empty for those), the
    length of the cleaned text and the content key.
    """
    frame = mark_empty(
        corpus.with_columns(
            pl.lit(None, pl.String).alias(DROP_REASON),
            pl.lit(None, pl.String).alias(DUPLICATE_OF),
            pl.lit(None, pl.String).alias(MATCHED),
            pl.lit(None, pl.String).alias(MEASURE),
            pl.lit(None, pl.Float64).alias(SIMILARITY),
            pl.lit(None, pl.String).alias(DETAIL),
        )
    )
    return add_content_keys(
        frame.with_columns(
            pl.when(pl.col(DROP_REASON).is_null())
            .then(normalize_texts(frame.get_column(TEXT)))
            .otherwise(pl.lit(""))
            .alias(NORMALIZED),
            pl.col(TEXT).str.len_chars().alias(LENGTH),
        )
    )


def mark_empty(corpus: pl.DataFrame) -> pl.DataFrame:
    """Mark the documents that cleaning left without text ``empty_after_cleaning``."""
    emptied = pl.col(DROP_REASON).is_null() & is_blank(TEXT)
    return corpus.with_columns(
        pl.when(emptied)
        .then(pl.lit(DropReason.EMPTY_AFTER_CLEANING.value))
        .otherwise(pl.col(DROP_REASON))
        .alias(DROP_REASON)
    )


@dataclass(frozen=True, slots=True)
class ReadPass:
    """What pass A returns: the learned lines (None without cleaning) and the pass totals."""

    learned: pl.DataFrame | None
    totals: PassTotals


@dataclass(frozen=True, slots=True)
class _KeyedBatch:
    """What pass B keeps of one batch: its keys, counts and the seconds of each stage."""

    keys: pl.DataFrame
    emptied: int
    learned: pl.DataFrame | None
    seconds: dict[str, float]


def in_order(
    function: Callable[[_Item], _Result], items: Iterable[_Item], workers: int
) -> Iterator[_Result]:
    """``map(function, items)`` on ``workers`` threads, in order, ``workers`` items in flight.

    Polars and NumPy release the GIL, so batches cleaned on two threads use two cores. Items
    are drawn from ``items`` on the calling thread only when a worker is free, so memory holds
    ``workers`` batches (plus the one being read), never the corpus.
    """
    if workers <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[_Result]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class Runner:
    """One run's passes over a workspace; a plain holder for what they share."""

    def __init__(
        self, config: PipelineConfig, workspace: Workspace, report: Report, on_progress: Progress
    ) -> None:
        self.config = config
        self.workspace = workspace
        self.report = report
        self.progress = on_progress
        self.passes = PassTotals()
        self.timings: dict[str, float] = {}
        self.previous_folders: list[Path] = []

    def timed(self, name: str, started: float) -> None:
        """Add the seconds since ``started`` to stage ``name``."""
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def read(self, batches: Iterator[ReadResult], *, allow_empty: bool) -> ReadPass:
        """Pass A: read, apply one-document line rules, gather line statistics.

        Batches are read on this thread and cleaned ``workers`` at a time on others.
        """
        clean = self.config.clean
        passes = self.passes
        started = time.perf_counter()

        sizes: dict[int, int] = {}
        done = 0
        self.progress("read", 0, None)

        def counted() -> Iterator[tuple[int, ReadResult]]:
            nonlocal done
            for index, batch in enumerate(batches):
                passes.invalid.append(batch.invalid)
                passes.records += batch.corpus.height + batch.invalid.height
                passes.decoded_with_fallback += batch.decoded_with_fallback
                for kind, n in batch.unsupported_files.items():
                    passes.unsupported_files[kind] = passes.unsupported_files.get(kind, 0) + n
                passes.valid += batch.corpus.height
                if batch.corpus.height:
                    passes.columns.update(batch.corpus.columns)
                    sizes[index] = batch.corpus.height + batch.invalid.height
                    yield index, batch
                else:
                    done += batch.invalid.height

        for index, statistics in in_order(self._mark_batch, counted(), self.config.input.workers):
            if statistics is not None:
                passes.statistics.append(statistics)
            passes.parts.append(index)
            # Counted when its line rules are done, not when it is read.
            done += sizes.pop(index)
            self.progress("read", done, None)
        if passes.records == 0 and not allow_empty:
            raise InputError("the inputs hold no records")
        learned = None
        if clean.enabled and passes.statistics:
            # Read back in one piece: compact, where the batches' small frames held about
            # four times their size (1.5 GB at 1,000,000 documents).
            paths = passes.statistics
            passes.statistics = []
            release_freed_memory()
            learned = learn_lines(pl.read_parquet(paths), clean)
        release_freed_memory()
        self.timed("read", started)
        return ReadPass(learned, passes)

    def _mark_batch(self, item: tuple[int, ReadResult]) -> tuple[int, Path | None]:
        """Pass A for one batch: spill it, its marked lines and its line statistics (their path)."""
        index, batch = item
        clean = self.config.clean
        statistics = None
        if clean.enabled:
            lines = mark_lines(batch.corpus, clean)
            statistics = self.workspace.write_spill(
                "statistics", index, count_statistics(lines, clean)
            )
            self.workspace.write_spill("lines", index, lines)
        self.workspace.write_spill("raw", index, batch.corpus)
        return index, statistics

    def spill_previous(self, against: Path) -> pl.DataFrame:
        """Spill an earlier output's fingerprints chunk by chunk; return its documents table."""
        documents = []
        for index, (chunk, prints) in enumerate(read_state_chunks(against, self.config.near)):
            folder = self.workspace.spill / f"previous-{index:06d}"
            prints.save(folder)
            self.previous_folders.append(folder)
            documents.append(chunk.with_columns(pl.lit(True).alias(PREVIOUS)))
        return pl.concat(documents, how="diagonal_relaxed")

    def _rank_columns(self) -> list[str]:
        names = rank_columns(self.passes.columns, self.config.keep)
        return [name for name in names if name not in KEY_COLUMNS]

    def clean_and_fingerprint(self, learned: pl.DataFrame | None) -> pl.DataFrame:
        """Pass B: finish cleaning each batch, normalize, keep keys and fingerprints.

        Batches run ``workers`` at a time; their stage seconds are scaled to the pass's wall
        time, so the report's stages still add up to the run.
        """
        learned_counts: list[pl.DataFrame] = []
        busy: dict[str, float] = {}
        started = time.perf_counter()
        done = 0
        work = partial(self._key_batch, learned, self._rank_columns())
        self.progress("clean", 0, self.passes.valid)
        for batch in in_order(work, self.passes.parts, self.config.input.workers):
            self.passes.keys.append(batch.keys)
            self.passes.emptied += batch.emptied
            if batch.learned is not None:
                learned_counts.append(batch.learned)
            for name, seconds in batch.seconds.items():
                busy[name] = busy.get(name, 0.0) + seconds
            done += batch.keys.height
            del batch
            release_freed_memory(collect=False)
            self.progress("clean", done, self.passes.valid)
        wall = time.perf_counter() - started
        scale = min(1.0, wall / max(sum(busy.values()), 1e-9))
        for name, seconds in busy.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds * scale
        if learned is not None and learned_counts:
            self.report.details["clean"] = {
                "learned_lines": merge_learned_reports(learned_counts).to_dicts()
            }
        if not self.passes.keys:
            return pl.DataFrame(schema=_EMPTY_KEYS)
        return pl.concat(self.passes.keys, how="diagonal_relaxed")

    def _key_batch(
        self, learned: pl.DataFrame | None, rank_columns: list[str], index: int
    ) -> _KeyedBatch:
        """Pass B for one batch: spill its cleaned text, removed lines and fingerprints."""
        config = self.config
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        corpus = pl.read_parquet(self.workspace.spill_path("raw", index))
        learned_counts = None
        if learned is not None:
            lines = pl.read_parquet(self.workspace.spill_path("lines", index))
            lines = apply_learned(lines, learned, config.clean)
            cleaned = rewrite_texts(corpus, lines, learned)
            corpus = cleaned.corpus
            self.workspace.write_spill("removed", index, cleaned.removed_lines)
            learned_counts = cleaned.learned
        seconds["clean"] = time.perf_counter() - started
        started = time.perf_counter()
        frame = key_batch(corpus)
        seconds["normalize"] = time.perf_counter() - started
        started = time.perf_counter()
        near_keys: list[str] = []
        if config.near.enabled:
            fingerprint(frame.get_column(NORMALIZED), config.near).save(self._prints_folder(index))
            # The opening's signature (dedupe.duplicates.leads) travels with the keys.
            frame = frame.with_columns(
                lead_signature_column(frame[NORMALIZED], config.near, texts=frame[TEXT])
            )
            near_keys = [LEAD_SIGNATURE]
        seconds["fingerprint"] = time.perf_counter() - started
        public = [c for c in frame.columns if not c.startswith(INTERNAL_PREFIX) or c == ROW_INDEX]
        self.workspace.write_spill(
            "clean", index, frame.select([c for c in public if c not in LEDGER_COLUMNS])
        )
        return _KeyedBatch(
            keys=frame.select(
                *KEY_COLUMNS, *near_keys, *[c for c in rank_columns if c in frame.columns]
            ),
            emptied=frame.get_column(DROP_REASON).count(),
            learned=learned_counts,
            seconds=seconds,
        )

    def decide(
        self, table: pl.DataFrame, previous: pl.DataFrame | None, stages: Sequence[Stage]
    ) -> tuple[pl.DataFrame, FingerprintSet]:
        """Run the corpus-wide ``stages`` in order over keys and fingerprints.

        ``previous`` is the documents table of ``spill_previous``, whose fingerprints come first.
        Returns the decided table and the fingerprints, whose row ``i`` is the table's row ``i``.
        """
        config = self.config
        folders = [self._prints_folder(i) for i in self.passes.parts] if config.near.enabled else []
        prints = SavedFingerprints.open(self.previous_folders + folders, config.near.num_perm)
        if previous is not None:
            table = pl.concat([previous, table], how="diagonal_relaxed")
        if config.near.enabled and len(prints) != table.height:
            raise LedgerError(
                f"{len(prints)} fingerprints for {table.height} documents: a spill part is "
                "missing or was written twice"
            )
        evidence = FingerprintsAndTexts(prints, self.texts(table)) if config.near.enabled else None
        for stage in stages:
            self.progress(stage.name, 0, 1)
            alive_in = table.get_column(DROP_REASON).null_count()
            started = time.perf_counter()
            decision = stage.function(table, getattr(config, stage.section), evidence)
            table = decision.table
            if decision.details:
                self.report.details[stage.name] = decision.details
            self.report.stages.append(
                StageRecord(
                    stage.name,
                    alive_in,
                    table.get_column(DROP_REASON).null_count(),
                    time.perf_counter() - started,
                )
            )
            self.progress(stage.name, 1, 1)
        return table, prints

    def write_corpus(self, table: pl.DataFrame) -> pl.LazyFrame:
        """Pass C: join the decisions onto each cleaned batch; spill the corpus parts."""
        cluster_columns = [
            c
            for c in (CLUSTER_ID, CLUSTER_SIZE, DUPLICATE_IDS, DUPLICATE_URLS, DUPLICATE_SOURCES)
            if c in table.columns
        ]
        kept = table.filter(pl.col(DROP_REASON).is_null() & ~pl.col(PREVIOUS)).select(
            DOC_ID, *cluster_columns
        )
        # One schema for every part (pass-through columns may differ between batches), so
        # that a single Parquet scan over the parts streams into the output file.
        schema = pl.concat(
            [
                pl.DataFrame(schema=pl.read_parquet_schema(self.workspace.spill_path("clean", i)))
                for i in self.passes.parts
            ]
            + [kept.clear()],
            how="diagonal_relaxed",
        ).schema
        parts = []
        written = 0
        self.progress("write", 0, kept.height)
        for index in self.passes.parts:
            started = time.perf_counter()
            clean = pl.read_parquet(self.workspace.spill_path("clean", index))
            corpus = clean.join(kept, on=DOC_ID, how="inner").sort(ROW_INDEX)
            present = set(corpus.columns)
            corpus = corpus.select(
                pl.col(name).cast(dtype) if name in present else pl.lit(None, dtype).alias(name)
                for name, dtype in schema.items()
                if name != ROW_INDEX
            )
            parts.append(self.workspace.write_spill("corpus", index, corpus))
            self.timed("write", started)
            written += corpus.height
            self.progress("write", written, kept.height)
        if not parts:
            return pl.LazyFrame(schema={DOC_ID: pl.String, TEXT: pl.String})
        return pl.scan_parquet(parts)

    def texts(self, table: pl.DataFrame) -> TextSource:
        """Return the cleaned texts of rows of ``table``, read from pass B's spills when asked.

        Only the text column is read, and only the rows asked are kept; an earlier output's
        documents (``--against``) have no text here (null).
        """
        row_ids = table.get_column(ROW_INDEX)
        parts = [self.workspace.spill_path("clean", i) for i in self.passes.parts]
        # Each part's lowest and highest row index, read once: a call reads only the parts
        # that can hold a row it asks for (callers ask a few thousand rows at a time, in
        # corpus order, so one or two parts), not the text of every part.
        bounds: list[tuple[int | None, int | None]] = []

        def texts(rows: IndexArray) -> pl.Series:
            wanted = pl.DataFrame({ROW_INDEX: row_ids.gather(rows)})
            asked_ids = np.sort(wanted.get_column(ROW_INDEX).drop_nulls().to_numpy())
            if not bounds:
                bounds.extend(
                    pl.scan_parquet(part)
                    .select(pl.col(ROW_INDEX).min().alias("low"), pl.col(ROW_INDEX).max())
                    .collect()
                    .row(0)
                    for part in parts
                )
            chosen = [
                part
                for part, (low, high) in zip(parts, bounds, strict=True)
                if low is not None
                and high is not None
                and np.searchsorted(asked_ids, low) < np.searchsorted(asked_ids, high, "right")
            ]
            if not chosen:
                return pl.Series(TEXT, [None] * len(rows), dtype=pl.String)
            asked = pl.Series(ROW_INDEX, asked_ids).implode()
            # Part by part: parts may hold different pass-through columns.
            found = pl.concat(
                [
                    pl.scan_parquet(part)
                    .select(ROW_INDEX, TEXT)
                    .filter(pl.col(ROW_INDEX).is_in(asked))
                    for part in chosen
                ]
            ).collect()
            joined = wanted.join(found, on=ROW_INDEX, how="left", maintain_order="left")
            return joined.get_column(TEXT)

        return texts

    def _prints_folder(self, index: int) -> Path:
        return self.workspace.spill / f"fingerprints-{index:06d}"

    def batch_stages(self) -> list[StageRecord]:
        """The streaming stages' records: documents alive before and after, and wall time."""
        passes = self.passes
        alive = passes.valid - passes.emptied
        counts = {
            "read": (passes.records, passes.valid),
            "clean": (passes.valid, alive),
            "normalize": (alive, alive),
            "fingerprint": (alive, alive),
        }
        return [
            StageRecord(name, *counts[name], self.timings.get(name, 0.0))
            for name in counts
            if name in self.timings
        ]

    def removed_lines(self) -> pl.LazyFrame:
        """Every batch's removed lines, scanned from the spill files."""
        paths = [self.workspace.spill_path("removed", i) for i in self.passes.parts]
        paths = [p for p in paths if p.exists()]
        if not paths:
            return pl.LazyFrame(schema=REMOVED_LINES_SCHEMA)
        return pl.scan_parquet(paths)

    def write_dropped(self, ledger: pl.DataFrame, *, text: bool) -> pl.LazyFrame:
        """Pass C for the ledger: each dropped document with its pass-through columns.

        ``ledger`` holds the dropped rows of this run's documents (``DROPPED_SCHEMA`` columns
        and ``_row``); each batch's cleaned rows add the pass-through columns (title, url,
        source, dates) and, with ``text``, the cleaned text, so a dropped copy can be reviewed
        and restored without the input. The invalid records follow, with null columns.
        """
        reserved = {DOC_ID, ROW_INDEX, TEXT, *DROPPED_SCHEMA}
        passthrough: dict[str, pl.DataType] = {}
        for index in self.passes.parts:
            for name, dtype in pl.read_parquet_schema(
                self.workspace.spill_path("clean", index)
            ).items():
                if name not in reserved and not name.startswith(INTERNAL_PREFIX):
                    passthrough.setdefault(name, dtype)
        schema: dict[str, Any] = {
            **DROPPED_SCHEMA,
            **passthrough,
            **({TEXT: pl.String} if text else {}),
        }
        ledger = ledger.select(*DROPPED_SCHEMA, ROW_INDEX)

        def conformed(frame: pl.DataFrame) -> pl.DataFrame:
            present = set(frame.columns)
            return frame.select(
                pl.col(name).cast(dtype) if name in present else pl.lit(None, dtype).alias(name)
                for name, dtype in schema.items()
            )

        parts = []
        for index in self.passes.parts:
            started = time.perf_counter()
            clean = pl.read_parquet(self.workspace.spill_path("clean", index)).drop(ROW_INDEX)
            rows = ledger.join(clean, on=DOC_ID, how="inner").sort(ROW_INDEX)
            parts.append(self.workspace.write_spill("dropped", index, conformed(rows)))
            self.timed("write", started)
        invalid = [conformed(part) for part in self.passes.invalid]
        frames = [pl.scan_parquet(parts)] if parts else []
        frames += [frame.lazy() for frame in invalid]
        if not frames:
            return pl.LazyFrame(schema=schema)
        return pl.concat(frames, how="vertical")
