"""The per-group work Spark hands to Python (``applyInArrow``): local decisions on whole groups.

A group holds complete duplicate groups (content keys, or connected components of exact and
verified near pairs), so the local ranking, exact, cluster-guard and ledger functions give on
it the answer they give on the whole corpus.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from dedupe.config import ExactConfig, KeepConfig, NearConfig, PipelineConfig
from dedupe.duplicates.canonical import rank_documents
from dedupe.duplicates.clusters import assign_canonicals
from dedupe.duplicates.exact import mark_exact_duplicates
from dedupe.duplicates.fingerprints import Fingerprints
from dedupe.duplicates.near import (
    CachedCheck,
    PairScorer,
    decided_by_containment,
    mark_canonicals,
)
from dedupe.engines.spark.arrow import (
    EXACT,
    HASHES,
    KEEPER,
    LEADS,
    OTHER,
    PASSED,
    SCORED,
    SIGNATURE,
    I64Array,
    batch_of,
    frame_of,
    sets_of,
    signatures_of,
)
from dedupe.ledger import add_cluster_columns, resolve_chains
from dedupe.schema import (
    CANONICAL_RANK,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    MATCHED,
    MEASURE,
    PREVIOUS,
    ROW_INDEX,
    SIMILARITY,
)


def rank_groups(frame: pl.DataFrame, keep: KeepConfig) -> pl.DataFrame:
    """``rank_documents`` on a group, documents of an earlier output without an input position.

    Locally their ``_row`` is null (they were not read); here it is negative, so that they are
    graph nodes like the others, and it is hidden from the ranking.
    """
    unread = frame.with_columns(
        pl.when(pl.col(PREVIOUS)).then(None).otherwise(pl.col(ROW_INDEX)).alias(ROW_INDEX)
    )
    return frame.with_columns(rank_documents(unread, keep).get_column(CANONICAL_RANK))


def exact_groups(table: pa.Table, *, keep: KeepConfig, exact: ExactConfig) -> pa.Table:
    """Rank and mark exact duplicates among complete groups of one content key (or several)."""
    frame = frame_of(table).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF), pl.lit(None, pl.Float64).alias(SIMILARITY)
    )
    marked = mark_exact_duplicates(rank_groups(frame, keep), exact)
    copies = marked.filter(pl.col(DUPLICATE_OF).is_not_null())
    keepers = marked.select(pl.col(DOC_ID).alias(DUPLICATE_OF), pl.col(ROW_INDEX).alias(KEEPER))
    pairs = copies.join(keepers, on=DUPLICATE_OF, how="left").select(ROW_INDEX, KEEPER)
    return pa.Table.from_batches([batch_of(pairs, EXACT)], schema=EXACT)


def _scored_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    """The scored candidate pairs carried by a group's rows: left row, right row, result."""
    return (
        frame.select(pl.col(ROW_INDEX).alias("left"), SCORED)
        .explode(SCORED)
        .drop_nulls(SCORED)
        .unnest(SCORED)
        .rename({OTHER: "right"})
    )


def _primed(
    scorer: PairScorer, left: I64Array, right: I64Array, scored: pl.DataFrame
) -> CachedCheck:
    """A cached check that already knows the scores of the verification stage, as locally."""
    check = CachedCheck(scorer)
    check.remember(
        left,
        right,
        scored.get_column(PASSED).to_numpy().astype(bool),
        scored.get_column(SIMILARITY).to_numpy().astype(np.float64),
    )
    return check


def _mark_near(table: pl.DataFrame, groups: pa.Table, near: NearConfig) -> pl.DataFrame:
    """The near-duplicate decision of ``mark_near_duplicates`` on given verified pairs.

    The pairs come from the Spark stages (LSH, pre-filter and scores, as the local stage
    computes them); the decision is the local one: ``assign_canonicals`` with the same cached
    check, so each member passes against its cluster's canonical copy.
    """
    alive_rows = np.flatnonzero(table.get_column(DROP_REASON).is_null().to_numpy())
    alive = table[alive_rows]
    scored = _scored_pairs(alive)
    if scored.height == 0:
        return table
    row_ids = alive.get_column(ROW_INDEX).to_numpy()
    order = np.argsort(row_ids)
    sorted_ids = row_ids[order]

    def index(rows: pl.Series) -> I64Array:
        return np.asarray(order[np.searchsorted(sorted_ids, rows.to_numpy())], dtype=np.int64)

    left, right = index(scored.get_column("left")), index(scored.get_column("right"))
    taken = groups.take(pa.array(alive_rows))
    offsets, hashes = sets_of(taken.column(HASHES))
    lead_offsets, lead_hashes = sets_of(taken.column(LEADS))
    signatures = signatures_of(taken.column(SIGNATURE), near.num_perm)
    prints = Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures)
    combined_offsets, combined_hashes = prints.combined()
    scorer = PairScorer(near, alive.height, combined_offsets, combined_hashes, signatures)
    check = _primed(scorer, left, right, scored)
    passed = scored.get_column(PASSED).to_numpy().astype(bool)
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity = assign_canonicals(
        alive.height, left[passed], right[passed], ranks, check
    )
    copies = np.flatnonzero(canonical != np.arange(alive.height))
    by_containment = np.zeros(alive.height, dtype=bool)
    by_containment[copies] = decided_by_containment(scorer, copies, canonical[copies])
    return mark_canonicals(
        table, alive.get_column(DOC_ID), canonical, similarity, by_containment=by_containment
    )


def decide_groups(table: pa.Table, *, config: PipelineConfig, schema: pa.Schema) -> pa.Table:
    """The corpus-wide decisions on complete duplicate components, with the local functions.

    ``table`` holds every document of some connected components of exact and verified near
    pairs (and lone documents): rank, exact, near, chains and cluster columns run on it as the
    local engine runs them on the whole corpus, which gives the same answer for these rows.
    """
    prints = table.select([HASHES, LEADS, SIGNATURE])
    frame = frame_of(table.drop_columns([HASHES, LEADS, SIGNATURE])).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF),
        pl.lit(None, pl.String).alias(MATCHED),
        pl.lit(None, pl.String).alias(MEASURE),
        pl.lit(None, pl.Float64).alias(SIMILARITY),
    )
    frame = mark_exact_duplicates(rank_groups(frame, config.keep), config.exact)
    if config.near.enabled:
        frame = _mark_near(frame, prints, config.near)
    frame = add_cluster_columns(resolve_chains(frame.drop(SCORED)), config.keep)
    return pa.Table.from_batches([batch_of(frame, schema)], schema=schema)
