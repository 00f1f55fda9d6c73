"""Corpus-wide graph work on Spark: LSH buckets to candidate pairs, and connected components.

Candidates: each document's band keys (``dedupe.duplicates.lsh``'s hash, in ``mapInArrow``) are
grouped on ``(band, band_hash)``; each bucket's members, ascending, are paired by the local rule
(a star on each bucket's first member). Components: the
large-star / small-star algorithm of Kiveris et al. (2014), which needs O(log n) rounds of two
shuffles each and never holds a component in one place.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from dedupe.engines.spark.arrow import BANDS, PAIRS, SIGNATURE
from dedupe.engines.spark.batches import band_keys, bucket_pairs
from dedupe.engines.spark.session import materialize
from dedupe.schema import ROW_INDEX

_MAX_ROUNDS = 64


def candidate_pairs(
    documents: DataFrame, *, bands: int, rows: int, num_perm: int, column: str = SIGNATURE
) -> DataFrame:
    """Candidate pairs ``(left, right)`` of ``_row`` values, ``left < right``, distinct.

    Args:
        documents: the documents that may pair: ``_row`` and ``column`` (the signatures).
        bands: LSH bands.
        rows: signature values per band.
        num_perm: signature width.
        column: the signatures banded (``_signature``, or the opening's).
    """

    def keys(batches):  # type: ignore[no-untyped-def]
        return band_keys(batches, bands=bands, rows=rows, num_perm=num_perm, column=column)

    keyed = documents.select(ROW_INDEX, column).mapInArrow(keys, from_arrow_schema(BANDS))
    buckets = (
        keyed.groupBy("_band", "_band_hash")
        .agg(F.sort_array(F.collect_list(ROW_INDEX)).alias("_members"))
        .filter(F.size("_members") > 1)
    )
    return buckets.select("_members").mapInArrow(bucket_pairs, from_arrow_schema(PAIRS)).distinct()


def _edges_checksum(edges: DataFrame) -> tuple[int, int]:
    row = edges.agg(
        F.count(F.lit(1)).alias("n"),
        F.coalesce(F.sum(F.xxhash64("a", "b").cast("decimal(38,0)")), F.lit(0)).alias("h"),
    ).first()
    if row is None:  # pragma: no cover - an aggregation always has one row
        raise RuntimeError("the edges could not be counted")
    return int(row["n"]), int(row["h"])


def connected_components(edges: DataFrame) -> DataFrame:
    """Label every node of ``edges`` (columns ``a``, ``b``) with the least node of its component.

    Returns:
        ``node`` and ``component`` for every node that has an edge.
    """
    current = edges.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")).filter(
        F.col("a") != F.col("b")
    )
    # Each round's edges are checkpointed: the plan of the next round starts from them, not
    # from every round before (which would grow the plan exponentially).
    current = materialize(current.distinct())
    state = _edges_checksum(current)
    for _ in range(_MAX_ROUNDS):
        both = current.unionByName(current.select(F.col("b").alias("a"), F.col("a").alias("b")))
        # Large star: every neighbour larger than a node links to the node's least neighbour.
        least = both.groupBy("a").agg(F.least(F.min("b"), F.first("a")).alias("m"))
        large = (
            both.join(least, on="a")
            .filter(F.col("b") > F.col("a"))
            .select(F.col("b").alias("a"), F.col("m").alias("b"))
        )
        # Small star: every node and its smaller neighbours link to their least member.
        oriented = large.select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b"))
        oriented = oriented.filter(F.col("a") != F.col("b"))
        smallest = oriented.groupBy("a").agg(F.min("b").alias("m"))
        small = (
            oriented.join(smallest, on="a")
            .select(F.col("b").alias("a"), "m")
            .unionByName(smallest.select("a", "m"))
            .filter(F.col("a") != F.col("m"))
            .select(F.greatest("a", "m").alias("a"), F.least("a", "m").alias("b"))
            .distinct()
        )
        small = materialize(small)
        new_state = _edges_checksum(small)
        current = small
        if new_state == state:
            break
        state = new_state
    # Converged: every edge joins a node to its component's least node.
    nodes = current.select(F.col("a").alias("node"), F.col("b").alias("component"))
    roots = current.select(F.col("b").alias("node"), F.col("b").alias("component")).distinct()
    return nodes.groupBy("node").agg(F.min("component").alias("component")).unionByName(roots)
