"""Exact duplicates: documents whose normalized text is identical, found by a group-by."""

from __future__ import annotations

import logging

import polars as pl

from dedupe.config import ExactConfig
from dedupe.duplicates.shingles import text_hashes
from dedupe.schema import (
    CANONICAL_RANK,
    CONTENT_KEY,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    MATCHED,
    MEASURE,
    NORMALIZED,
    SIMILARITY,
    DropReason,
    Measure,
)

logger = logging.getLogger(__name__)


def add_content_keys(corpus: pl.DataFrame) -> pl.DataFrame:
    """Add `_content_key`, the stable 64-bit hash of `_normalized` (see ``shingles.text_hash``).

    Two different texts share a key with probability about 2**-64 per pair: for a billion
    documents, about one chance in 40 that any pair collides at all.
    """
    keys = text_hashes(corpus.get_column(NORMALIZED))
    return corpus.with_columns(pl.Series(CONTENT_KEY, keys, dtype=pl.UInt64))


def mark_exact_duplicates(corpus: pl.DataFrame, config: ExactConfig) -> pl.DataFrame:
    """Mark every document whose normalized text equals a better-ranked one's.

    Needs the `_content_key` and `_rank` columns. Among rows not already dropped, each group
    of identical normalized texts keeps its lowest-ranked member; the others get reason
    ``exact_duplicate``, ``duplicate_of`` and ``matched`` the kept ``doc_id``, measure
    ``exact`` and similarity 1.0 (``matched`` and ``measure`` are added when missing).

    Example:
        >>> import polars as pl
        >>> corpus = pl.DataFrame({"doc_id": ["a", "b"], "_content_key": [7, 7],
        ...     "_rank": [1, 0], "reason": [None, None], "duplicate_of": [None, None],
        ...     "similarity": [None, None]}, schema_overrides={"reason": pl.String,
        ...     "duplicate_of": pl.String, "similarity": pl.Float64})
        >>> mark_exact_duplicates(corpus, ExactConfig())["duplicate_of"].to_list()
        ['b', None]
    """
    if not config.enabled:
        return corpus
    alive = pl.col(DROP_REASON).is_null()
    # Rows already dropped (invalid, emptied) take no part, so they are grouped apart.
    keeper = pl.when(alive).then(
        pl.col(DOC_ID).sort_by(CANONICAL_RANK).first().over(alive, CONTENT_KEY)
    )
    duplicate_of = pl.when(keeper != pl.col(DOC_ID)).then(keeper)
    marked = corpus.with_columns(
        duplicate_of.alias("_exact_of"),
        *[pl.lit(None, pl.String).alias(c) for c in (MATCHED, MEASURE) if c not in corpus.columns],
    )
    is_duplicate = pl.col("_exact_of").is_not_null()
    logger.info("found %d exact duplicates", marked.get_column("_exact_of").count())
    return marked.with_columns(
        pl.coalesce(
            DROP_REASON, pl.when(is_duplicate).then(pl.lit(DropReason.EXACT_DUPLICATE.value))
        ).alias(DROP_REASON),
        pl.coalesce(DUPLICATE_OF, "_exact_of").alias(DUPLICATE_OF),
        pl.coalesce(MATCHED, "_exact_of").alias(MATCHED),
        pl.coalesce(MEASURE, pl.when(is_duplicate).then(pl.lit(Measure.EXACT.value))).alias(
            MEASURE
        ),
        pl.coalesce(SIMILARITY, pl.when(is_duplicate).then(pl.lit(1.0))).alias(SIMILARITY),
    ).drop("_exact_of")
