"""The per-group work Spark hands to Python (``applyInArrow``): local decisions on whole groups.

A group holds complete duplicate groups (content keys, or connected components of exact and
verified near pairs), so the local ranking, exact, cluster-guard and ledger functions give on
it the answer they give on the whole corpus.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from dedupe.config import ExactConfig, KeepConfig, PipelineConfig
from dedupe.duplicates.canonical import rank_documents
from dedupe.duplicates.exact import mark_exact_duplicates
from dedupe.duplicates.facts import FACTS_TYPE
from dedupe.duplicates.fingerprints import Fingerprints
from dedupe.duplicates.near import ScoredCandidates
from dedupe.engines.spark.arrow import (
    CONTAINMENT,
    EXACT,
    FACTS,
    HASHES,
    JACCARD,
    KEEPER,
    LEADS,
    OTHER,
    PASSED,
    SCORED,
    SIGNATURE,
    batch_of,
    frame_of,
    sets_of,
    signatures_of,
)
from dedupe.engines.stage import DECISIONS
from dedupe.schema import (
    DOC_ID,
    DUPLICATE_OF,
    MATCHED,
    MEASURE,
    ROW_INDEX,
    SIMILARITY,
)


def exact_groups(table: pa.Table, *, keep: KeepConfig, exact: ExactConfig) -> pa.Table:
    """Rank and mark exact duplicates among complete groups of one content key (or several)."""
    frame = frame_of(table).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF), pl.lit(None, pl.Float64).alias(SIMILARITY)
    )
    marked = mark_exact_duplicates(rank_documents(frame, keep), exact)
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


def decide_groups(table: pa.Table, *, config: PipelineConfig, schema: pa.Schema) -> pa.Table:
    """The corpus-wide decisions on complete duplicate components: the declared stages.

    ``table`` holds every document of some connected components of exact and verified near
    pairs (and lone documents), with the candidate pairs Spark scored: the stages of
    `DECISIONS` run on it as the local engine runs them on the whole corpus, which gives the
    same answer for these rows.
    """
    offsets, hashes = sets_of(table.column(HASHES))
    lead_offsets, lead_hashes = sets_of(table.column(LEADS))
    signatures = signatures_of(table.column(SIGNATURE), config.near.num_perm)
    prints = Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures)
    facts = pl.Series("facts", table.column(FACTS).combine_chunks()).cast(FACTS_TYPE)
    frame = frame_of(table.drop_columns([HASHES, LEADS, SIGNATURE, FACTS])).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF),
        pl.lit(None, pl.String).alias(MATCHED),
        pl.lit(None, pl.String).alias(MEASURE),
        pl.lit(None, pl.Float64).alias(SIMILARITY),
    )
    scored = _scored_pairs(frame).select(
        "left",
        "right",
        pl.col(PASSED).alias("passed"),
        SIMILARITY,
        pl.col(JACCARD).alias("jaccard"),
        pl.col(CONTAINMENT).alias("containment"),
    )
    evidence = ScoredCandidates(prints, scored, facts)
    frame = frame.drop(SCORED)
    for stage in DECISIONS:
        frame = stage.function(frame, getattr(config, stage.section), evidence).table
    return pa.Table.from_batches([batch_of(frame, schema)], schema=schema)
