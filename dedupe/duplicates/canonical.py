"""The canonical-copy policies: rank documents so the copy to keep comes first in its group.

Every duplicate group (exact or near) keeps its member with the lowest rank. Ranks are computed
once, after cleaning, and shared by the exact and near-duplicate stages.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import polars as pl

from dedupe.config import KeepConfig
from dedupe.schema import (
    CANONICAL_RANK,
    DATE_CANDIDATES,
    DOC_ID,
    LENGTH,
    PREVIOUS,
    ROW_INDEX,
    SOURCE_CANDIDATES,
    TEXT,
    URL_CANDIDATES,
    find_column,
    source_key,
)

logger = logging.getLogger(__name__)


def _date_key(corpus: pl.DataFrame, column: str) -> pl.Expr:
    dtype = corpus.schema[column]
    if dtype.is_temporal():
        return pl.col(column).cast(pl.Datetime("us"))
    if dtype.is_numeric():
        # Numbers in a date column are Unix epoch seconds.
        return pl.from_epoch(pl.col(column).cast(pl.Int64), time_unit="s")
    return pl.col(column).cast(pl.String).str.to_datetime(strict=False, time_unit="us")


def rank_columns(columns: Collection[str], config: KeepConfig) -> list[str]:
    """The pass-through columns ranking and the cluster columns read: date, source and url.

    Both engines carry these (and no other pass-through column) into the corpus-wide stages.
    """
    names = [
        find_column(columns, config.date_column, DATE_CANDIDATES),
        find_column(columns, config.source_column, SOURCE_CANDIDATES),
        find_column(columns, None, URL_CANDIDATES),
    ]
    return list(dict.fromkeys(name for name in names if name is not None))


def rank_documents(corpus: pl.DataFrame, config: KeepConfig) -> pl.DataFrame:
    """Add the `_rank` column: 0 is the copy most worth keeping under ``config.keep``.

    ``longest`` ranks by cleaned text length (longest first), ``earliest`` by the date column
    (oldest first, missing dates last), ``source-priority`` by the position of the document's
    source in ``config.source_priority`` (unlisted sources after listed ones, then longest),
    and ``first`` by input order. Other ties break on ``doc_id``, never on input order, so the
    choice does not depend on how the rows were shuffled (except under ``first``). Documents of
    an earlier output (``_previous``) rank before all others: what was published stays
    canonical, and a new copy of it is dropped as its duplicate.
    """
    keys: list[pl.Expr] = []
    descending: list[bool] = []
    if config.keep == "first":
        position = pl.col(ROW_INDEX)
        if PREVIOUS in corpus.columns:
            # Documents of an earlier output were not read in this run: no input position
            # (the Spark engine numbers them below zero to keep them graph nodes).
            position = pl.when(pl.col(PREVIOUS).fill_null(False)).then(None).otherwise(position)
        keys, descending = [position], [False]
    elif config.keep == "earliest":
        column = find_column(corpus.columns, config.date_column, DATE_CANDIDATES)
        if column is None:
            logger.warning("keep=earliest but no date column found; keeping the longest copy")
        else:
            keys, descending = [_date_key(corpus, column)], [False]
    elif config.keep == "source-priority":
        source = source_key(corpus, config.source_column)
        if source is None:
            logger.warning("keep=source-priority but no source or url column; keeping longest")
        else:
            order = {name.lower(): i for i, name in enumerate(config.source_priority)}
            keys = [source.replace_strict(order, default=len(order), return_dtype=pl.Int64)]
            descending = [False]
    length = pl.col(LENGTH) if LENGTH in corpus.columns else pl.col(TEXT).str.len_chars()
    keys += [length, pl.col(DOC_ID)]
    descending += [True, False]
    if PREVIOUS in corpus.columns:
        # A canonical document already published (--against) stays canonical.
        keys, descending = [pl.col(PREVIOUS).fill_null(False), *keys], [True, *descending]
    order_frame = corpus.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_position"),
        *[key.alias(f"_k{i}") for i, key in enumerate(keys)],
    ).sort([f"_k{i}" for i in range(len(keys))], descending=descending, nulls_last=True)
    ranks = order_frame.select(
        pl.col("_position"), pl.int_range(pl.len(), dtype=pl.UInt32).alias(CANONICAL_RANK)
    ).sort("_position")
    return corpus.with_columns(ranks.get_column(CANONICAL_RANK))
