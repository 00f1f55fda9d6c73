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
    CONTENT_KEY,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_IDS,
    DUPLICATE_OF,
    DUPLICATE_SOURCES,
    DUPLICATE_URLS,
    MATCHED,
    MEASURE,
    ROW_INDEX,
    SIMILARITY,
    DropReason,
    Measure,
    find_column,
    source_key,
)

CLUSTERS_SCHEMA = {
    CLUSTER_ID: pl.String,
    DOC_ID: pl.String,
    "canonical": pl.Boolean,
    DROP_REASON: pl.String,
    MATCHED: pl.String,
    MEASURE: pl.String,
    SIMILARITY: pl.Float64,
}


class LedgerError(RuntimeError):
    """The kept and dropped tables do not account for every input record: a bug, never input."""


def mark_published_ids(
    table: pl.DataFrame, published: pl.DataFrame, *, origin: str
) -> pl.DataFrame:
    """Mark the new documents whose id an earlier output (``--against``) already published.

    One id names one document, and what was published stays: a new document with the
    published one's normalized text is its ``exact_duplicate`` (``duplicate_of`` the same id,
    similarity 1.0, a re-scrape); one with another text is an ``invalid_record`` whose
    ``detail`` names the earlier output. ``published`` has unique `doc_id` and `_content_key`.
    """
    known = published.select(DOC_ID, pl.col(CONTENT_KEY).alias("_published_key"))
    marked = table.join(known, on=DOC_ID, how="left", maintain_order="left")
    clash = pl.col(DROP_REASON).is_null() & pl.col("_published_key").is_not_null()
    same = clash & (pl.col(CONTENT_KEY) == pl.col("_published_key"))
    other = clash & ~same
    detail = pl.format(
        "doc_id '{}' is already published in --against '{}' with another text; the published "
        "version is kept (give a changed article a new id to keep both)",
        pl.col(DOC_ID),
        pl.lit(origin),
    )
    return marked.with_columns(
        pl.when(same)
        .then(pl.lit(DropReason.EXACT_DUPLICATE.value))
        .when(other)
        .then(pl.lit(DropReason.INVALID_RECORD.value))
        .otherwise(pl.col(DROP_REASON))
        .alias(DROP_REASON),
        pl.when(same).then(pl.col(DOC_ID)).otherwise(pl.col(DUPLICATE_OF)).alias(DUPLICATE_OF),
        pl.when(same).then(pl.lit(1.0)).otherwise(pl.col(SIMILARITY)).alias(SIMILARITY),
        pl.when(other).then(detail).otherwise(pl.col(DETAIL)).alias(DETAIL),
        *(
            # A re-scrape matched the published document itself, exactly.
            [
                pl.when(same).then(pl.col(DOC_ID)).otherwise(pl.col(MATCHED)).alias(MATCHED),
                pl.when(same)
                .then(pl.lit(Measure.EXACT.value))
                .otherwise(pl.col(MEASURE))
                .alias(MEASURE),
            ]
            if MATCHED in table.columns
            else []
        ),
    ).drop("_published_key")


def check_unique_ids(ids: pl.Series, *, what: str) -> None:
    """Prove that no id names two documents of ``what`` (the state a later run reads).

    Raises:
        LedgerError: an id repeats: a bug, never input; nothing must be published.
    """
    repeated = ids.filter(ids.is_duplicated()).unique().sort()
    if len(repeated):
        raise LedgerError(f"{what} would hold repeated ids: {repeated.head(5).to_list()}")


def resolve_chains(table: pl.DataFrame) -> pl.DataFrame:
    """Point every duplicate at a kept document: an exact copy of a near duplicate follows it.

    A row's ``duplicate_of`` is followed through dropped documents until it names a kept one.
    Only ``duplicate_of`` moves; ``matched``, ``measure`` and ``similarity`` keep saying what
    the document was compared with, so an exact copy of a near duplicate reads ``matched`` its
    twin (exact, 1.0) and ``duplicate_of`` the twin's canonical.

    Each round doubles the followed length, so ``log2`` of the number of links bounds the
    rounds, on any input: an id that names a kept document ends its chain even when a dropped
    row shares it (a re-scraped, already published id), and each id is followed through one
    row only, so the table never grows.

    Raises:
        LedgerError: the links form a cycle (a bug, never input): nothing must be published.
    """
    alive = table.filter(pl.col(DROP_REASON).is_null()).select(DOC_ID)
    links = (
        table.filter(pl.col(DUPLICATE_OF).is_not_null())
        .join(alive, on=DOC_ID, how="anti")
        .unique(DOC_ID, keep="first", maintain_order=True)
        .select(pl.col(DOC_ID).alias("_target"), pl.col(DUPLICATE_OF).alias("_next"))
    )
    step = links.rename({"_target": "_via", "_next": "_then"})
    for _ in range(links.height.bit_length() + 1):
        links = links.join(step, left_on="_next", right_on="_via", how="left")
        if links.get_column("_then").null_count() == links.height:
            break
        links = links.select("_target", pl.coalesce("_then", "_next").alias("_next"))
        step = links.rename({"_target": "_via", "_next": "_then"})
    else:
        unresolved = pl.col("_next").is_in(links.get_column("_target").implode())
        looping = links.filter(unresolved).get_column("_target").sort()
        raise LedgerError(
            f"duplicate_of links form a cycle through {looping.head(5).to_list()}; "
            "please report this with the input"
        )
    table = table.join(
        links.select("_target", "_next"),
        left_on=DUPLICATE_OF,
        right_on="_target",
        how="left",
        maintain_order="left",
    )
    return table.with_columns(pl.coalesce("_next", DUPLICATE_OF).alias(DUPLICATE_OF)).drop("_next")


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


CLUSTER_ORDER = "_order"  # the canonical document's input position: clusters in input order
CLUSTER_POSITION = "_position"  # a member's place in the sorted rows, canonical first


def cluster_rows(table: pl.DataFrame) -> pl.DataFrame:
    """The cluster table's rows with their sort keys, ``_order`` and ``_position``.

    ``table`` may hold any set of complete clusters (an engine's group of them): sorting the
    rows of every group by the two keys gives the whole table's order.
    """
    return (
        table.filter(pl.col(DROP_REASON).is_null() & (pl.col(CLUSTER_SIZE) > 1))
        .select(pl.col(DOC_ID).alias(CLUSTER_ID), pl.col(ROW_INDEX).alias(CLUSTER_ORDER))
        .join(
            table.select(
                DOC_ID,
                DROP_REASON,
                MATCHED,
                MEASURE,
                SIMILARITY,
                pl.coalesce(DUPLICATE_OF, DOC_ID).alias(CLUSTER_ID),
            ),
            on=CLUSTER_ID,
        )
        .with_columns((pl.col(DOC_ID) == pl.col(CLUSTER_ID)).alias("canonical"))
        .sort([CLUSTER_ORDER, "canonical", DOC_ID], descending=[False, True, False])
        .with_row_index(CLUSTER_POSITION)
        .select(*CLUSTERS_SCHEMA, CLUSTER_ORDER, CLUSTER_POSITION)
    )


def cluster_table(table: pl.DataFrame) -> pl.DataFrame:
    """One row per member of each cluster of more than one document, canonical first."""
    return cluster_rows(table).select(list(CLUSTERS_SCHEMA))


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
