"""The Spark engine's report: counts per reason and rule, cluster sizes, learned lines, timings.

Every number is a Spark aggregation; only the counts reach the driver.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from dedupe.clean.learned import LEARNED_COUNTS_SCHEMA, report_learned_lines
from dedupe.engines.spark.arrow import CLUSTER_ROWS, LEARNED_COUNTS, batch_of, frame_of
from dedupe.ledger import CLUSTER_ORDER, CLUSTER_POSITION, cluster_rows
from dedupe.report import Report, StageRecord
from dedupe.schema import (
    CLUSTER_SIZE,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    MATCHED,
    MEASURE,
    ROW_INDEX,
    RULE,
    SIMILARITY,
)


class Timer:
    """Records each stage's documents in and out and the wall time since the last stage."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.started = time.perf_counter()

    def stage(self, name: str, alive_in: int, alive_out: int) -> None:
        """Record stage ``name`` as ending now."""
        now = time.perf_counter()
        self.report.stages.append(StageRecord(name, alive_in, alive_out, now - self.started))
        self.started = now


def value_counts(frame: DataFrame, column: str) -> dict[str, int]:
    """Rows per value of ``column``, most frequent first, as ``Report`` orders them."""
    rows = frame.groupBy(column).count().collect()
    pairs = sorted(((str(r[column]), int(r["count"])) for r in rows), key=lambda p: (-p[1], p[0]))
    return dict(pairs)


def learned_report(cleaned: DataFrame, learned: pl.DataFrame) -> list[dict[str, Any]]:
    """The learned lines with the lines each removed, summed over the batches' counts."""
    counts = (
        cleaned.select(F.explode(LEARNED_COUNTS).alias("c"))
        .select("c.*")
        .groupBy(RULE, "scope", "_key_hash")
        .agg(F.sum("removed_lines").alias("removed_lines"))
    )
    found = frame_of(counts.toArrow())
    if found.height == 0:
        found = pl.DataFrame(schema=LEARNED_COUNTS_SCHEMA)
    found = found.with_columns(pl.col("_key_hash").cast(pl.Int64).reinterpret(signed=False)).select(
        pl.col(name).cast(dtype) for name, dtype in LEARNED_COUNTS_SCHEMA.items()
    )
    return report_learned_lines(learned, [found]).to_dicts()


def cluster_sizes(kept: DataFrame) -> pl.Series:
    """The size of every cluster of more than one document, for ``Report.count_clusters``.

    Spark counts clusters per size; only one number per cluster reaches the driver.
    """
    rows = kept.filter(F.col(CLUSTER_SIZE) > 1).groupBy(CLUSTER_SIZE).count().collect()
    sizes = [int(r[CLUSTER_SIZE]) for r in rows]
    counts = [int(r["count"]) for r in rows]
    return pl.Series(CLUSTER_SIZE, np.repeat(np.asarray(sizes, dtype=np.int64), counts))


def cluster_members(decisions: DataFrame, partitions: int) -> DataFrame:
    """One row per member of each cluster of more than one document, canonical first.

    The local `ledger.cluster_rows` builds the rows on groups of complete clusters (a cluster
    is its canonical document and the rows whose ``duplicate_of`` names it); Spark only
    orders the groups' rows by the sort keys that function returns.
    """
    members = decisions.filter(F.col(DUPLICATE_OF).isNotNull() | (F.col(CLUSTER_SIZE) > 1))
    cluster = F.coalesce(F.col(DUPLICATE_OF), F.col(DOC_ID))
    needed = [
        DOC_ID,
        DROP_REASON,
        MATCHED,
        MEASURE,
        SIMILARITY,
        DUPLICATE_OF,
        CLUSTER_SIZE,
        ROW_INDEX,
    ]

    def rows(table: pa.Table) -> pa.Table:
        found = cluster_rows(frame_of(table))
        return pa.Table.from_batches([batch_of(found, CLUSTER_ROWS)], schema=CLUSTER_ROWS)

    bucket = F.pmod(F.xxhash64(cluster), F.lit(partitions))
    return (
        members.select(*needed)
        .groupBy(bucket)
        .applyInArrow(rows, from_arrow_schema(CLUSTER_ROWS))
        .orderBy(CLUSTER_ORDER, CLUSTER_POSITION)
        .drop(CLUSTER_ORDER, CLUSTER_POSITION)
    )
