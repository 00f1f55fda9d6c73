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
from pathlib import Path

import numpy as np
import polars as pl

from dedupe.config import PipelineConfig
from dedupe.duplicates.fingerprints import FingerprintSet
from dedupe.duplicates.near import warm_up_kernels
from dedupe.engines.local.memory import release_freed_memory
from dedupe.engines.local.passes import CLUSTER_COLUMNS, LEDGER_COLUMNS, Progress, Runner
from dedupe.io.read import ReadResult, frame_batches, iter_batches
from dedupe.io.state import check_meta, meta, read_state_meta, state_tables
from dedupe.io.write import Workspace, check_output_path
from dedupe.ledger import check_ledger, cluster_table
from dedupe.report import Report, StageRecord
from dedupe.schema import (
    CLUSTER_SIZE,
    CONTENT_KEY,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    DUPLICATE_OF,
    INTERNAL_PREFIX,
    LENGTH,
    PREVIOUS,
    ROW_INDEX,
    SIMILARITY,
)

logger = logging.getLogger(__name__)

Source = pl.DataFrame | Sequence[str | Path]

_STATE_COLUMNS = (DOC_ID, LENGTH, CONTENT_KEY)
_STATE_CHUNK = 100_000


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


def _rank_columns_of(table: pl.DataFrame) -> list[str]:
    """The pass-through columns the key table carries for ranking (date, source, url)."""
    reserved = {DOC_ID, *LEDGER_COLUMNS, *CLUSTER_COLUMNS}
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
    report.details["jit"] = warm_up_kernels(config.near)
    workspace = Workspace(output)
    try:
        runner = Runner(config, workspace, report, on_progress or (lambda *_: None))
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
