"""The ordered stages and ``run()``: three streaming passes around corpus-wide decisions.

Pass A reads the inputs batch by batch, applies the line rules that look at one document and
gathers the line statistics learned rules need. Pass B finishes cleaning each batch, then
normalizes it and keeps only what deduplication needs: a small table of keys and the
documents' fingerprints. The corpus-wide stages (rank, exact, near, clusters) work on those,
never on the text. Pass C joins the decisions back onto the cleaned batches and writes them.
Memory follows the batch size and the fingerprints, not the corpus.

Stages add columns and never delete rows; only the split at the end separates kept rows from
dropped ones, and the ledger check proves every record is in exactly one before anything is
published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from dedupe.canonical import (
    DATE_CANDIDATES,
    SOURCE_CANDIDATES,
    URL_CANDIDATES,
    find_column,
    rank_documents,
)
from dedupe.clean import (
    apply_learned,
    count_statistics,
    learn_lines,
    mark_lines,
    merge_learned_reports,
    rewrite_texts,
)
from dedupe.config import PipelineConfig
from dedupe.errors import InputError
from dedupe.exact import add_content_keys, mark_exact_duplicates
from dedupe.fingerprints import FingerprintSet, SavedFingerprints, fingerprint
from dedupe.inputs import ReadResult, frame_batches, iter_batches
from dedupe.ledger import add_cluster_columns, check_ledger, cluster_table, resolve_chains
from dedupe.memory import release_freed_memory
from dedupe.near import mark_near_duplicates
from dedupe.normalize import is_blank, normalize_texts
from dedupe.outputs import Workspace, check_output_path
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
    LENGTH,
    NORMALIZED,
    PREVIOUS,
    REMOVED_LINES_SCHEMA,
    ROW_INDEX,
    SIMILARITY,
    TEXT,
    DropReason,
)
from dedupe.state import check_meta, meta, read_state_chunks, read_state_meta, state_tables

logger = logging.getLogger(__name__)

# on_progress(stage, done, total): the CLI draws it; the library never prints. total is None
# while it is not known yet (reading).
Progress = Callable[[str, int, int | None], None]
Source = pl.DataFrame | Sequence[str | Path]

_LEDGER = (DROP_REASON, DUPLICATE_OF, SIMILARITY, DETAIL)
_KEY_COLUMNS = (DOC_ID, ROW_INDEX, LENGTH, CONTENT_KEY, *_LEDGER)
_STATE_COLUMNS = (DOC_ID, LENGTH, CONTENT_KEY)
_STATE_CHUNK = 100_000
_EMPTY_KEYS = {
    DOC_ID: pl.String,
    ROW_INDEX: pl.UInt32,
    LENGTH: pl.UInt32,
    CONTENT_KEY: pl.UInt64,
    **{c: t for c, t in DROPPED_SCHEMA.items() if c != DOC_ID},
}
_CLUSTER_COLUMNS = (CLUSTER_ID, CLUSTER_SIZE, DUPLICATE_IDS, DUPLICATE_URLS, DUPLICATE_SOURCES)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """What a run produced: the kept corpus, the ledger tables, the clusters and the report.

    With an output folder the large tables are read from it when first used, so a run over a
    million documents does not hold its corpus in memory.
    """

    corpus_rows: pl.LazyFrame
    dropped: pl.DataFrame
    removed_lines_rows: pl.LazyFrame
    clusters: pl.DataFrame
    report: Report

    @property
    def corpus(self) -> pl.DataFrame:
        """The kept documents with their cleaned text and cluster columns."""
        return self.corpus_rows.collect()

    @property
    def removed_lines(self) -> pl.DataFrame:
        """Every removed line with its document, line number and rule."""
        return self.removed_lines_rows.collect()


@dataclass(slots=True)
class _Passes:
    """What the streaming passes gather about the whole corpus."""

    parts: list[int] = field(default_factory=list)
    statistics: list[pl.DataFrame] = field(default_factory=list)
    invalid: list[pl.DataFrame] = field(default_factory=list)
    keys: list[pl.DataFrame] = field(default_factory=list)
    records: int = 0
    valid: int = 0
    emptied: int = 0
    decoded_with_fallback: int = 0
    columns: set[str] = field(default_factory=set)


def _mark_empty(corpus: pl.DataFrame) -> pl.DataFrame:
    emptied = pl.col(DROP_REASON).is_null() & is_blank(TEXT)
    return corpus.with_columns(
        pl.when(emptied)
        .then(pl.lit(DropReason.EMPTY_AFTER_CLEANING.value))
        .otherwise(pl.col(DROP_REASON))
        .alias(DROP_REASON)
    )


class _Runner:
    """One run's passes over a workspace; a plain holder for what they share."""

    def __init__(
        self, config: PipelineConfig, workspace: Workspace, report: Report, on_progress: Progress
    ) -> None:
        self.config = config
        self.workspace = workspace
        self.report = report
        self.progress = on_progress
        self.passes = _Passes()
        self.timings: dict[str, float] = {}
        self.previous_folders: list[Path] = []

    def timed(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def read(self, batches: Iterator[ReadResult], *, allow_empty: bool) -> pl.DataFrame | None:
        """Pass A: read, apply one-document line rules, gather line statistics."""
        clean = self.config.clean
        passes = self.passes
        started = time.perf_counter()
        for index, batch in enumerate(batches):
            passes.invalid.append(batch.invalid)
            passes.records += batch.corpus.height + batch.invalid.height
            passes.decoded_with_fallback += batch.decoded_with_fallback
            passes.valid += batch.corpus.height
            if batch.corpus.height:
                passes.columns.update(batch.corpus.columns)
                if clean.enabled:
                    lines = mark_lines(batch.corpus, clean)
                    passes.statistics.append(count_statistics(lines, clean))
                    self.workspace.write_spill("lines", index, lines)
                self.workspace.write_spill("raw", index, batch.corpus)
                passes.parts.append(index)
            self.progress("read", passes.records, None)
        if passes.records == 0 and not allow_empty:
            raise InputError("the inputs hold no records")
        learned = None
        if clean.enabled and passes.statistics:
            learned = learn_lines(pl.concat(passes.statistics, how="diagonal_relaxed"), clean)
        passes.statistics.clear()
        release_freed_memory()
        self.timed("read", started)
        return learned

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
        keep = self.config.keep
        columns = self.passes.columns
        names = [
            find_column(columns, keep.date_column, DATE_CANDIDATES),
            find_column(columns, keep.source_column, SOURCE_CANDIDATES),
            find_column(columns, None, URL_CANDIDATES),
        ]
        return [name for name in names if name is not None and name not in _KEY_COLUMNS]

    def clean_and_fingerprint(self, learned: pl.DataFrame | None) -> pl.DataFrame:
        """Pass B: finish cleaning each batch, normalize, keep keys and fingerprints."""
        config = self.config
        rank_columns = self._rank_columns()
        learned_counts: list[pl.DataFrame] = []
        done = 0
        for index in self.passes.parts:
            started = time.perf_counter()
            corpus = pl.read_parquet(self.workspace.spill_path("raw", index))
            if learned is not None:
                lines = pl.read_parquet(self.workspace.spill_path("lines", index))
                lines = apply_learned(lines, learned, config.clean)
                cleaned = rewrite_texts(corpus, lines, learned)
                corpus = cleaned.corpus
                self.workspace.write_spill("removed", index, cleaned.removed_lines)
                learned_counts.append(cleaned.learned)
            self.timed("clean", started)
            started = time.perf_counter()
            frame = _mark_empty(
                corpus.with_columns(
                    pl.lit(None, pl.String).alias(DROP_REASON),
                    pl.lit(None, pl.String).alias(DUPLICATE_OF),
                    pl.lit(None, pl.Float64).alias(SIMILARITY),
                    pl.lit(None, pl.String).alias(DETAIL),
                )
            )
            frame = add_content_keys(
                frame.with_columns(
                    pl.when(pl.col(DROP_REASON).is_null())
                    .then(normalize_texts(frame.get_column(TEXT)))
                    .otherwise(pl.lit(""))
                    .alias(NORMALIZED),
                    pl.col(TEXT).str.len_chars().alias(LENGTH),
                )
            )
            normalized = frame.get_column(NORMALIZED)
            self.passes.emptied += frame.get_column(DROP_REASON).count()
            self.timed("normalize", started)
            started = time.perf_counter()
            if config.near.enabled:
                fingerprint(normalized, config.near).save(self._prints_folder(index))
            self.timed("fingerprint", started)
            self.passes.keys.append(
                frame.select(*_KEY_COLUMNS, *[c for c in rank_columns if c in frame.columns])
            )
            public = [
                c for c in frame.columns if not c.startswith(INTERNAL_PREFIX) or c == ROW_INDEX
            ]
            self.workspace.write_spill(
                "clean", index, frame.select([c for c in public if c not in _LEDGER])
            )
            done += frame.height
            del corpus, frame, normalized
            release_freed_memory()
            self.progress("clean", done, self.passes.valid)
        if learned is not None and learned_counts:
            self.report.details["clean"] = {
                "learned_lines": merge_learned_reports(learned_counts).to_dicts()
            }
        if not self.passes.keys:
            return pl.DataFrame(schema=_EMPTY_KEYS)
        return pl.concat(self.passes.keys, how="diagonal_relaxed")

    def decide(
        self, table: pl.DataFrame, previous: pl.DataFrame | None
    ) -> tuple[pl.DataFrame, FingerprintSet]:
        """The corpus-wide stages: rank, exact, near, clusters, over keys and fingerprints.

        ``previous`` is the documents table of ``spill_previous``, whose fingerprints come first.
        """
        config = self.config
        folders = [self._prints_folder(i) for i in self.passes.parts] if config.near.enabled else []
        prints = SavedFingerprints.open(self.previous_folders + folders, config.near.num_perm)
        if previous is not None:
            table = pl.concat([previous, table], how="diagonal_relaxed")
        self._stage("rank", lambda t: rank_documents(t, config.keep), table)
        self._stage("exact", lambda t: mark_exact_duplicates(t, config.exact), None)

        def near(frame: pl.DataFrame) -> pl.DataFrame:
            found = mark_near_duplicates(
                frame, config.near, fingerprints=prints if len(prints) == frame.height else None
            )
            self.report.details["near"] = found.stats
            return found.corpus

        self._stage("near", near, None)
        self._stage("clusters", lambda t: add_cluster_columns(resolve_chains(t), config.keep), None)
        return self._table, prints

    def _stage(
        self,
        name: str,
        stage: Callable[[pl.DataFrame], pl.DataFrame],
        table: pl.DataFrame | None,
    ) -> None:
        if table is not None:
            self._table = table
        alive_in = self._table.get_column(DROP_REASON).null_count()
        started = time.perf_counter()
        self._table = stage(self._table)
        self.report.stages.append(
            StageRecord(
                name,
                alive_in,
                self._table.get_column(DROP_REASON).null_count(),
                time.perf_counter() - started,
            )
        )
        self.progress(name, 1, 1)

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
        if not parts:
            return pl.LazyFrame(schema={DOC_ID: pl.String, TEXT: pl.String})
        return pl.scan_parquet(parts)

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
        paths = [self.workspace.spill_path("removed", i) for i in self.passes.parts]
        paths = [p for p in paths if p.exists()]
        if not paths:
            return pl.LazyFrame(schema=REMOVED_LINES_SCHEMA)
        return pl.scan_parquet(paths)


def _rank_columns_of(table: pl.DataFrame) -> list[str]:
    """The pass-through columns the key table carries for ranking (date, source, url)."""
    reserved = {DOC_ID, *_LEDGER, *_CLUSTER_COLUMNS}
    return [c for c in table.columns if not c.startswith(INTERNAL_PREFIX) and c not in reserved]


def _open(source: Source, config: PipelineConfig) -> tuple[list[str], Iterator[ReadResult]]:
    size = config.input.batch_size
    if isinstance(source, pl.DataFrame):
        return ["<DataFrame>"], frame_batches(source, config.input, batch_size=size)
    inputs = [str(path) for path in source]
    return inputs, iter_batches(inputs, config.input, batch_size=size)


def run(
    source: Source,
    config: PipelineConfig | None = None,
    *,
    output: Path | None = None,
    against: Path | None = None,
    on_progress: Progress | None = None,
) -> PipelineResult:
    """Clean and deduplicate a corpus; write the output folder when ``output`` is given.

    ``source`` is a Polars DataFrame or a list of input paths (folders, JSONL, Parquet, CSV,
    ``-`` for stdin). With ``against``, an earlier output folder, new documents are also
    compared with that output's canonical documents (read from its ``state/``, not its text):
    a copy of one is dropped with ``duplicate_of`` naming it.

    Raises:
        InputError: an input cannot be read, or the output folder is not usable.
        SchemaError: an input lacks the text column or the requested id column.
        ConfigError: ``against`` was built with other near-duplicate settings.

    Example:
        >>> from dedupe import run
        >>> result = run(["samples/news"])
        >>> result.report.kept
        5
    """
    config = config or PipelineConfig()
    inputs, batches = _open(source, config)
    if output is not None:
        check_output_path(output, inputs, force=config.output.force)
    if against is not None:
        check_meta(read_state_meta(against), config.near, origin=str(against))
    report = Report(parameters=config.to_dict(), inputs=inputs)
    workspace = Workspace(output)
    try:
        runner = _Runner(config, workspace, report, on_progress or (lambda *_: None))
        previous = runner.spill_previous(against) if against is not None else None
        learned = runner.read(batches, allow_empty=isinstance(source, pl.DataFrame))
        table = runner.clean_and_fingerprint(learned)
        table, prints = runner.decide(table.with_columns(pl.lit(False).alias(PREVIOUS)), previous)
        if output is not None and config.near.enabled and len(prints) == table.height:
            # Written now, so the fingerprints are let go before pass C.
            workspace.write_state(_state_chunks(table, prints), meta(config.near))
        del prints
        release_freed_memory()
        is_new = ~pl.col(PREVIOUS)
        dropped = pl.concat(
            [
                table.filter(pl.col(DROP_REASON).is_not_null() & is_new)
                .sort(ROW_INDEX)
                .select(list(DROPPED_SCHEMA)),
                *[
                    part.with_columns(
                        pl.lit(None, pl.String).alias(DUPLICATE_OF),
                        pl.lit(None, pl.Float64).alias(SIMILARITY),
                    ).select(list(DROPPED_SCHEMA))
                    for part in runner.passes.invalid
                ],
            ],
            how="vertical",
        )
        corpus = runner.write_corpus(table)
        kept_ids = table.filter(pl.col(DROP_REASON).is_null() & is_new).get_column(DOC_ID)
        check_ledger(runner.passes.records, len(kept_ids), dropped, kept_ids)
        removed = runner.removed_lines()
        report.details["read"] = {"decoded_with_fallback": runner.passes.decoded_with_fallback}
        report.count_outcome(len(kept_ids), dropped, removed)
        new_table = table.filter(is_new)
        report.count_clusters(
            new_table.filter(pl.col(DROP_REASON).is_null()).get_column(CLUSTER_SIZE)
        )
        report.stages[:0] = runner.batch_stages()
        clusters = cluster_table(new_table)
        if output is None:
            return PipelineResult(
                corpus.collect().lazy(), dropped, removed.collect().lazy(), clusters, report
            )
        started = time.perf_counter()
        workspace.write_tables(
            {"corpus": corpus, "dropped": dropped.lazy(), "removed_lines": removed}, config.output
        )
        seconds = time.perf_counter() - started + runner.timings.get("write", 0.0)
        report.stages.append(StageRecord("write", len(kept_ids), len(kept_ids), seconds))
        workspace.publish(report.to_dict())
        corpus_file = output / f"corpus.{'jsonl' if config.output.format == 'jsonl' else 'parquet'}"
        return PipelineResult(
            pl.scan_ndjson(corpus_file)
            if config.output.format == "jsonl"
            else pl.scan_parquet(corpus_file),
            dropped,
            pl.scan_parquet(output / "removed_lines.parquet"),
            clusters,
            report,
        )
    finally:
        workspace.close()


def _state_chunks(table: pl.DataFrame, prints: FingerprintSet) -> Iterator[dict[str, pl.DataFrame]]:
    """The state tables of the kept documents, in chunks, so no full copy is ever made."""
    kept = np.flatnonzero(table.get_column(DROP_REASON).is_null().to_numpy())
    state_columns = [c for c in _STATE_COLUMNS if c in table.columns]
    documents = table[kept].select(*state_columns, *_rank_columns_of(table))
    for start in range(0, max(len(kept), 1), _STATE_CHUNK):
        rows = kept[start : start + _STATE_CHUNK]
        yield state_tables(documents.slice(start, _STATE_CHUNK), prints.take(rows))
