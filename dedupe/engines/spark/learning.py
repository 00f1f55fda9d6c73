"""Learned lines on Spark: the counts of ``learn_frequent_lines`` as Spark aggregations.

The statistics of every batch (``count_statistics`` in ``mapInArrow``) stay distributed; Spark
counts distinct articles per line skeleton, per caption cluster and per scope. Only the
candidate short lines (those whose letter skeleton recurs in ``learn_min_docs`` articles) go
to the driver, where the local ``cluster_short_lines`` joins near-identical ones, and the
learned table itself (one row per learned line key), both bounded by the recurring lines of
the corpus rather than by its size. ``tests/test_spark.py`` checks the result against
``learn_lines`` on the same statistics.
"""

from __future__ import annotations

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from dedupe.clean.captions import cluster_short_lines
from dedupe.clean.learned import LEARNED_KEYS_SCHEMA, LEARNED_SCHEMA
from dedupe.clean.lines import ARTICLE, CHARS, CLUSTER, KEY, KEY_HASH, OCCURRENCES, SCOPE
from dedupe.config import CleanConfig
from dedupe.engines.spark.arrow import SKELETONS, frame_of
from dedupe.engines.spark.batches import line_skeletons
from dedupe.schema import RULE


def _count_clusters(
    counts: DataFrame, articles: DataFrame, *, by_source: bool, config: CleanConfig
) -> DataFrame:
    scope = [SCOPE] if by_source else []
    if by_source:
        totals = articles.groupBy(SCOPE).agg(F.countDistinct(ARTICLE).alias("_total"))
    else:
        totals = articles.agg(F.countDistinct(ARTICLE).alias("_total"))
    by_key = counts.groupBy(*scope, CLUSTER, KEY).agg(F.sum(OCCURRENCES).alias(OCCURRENCES))
    # The most frequent key names the cluster, the least key on a tie.
    names = by_key.groupBy(*scope, CLUSTER).agg(
        F.min(F.struct(-F.col(OCCURRENCES), F.col(KEY))).getField(KEY).alias("line"),
        F.count(F.lit(1)).alias("variants"),
    )
    counted = (
        counts.groupBy(*scope, CLUSTER)
        .agg(F.countDistinct(ARTICLE).alias("documents"))
        .join(names, on=[*scope, CLUSTER])
    )
    counted = counted.join(totals, on=SCOPE) if by_source else counted.crossJoin(totals)
    return counted.withColumn("share", F.col("documents") / F.col("_total")).filter(
        (F.col("documents") >= config.learn_min_docs) & (F.col("share") >= config.learn_min_share)
    )


def learn_lines_spark(statistics: DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Return the learned table of ``dedupe.clean.learn_lines`` from distributed statistics.

    Args:
        statistics: rows of ``count_statistics`` of every batch (hashes as signed 64-bit).
        config: the cleaning section.

    Returns:
        The table ``learn_lines`` returns: ``rule``, ``scope``, ``_key_hash``, ``line``,
        ``variants``, ``documents`` and ``share``, one row per learned line key.
    """
    spark: SparkSession = statistics.sparkSession
    articles = statistics.filter(F.col(KEY_HASH).isNull()).select(SCOPE, ARTICLE)
    keys = (
        statistics.filter(F.col(KEY).isNotNull())
        .select(KEY_HASH, KEY)
        .dropDuplicates([KEY_HASH])
        .mapInArrow(line_skeletons, from_arrow_schema(SKELETONS))
    )
    occurrences = statistics.filter(
        F.col(KEY_HASH).isNotNull() & F.col(ARTICLE).isNotNull()
    ).select(SCOPE, ARTICLE, KEY_HASH, OCCURRENCES)
    skeletons = keys
    frequent = (
        occurrences.join(skeletons.select(KEY_HASH, "_skeleton"), on=KEY_HASH)
        .groupBy("_skeleton")
        .agg(F.countDistinct(ARTICLE).alias("_articles"))
        .filter(F.col("_articles") >= config.learn_min_docs)
    )
    candidates = skeletons.join(frequent.select("_skeleton"), on="_skeleton", how="left_semi")
    found = frame_of(candidates.select(KEY, CHARS).toArrow())
    mapping = cluster_short_lines(found.with_columns(pl.col(CHARS).cast(pl.UInt32)))
    named = spark.createDataFrame(mapping.to_arrow()) if mapping.height else None
    clusters = keys.select(KEY_HASH, KEY, F.col(KEY).alias(CLUSTER))
    if named is not None:
        clusters = keys.join(F.broadcast(named), on=KEY, how="left").select(
            KEY_HASH, KEY, F.coalesce(F.col(CLUSTER), F.col(KEY)).alias(CLUSTER)
        )
    counts = occurrences.join(clusters, on=KEY_HASH)
    has_source = articles.filter(F.col(SCOPE).isNotNull()).limit(1).count() > 0
    columns = [RULE, SCOPE, CLUSTER, "line", "variants", "documents", "share"]
    found_rules = []
    if has_source:
        found_rules.append(
            _count_clusters(counts, articles, by_source=True, config=config)
            .withColumn(RULE, F.lit("learned:source"))
            .select(columns)
        )
    found_rules.append(
        _count_clusters(counts, articles, by_source=False, config=config)
        .withColumn(RULE, F.lit("learned:corpus"))
        .withColumn(SCOPE, F.lit(None).cast("string"))
        .select(columns)
    )
    learned = found_rules[0]
    for more in found_rules[1:]:
        learned = learned.unionByName(more)
    rows = learned.join(clusters.select(CLUSTER, KEY_HASH), on=CLUSTER)
    table = frame_of(rows.select(*columns[:2], KEY_HASH, *columns[3:]).toArrow())
    if table.height == 0:
        return pl.DataFrame(schema=LEARNED_KEYS_SCHEMA)
    return (
        table.rename({SCOPE: "scope"})
        .with_columns(
            pl.col(KEY_HASH).cast(pl.Int64).reinterpret(signed=False),
            # Spark does not learn templates (yet), which alone have examples.
            pl.lit(None, pl.List(pl.String)).alias("examples"),
        )
        .select(pl.col(name).cast(dtype) for name, dtype in LEARNED_KEYS_SCHEMA.items())
        .sort(RULE, "scope", KEY_HASH)
    )


__all__ = ["LEARNED_SCHEMA", "learn_lines_spark"]
