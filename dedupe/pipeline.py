"""The ordered stage list and ``run()``: read, clean, rank, exact, near, then split and write.

Stages add columns and never delete rows; only ``_split`` at the end separates the kept rows
from the dropped ones, and ``_check_ledger`` proves that every record is in exactly one of them
before anything is published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.canonical import find_column, rank_documents, source_key
from dedupe.clean import clean_corpus
from dedupe.config import PipelineConfig
from dedupe.exact import add_content_keys, mark_exact_duplicates
from dedupe.io import (
    check_output_path,
    corpus_from_frame,
    empty_removed_lines,
    read_corpus,
    write_output,
)
from dedupe.near import mark_near_duplicates
from dedupe.normalize import is_blank, normalize_texts
from dedupe.report import Report, StageRecord
from dedupe.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    DUPLICATE_IDS,
    DUPLICATE_OF,
    DUPLICATE_SOURCES,
    DUPLICATE_URLS,
    INTERNAL_PREFIX,
    NORMALIZED,
    ROW_INDEX,
    SIMILARITY,
    TEXT,
    DropReason,
)

logger = logging.getLogger(__name__)

# on_progress(stage, done, total): the CLI draws it; the library never prints.
Progress = Callable[[str, int, int], None]
Source = pl.DataFrame | Sequence[str | Path]

CLUSTERS_SCHEMA = {
    CLUSTER_ID: pl.String,
    DOC_ID: pl.String,
    "canonical": pl.Boolean,
    DROP_REASON: pl.String,
    SIMILARITY: pl.Float64,
}


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """What a run produced: the kept corpus, the ledger tables, the clusters and the report."""

    corpus: pl.DataFrame
    dropped: pl.DataFrame
    removed_lines: pl.DataFrame
    clusters: pl.DataFrame
    report: Report


class LedgerError(RuntimeError):
    """The kept and dropped tables do not account for every input record: a bug, never input."""


def _mark_empty(corpus: pl.DataFrame) -> pl.DataFrame:
    emptied = pl.col(DROP_REASON).is_null() & is_blank(TEXT)
    return corpus.with_columns(
        pl.when(emptied)
        .then(pl.lit(DropReason.EMPTY_AFTER_CLEANING.value))
        .otherwise(pl.col(DROP_REASON))
        .alias(DROP_REASON)
    )


def _resolve_chains(corpus: pl.DataFrame) -> pl.DataFrame:
    """Point every duplicate at a kept document: an exact copy of a near duplicate follows it."""
    while True:
        targets = corpus.filter(pl.col(DUPLICATE_OF).is_not_null()).select(
            pl.col(DOC_ID).alias("_target"),
            pl.col(DUPLICATE_OF).alias("_next"),
            pl.col(SIMILARITY).alias("_next_similarity"),
        )
        corpus = corpus.join(
            targets, left_on=DUPLICATE_OF, right_on="_target", how="left", maintain_order="left"
        )
        if corpus.get_column("_next").null_count() == corpus.height:
            return corpus.drop("_next", "_next_similarity")
        corpus = corpus.with_columns(
            pl.coalesce("_next", DUPLICATE_OF).alias(DUPLICATE_OF),
            pl.min_horizontal(SIMILARITY, "_next_similarity").alias(SIMILARITY),
        ).drop("_next", "_next_similarity")


def _add_cluster_columns(corpus: pl.DataFrame, config: PipelineConfig) -> pl.DataFrame:
    """Give each kept row its cluster id (its own doc_id), size and its copies' ids and urls."""
    copies = corpus.filter(pl.col(DUPLICATE_OF).is_not_null())
    aggregations = [pl.col(DOC_ID).sort().alias(DUPLICATE_IDS)]
    url = find_column(corpus, None, ("url",))
    if url is not None:
        aggregations.append(pl.col(url).sort_by(DOC_ID).alias(DUPLICATE_URLS))
    source = source_key(corpus, config.keep.source_column)
    if source is not None:
        aggregations.append(source.sort_by(DOC_ID).alias(DUPLICATE_SOURCES))
    grouped = copies.group_by(DUPLICATE_OF).agg(aggregations).rename({DUPLICATE_OF: DOC_ID})
    return corpus.join(grouped, on=DOC_ID, how="left", maintain_order="left").with_columns(
        pl.col(DUPLICATE_IDS).fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.when(pl.col(DROP_REASON).is_null()).then(pl.col(DOC_ID)).alias(CLUSTER_ID),
        (pl.col(DUPLICATE_IDS).list.len().fill_null(0) + 1).cast(pl.UInt32).alias(CLUSTER_SIZE),
    )


