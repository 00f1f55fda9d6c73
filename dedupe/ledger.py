"""Assembling the ledger: duplicate chains, cluster columns, the clusters table, the final check.

These work on the key table of the whole corpus (one row per document, no text) after the
exact and near-duplicate stages have marked it.
"""

from __future__ import annotations

import polars as pl

from dedupe.config import KeepConfig
from dedupe.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_IDS,
    DUPLICATE_OF,
    DUPLICATE_SOURCES,
    DUPLICATE_URLS,
    ROW_INDEX,
    SIMILARITY,
    DropReason,
    find_column,
    source_key,
)

CLUSTERS_SCHEMA = {
    CLUSTER_ID: pl.String,
    DOC_ID: pl.String,
    "canonical": pl.Boolean,
    DROP_REASON: pl.String,
    SIMILARITY: pl.Float64,
}


class LedgerError(RuntimeError):
    """The kept and dropped tables do not account for every input record: a bug, never input."""


def resolve_chains(table: pl.DataFrame) -> pl.DataFrame:
    """Point every duplicate at a kept document: an exact copy of a near duplicate follows it."""
    while True:
        targets = table.filter(pl.col(DUPLICATE_OF).is_not_null()).select(
            pl.col(DOC_ID).alias("_target"),
            pl.col(DUPLICATE_OF).alias("_next"),
            pl.col(SIMILARITY).alias("_next_similarity"),
        )
        table = table.join(
            targets, left_on=DUPLICATE_OF, right_on="_target", how="left", maintain_order="left"
        )
        if table.get_column("_next").null_count() == table.height:
            return table.drop("_next", "_next_similarity")
        table = table.with_columns(
            pl.coalesce("_next", DUPLICATE_OF).alias(DUPLICATE_OF),
            pl.min_horizontal(SIMILARITY, "_next_similarity").alias(SIMILARITY),
        ).drop("_next", "_next_similarity")


def add_cluster_columns(table: pl.DataFrame, config: KeepConfig) -> pl.DataFrame:
    """Give each kept row its cluster id (its own doc_id), size and its copies' ids and urls."""
    copies = table.filter(pl.col(DUPLICATE_OF).is_not_null())
    aggregations = [pl.col(DOC_ID).sort().alias(DUPLICATE_IDS)]
    url = find_column(table.columns, None, ("url",))
    if url is not None:
        aggregations.append(pl.col(url).sort_by(DOC_ID).alias(DUPLICATE_URLS))
    source = source_key(table, config.source_column)
    if source is not None:
        aggregations.append(source.sort_by(DOC_ID).alias(DUPLICATE_SOURCES))
    grouped = copies.group_by(DUPLICATE_OF).agg(aggregations).rename({DUPLICATE_OF: DOC_ID})
    return table.join(grouped, on=DOC_ID, how="left", maintain_order="left").with_columns(
        pl.col(DUPLICATE_IDS).fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.when(pl.col(DROP_REASON).is_null()).then(pl.col(DOC_ID)).alias(CLUSTER_ID),
        # Int64, not UInt32: Spark has no unsigned types, and both engines write one schema.
        (pl.col(DUPLICATE_IDS).list.len().fill_null(0) + 1).cast(pl.Int64).alias(CLUSTER_SIZE),
    )


def cluster_table(table: pl.DataFrame) -> pl.DataFrame:
    """One row per member of each cluster of more than one document, canonical first."""
    return (
        table.filter(pl.col(DROP_REASON).is_null() & (pl.col(CLUSTER_SIZE) > 1))
        .select(pl.col(DOC_ID).alias(CLUSTER_ID), pl.col(ROW_INDEX).alias("_order"))
        .join(
            table.select(
                DOC_ID, DROP_REASON, SIMILARITY, pl.coalesce(DUPLICATE_OF, DOC_ID).alias(CLUSTER_ID)
            ),
            on=CLUSTER_ID,
        )
        .with_columns((pl.col(DOC_ID) == pl.col(CLUSTER_ID)).alias("canonical"))
        .sort(["_order", "canonical", DOC_ID], descending=[False, True, False])
        .select(list(CLUSTERS_SCHEMA))
    )


def check_counts(records_in: int, kept: int, dropped: int) -> None:
    """Prove that as many records were kept and dropped as were read.

    Raises:
        LedgerError: a bug lost or duplicated a record; nothing must be published.
    """
    if kept + dropped != records_in:
        raise LedgerError(
            f"ledger mismatch: {records_in} records in, {kept} kept + {dropped} dropped"
        )


def check_ledger(records_in: int, kept: int, dropped: pl.DataFrame, kept_ids: pl.Series) -> None:
    """Prove that every record is kept or dropped, and that no id is both.

    Raises:
        LedgerError: a bug lost or duplicated a record; nothing must be published.
    """
    check_counts(records_in, kept, dropped.height)
    valid = dropped.filter(pl.col(DROP_REASON) != DropReason.INVALID_RECORD.value)
    overlap = valid.filter(pl.col(DOC_ID).is_in(kept_ids.implode()))
    if overlap.height:
        raise LedgerError(f"documents both kept and dropped: {overlap[DOC_ID].head(5).to_list()}")