def _split(
    corpus: pl.DataFrame, invalid: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    kept = corpus.filter(pl.col(DROP_REASON).is_null()).sort(ROW_INDEX)
    dropped_rows = corpus.filter(pl.col(DROP_REASON).is_not_null()).sort(ROW_INDEX)
    dropped = pl.concat(
        [
            dropped_rows.select(list(DROPPED_SCHEMA)),
            invalid.with_columns(
                pl.lit(None, pl.String).alias(DUPLICATE_OF),
                pl.lit(None, pl.Float64).alias(SIMILARITY),
            ).select(list(DROPPED_SCHEMA)),
        ],
        how="vertical",
    )
    clusters = (
        corpus.filter(pl.col(DROP_REASON).is_null() & (pl.col(CLUSTER_SIZE) > 1))
        .select(pl.col(DOC_ID).alias(CLUSTER_ID), ROW_INDEX)
        .join(
            corpus.select(
                DOC_ID,
                DROP_REASON,
                SIMILARITY,
                pl.coalesce(DUPLICATE_OF, DOC_ID).alias(CLUSTER_ID),
            ),
            on=CLUSTER_ID,
        )
        .with_columns((pl.col(DOC_ID) == pl.col(CLUSTER_ID)).alias("canonical"))
        .sort([ROW_INDEX, "canonical", DOC_ID], descending=[False, True, False])
        .select(list(CLUSTERS_SCHEMA))
    )
    public = [c for c in kept.columns if not c.startswith(INTERNAL_PREFIX)]
    ledger = {DROP_REASON, DUPLICATE_OF, SIMILARITY, DETAIL}
    kept = kept.select([c for c in public if c not in ledger])
    return kept, dropped, clusters


def _check_ledger(records_in: int, kept: pl.DataFrame, dropped: pl.DataFrame) -> None:
    if kept.height + dropped.height != records_in:
        raise LedgerError(
            f"ledger mismatch: {records_in} records in, {kept.height} kept + "
            f"{dropped.height} dropped"
        )
    overlap = kept.join(
        dropped.filter(pl.col(DROP_REASON) != DropReason.INVALID_RECORD.value), on=DOC_ID
    )
    if overlap.height:
        raise LedgerError(f"documents both kept and dropped: {overlap[DOC_ID].head(5).to_list()}")


def run(
    source: Source,
    config: PipelineConfig | None = None,
    *,
    output: Path | None = None,
    on_progress: Progress | None = None,
) -> PipelineResult:
    """Clean and deduplicate a corpus; write the output folder when ``output`` is given.

    ``source`` is a Polars DataFrame or a list of input paths (folders, JSONL, Parquet, CSV,
    ``-`` for stdin). The stages run in the order of the data flow: clean lines, mark emptied
    documents, normalize, rank copies, exact duplicates, near duplicates.

    Raises:
        InputError: an input cannot be read, or the output folder is not usable.
        SchemaError: an input lacks the text column or the requested id column.

    Example:
        >>> from dedupe import run
        >>> result = run(["samples/news"])
        >>> result.report.kept
        5
    """
    config = config or PipelineConfig()
    if isinstance(source, pl.DataFrame):
        inputs, read = ["<DataFrame>"], corpus_from_frame(source, config.input)
    else:
        inputs = [str(path) for path in source]
        if output is not None:
            check_output_path(output, inputs, force=config.output.force)
        read = read_corpus(inputs, config.input)
    report = Report(parameters=config.to_dict(), inputs=inputs)
    report.details["read"] = {"decoded_with_fallback": read.decoded_with_fallback}
    corpus = read.corpus.with_columns(
        pl.lit(None, pl.String).alias(DROP_REASON),
        pl.lit(None, pl.String).alias(DUPLICATE_OF),
        pl.lit(None, pl.Float64).alias(SIMILARITY),
        pl.lit(None, pl.String).alias(DETAIL),
    )
    removed_lines = empty_removed_lines()

    def timed(name: str, stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
        nonlocal corpus
        alive_in = corpus.get_column(DROP_REASON).null_count()
        started = time.perf_counter()
        corpus = stage(corpus)
        alive_out = corpus.get_column(DROP_REASON).null_count()
        report.stages.append(StageRecord(name, alive_in, alive_out, time.perf_counter() - started))
        if on_progress is not None:
            on_progress(name, corpus.height, corpus.height)

    def clean(frame: pl.DataFrame) -> pl.DataFrame:
        nonlocal removed_lines
        cleaned = clean_corpus(frame, config.clean)
        removed_lines = cleaned.removed_lines
        report.details["clean"] = {"learned_lines": cleaned.learned.to_dicts()}
        return cleaned.corpus

    def near(frame: pl.DataFrame) -> pl.DataFrame:
        total = frame.get_column(DROP_REASON).null_count()
        progress = (
            None if on_progress is None else (lambda done: on_progress("signatures", done, total))
        )
        result = mark_near_duplicates(frame, config.near, on_progress=progress)
        report.details["near"] = result.stats
        return result.corpus

    timed("clean", clean)
    timed("empty", _mark_empty)
    timed(
        "normalize",
        lambda frame: add_content_keys(
            frame.with_columns(normalize_texts(frame.get_column(TEXT)).alias(NORMALIZED))
        ),
    )
    timed("rank", lambda frame: rank_documents(frame, config.keep))
    timed("exact", lambda frame: mark_exact_duplicates(frame, config.exact))
    timed("near", near)
    timed("clusters", lambda frame: _add_cluster_columns(_resolve_chains(frame), config))

    kept, dropped, clusters = _split(corpus, read.invalid)
    _check_ledger(read.corpus.height + read.invalid.height, kept, dropped)
    report.count_outcome(kept, dropped, removed_lines)
    report.count_clusters(kept.get_column(CLUSTER_SIZE))
    result = PipelineResult(kept, dropped, removed_lines, clusters, report)
    if output is not None:
        write_result(result, output, config)
    return result


def write_result(result: PipelineResult, output: Path, config: PipelineConfig) -> None:
    """Write a result's corpus, ledger tables and report.json into ``output`` atomically.

    Raises:
        InputError: the output folder cannot be written.
    """
    started = time.perf_counter()
    tables = {
        "corpus": result.corpus,
        "dropped": result.dropped,
        "removed_lines": result.removed_lines,
    }
    report: dict[str, Any] = result.report.to_dict()
    write_output(output, tables, report, config.output)
    logger.info("wrote %s in %.2fs", output, time.perf_counter() - started)
