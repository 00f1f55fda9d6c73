"""The Spark engine's run: the local pipeline's passes and decisions as one Spark job.

```
read (Spark readers, local record rules)
pass A   mapInArrow: mark_lines -> count_statistics        (per batch)
learn    Spark aggregations + cluster_short_lines           (corpus-wide; small table to driver)
pass B   mapInArrow: apply_learned -> rewrite_texts -> empty -> normalize -> keys, fingerprints
exact    groupBy(content key bucket).applyInArrow: rank_documents -> mark_exact_duplicates
near     mapInArrow band keys -> groupBy(band, hash) -> pairs -> join fingerprints ->
         mapInArrow pre-filter + PairScorer -> large-star/small-star components
decide   groupBy(component bucket).applyInArrow: rank -> exact -> assign_canonicals ->
         resolve_chains -> add_cluster_columns
write    corpus, dropped, removed_lines (Spark writers), state/ + report.json; then published
```

Nothing that grows with the corpus is collected to the driver: only the learned-line table,
the candidate short lines it is learned from, and counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

from dedupe.clean.boilerplate import validate_patterns
from dedupe.config import PipelineConfig
from dedupe.duplicates.canonical import rank_columns
from dedupe.duplicates.leads import LEAD_BANDS, LEAD_PERM, LEAD_ROWS
from dedupe.duplicates.near import lsh_parameters
from dedupe.engines.local.passes import CLUSTER_COLUMNS, LEDGER_COLUMNS
from dedupe.engines.spark.arrow import (
    CLEANED_FIELDS,
    CONTAINMENT,
    EXACT,
    FACT_ROWS,
    FACTS,
    FILLED,
    HASHES,
    JACCARD,
    KEEPER,
    LEADS,
    OPENING,
    OTHER,
    PASSED,
    REMOVED,
    SCORED,
    SCORES,
    SIGNATURE,
    STATISTICS,
    Batches,
)
from dedupe.engines.spark.batches import (
    clean_and_fingerprint,
    document_facts,
    line_statistics,
    score_candidates,
)
from dedupe.engines.spark.graph import candidate_pairs, connected_components
from dedupe.engines.spark.groups import decide_groups, exact_groups
from dedupe.engines.spark.learning import learn_lines_spark
from dedupe.engines.spark.output import check_output, write_output
from dedupe.engines.spark.previous import previous_documents, write_state
from dedupe.engines.spark.progress import JobProgress, Progress
from dedupe.engines.spark.read import read_inputs
from dedupe.engines.spark.reporting import (
    Timer,
    cluster_members,
    cluster_sizes,
    learned_report,
    value_counts,
)
from dedupe.engines.spark.session import (
    check_workers,
    describe,
    materialize,
    quiet_output,
    worker_python,
)
from dedupe.errors import ConfigError, InputError
from dedupe.io.state import check_meta, read_state_meta
from dedupe.ledger import LedgerError, check_counts
from dedupe.report import Report
from dedupe.review.page import write_review_page
from dedupe.schema import (
    CLUSTER_ID,
    CLUSTER_SIZE,
    CONTENT_KEY,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    DUPLICATE_IDS,
    DUPLICATE_OF,
    DUPLICATE_SOURCES,
    DUPLICATE_URLS,
    LENGTH,
    LINE,
    LINE_NO,
    MATCHED,
    MEASURE,
    PREVIOUS,
    ROW_INDEX,
    RULE,
    SIMILARITY,
    TEXT,
    DropReason,
    find_column,
    source_key,
)

COMPONENT = "_component"


@dataclass(frozen=True, slots=True)
class SparkResult:
    """What a Spark run produced: Spark DataFrames of the output tables, and the report.

    The tables are lazy Spark DataFrames over the run's cached data; ``output`` holds them as
    files when the run wrote one.
    """

    corpus: DataFrame
    dropped: DataFrame
    removed_lines: DataFrame
    clusters: DataFrame
    report: Report


def _rank_columns(columns: list[str], config: PipelineConfig) -> list[str]:
    """The pass-through columns ranking and cluster columns read, as the local key table has."""
    reserved = {DOC_ID, ROW_INDEX, LENGTH, CONTENT_KEY, PREVIOUS, *LEDGER_COLUMNS}
    return [name for name in rank_columns(columns, config.keep) if name not in reserved]


def _check_config(columns: list[str], config: PipelineConfig) -> None:
    validate_patterns((*config.clean.drop_pattern, *config.clean.keep_pattern))
    if config.input.html_column is not None:
        raise ConfigError("the Spark engine does not read HTML (--html-column); use --engine local")
    column = config.clean.source_column
    if config.clean.enabled and column is not None and column not in columns:
        raise ConfigError(
            f"source column {column!r} is not in the corpus "
            f"(found: {', '.join(columns)}); pass one of them as source_column="
        )


def _decisions_schema(rank_columns: list[str], config: PipelineConfig) -> pa.Schema:
    fields = [
        (ROW_INDEX, pa.int64()),
        (DOC_ID, pa.string()),
        (DROP_REASON, pa.string()),
        (DUPLICATE_OF, pa.string()),
        (MATCHED, pa.string()),
        (MEASURE, pa.string()),
        (SIMILARITY, pa.float64()),
        (CLUSTER_ID, pa.string()),
        (CLUSTER_SIZE, pa.int64()),
        (DUPLICATE_IDS, pa.list_(pa.string())),
        (PREVIOUS, pa.bool_()),
    ]
    if find_column(rank_columns, None, ("url",)) is not None:
        fields.append((DUPLICATE_URLS, pa.list_(pa.string())))
    probe = pl.DataFrame(schema=dict.fromkeys([DOC_ID, *rank_columns], pl.String))
    if source_key(probe, config.keep.source_column) is not None:
        fields.append((DUPLICATE_SOURCES, pa.list_(pa.string())))
    return pa.schema(fields)


class _Run:
    """One Spark run's shared state: the session, the config, the report and its timer."""

    def __init__(
        self, spark: SparkSession, config: PipelineConfig, report: Report, progress: JobProgress
    ) -> None:
        self.spark = spark
        self.config = config
        self.report = report
        self.timer = Timer(report)
        self.progress = progress
        self.partitions = int(spark.conf.get("spark.sql.shuffle.partitions") or "200")

    def learn(self, documents: DataFrame) -> pl.DataFrame | None:
        clean = self.config.clean
        if not clean.enabled:
            return None
        columns = documents.columns
        scopes = [c for c in dict.fromkeys((clean.source_column, "source", "url")) if c]
        needed = [DOC_ID, TEXT, *[c for c in scopes if c in columns]]

        def statistics(batches: Batches) -> Batches:
            return line_statistics(batches, clean=clean)

        stats = documents.select(*needed).mapInArrow(statistics, from_arrow_schema(STATISTICS))
        stats = materialize(stats)
        learned = learn_lines_spark(stats, clean)
        return learned

    def clean(self, documents: DataFrame, learned: pl.DataFrame | None) -> DataFrame:
        config = self.config
        schema = to_arrow_schema(documents.schema)
        for name, dtype in CLEANED_FIELDS:
            schema = schema.append(pa.field(name, dtype))

        def cleaned(batches: Batches) -> Batches:
            return clean_and_fingerprint(batches, config=config, learned=learned, schema=schema)

        out = documents.mapInArrow(cleaned, from_arrow_schema(schema))
        return materialize(out)

    def exact(self, keys: DataFrame) -> DataFrame:
        """Exact duplicates among alive documents: ``_row`` and ``_keeper`` of each copy."""
        config = self.config
        empty = self.spark.createDataFrame([], from_arrow_schema(EXACT))
        if not config.exact.enabled:
            return empty
        alive = keys.filter(F.col(DROP_REASON).isNull())
        shared = alive.groupBy(CONTENT_KEY).count().filter(F.col("count") > 1)
        groups = alive.join(shared.select(CONTENT_KEY), on=CONTENT_KEY, how="left_semi")

        def decide(table: pa.Table) -> pa.Table:
            return exact_groups(table, keep=config.keep, exact=config.exact)

        bucket = F.pmod(F.xxhash64(CONTENT_KEY), F.lit(self.partitions))
        found = groups.groupBy(bucket).applyInArrow(decide, from_arrow_schema(EXACT))
        return materialize(found)

    def near(self, cleaned: DataFrame, exact: DataFrame) -> DataFrame:
        """Scored candidate pairs (pre-filtered as locally): left, right, passed, similarity."""
        near = self.config.near
        bands, rows = lsh_parameters(near)
        alive = (
            cleaned.filter(F.col(DROP_REASON).isNull() & F.col(FILLED))
            .select(ROW_INDEX, HASHES, LEADS, SIGNATURE, OPENING)
            .join(exact.select(ROW_INDEX), on=ROW_INDEX, how="left_anti")
        )
        main = materialize(candidate_pairs(alive, bands=bands, rows=rows, num_perm=near.num_perm))
        # The second index, over openings (dedupe.duplicates.leads), as the local stage adds it.
        by_opening = candidate_pairs(
            alive.filter(F.col(OPENING).isNotNull()),
            bands=LEAD_BANDS,
            rows=LEAD_ROWS,
            num_perm=LEAD_PERM,
            column=OPENING,
        )
        by_opening = materialize(by_opening)
        pairs = materialize(main.unionByName(by_opening).distinct())

        def side(prefix: str, key: str) -> DataFrame:
            return alive.select(
                F.col(ROW_INDEX).alias(key),
                *[F.col(c).alias(f"{prefix}{c}") for c in (HASHES, LEADS, SIGNATURE)],
            )

        def score(batches: Batches) -> Batches:
            return score_candidates(batches, near=near)

        joined = pairs.join(side("l", "left"), on="left").join(side("r", "right"), on="right")
        scored = joined.select(
            "left", "right", *[f"{p}{c}" for p in "lr" for c in (HASHES, LEADS, SIGNATURE)]
        ).mapInArrow(score, from_arrow_schema(SCORES))
        scored = materialize(scored)
        self.report.details["near"] = {
            "bands": bands,
            "rows": rows,
            "documents": alive.count(),
            "candidate_pairs": main.count(),
            "lead_candidate_pairs": by_opening.count(),
        }
        return scored

    def decide(self, cleaned: DataFrame, exact: DataFrame, scored: DataFrame | None) -> DataFrame:
        config = self.config
        rank_columns = _rank_columns(cleaned.columns, config)
        keys = cleaned.select(
            ROW_INDEX,
            DOC_ID,
            LENGTH,
            CONTENT_KEY,
            PREVIOUS,
            DROP_REASON,
            F.lit(None).cast("string").alias(DETAIL),
            *rank_columns,
        )
        edges = exact.select(F.col(ROW_INDEX).alias("a"), F.col(KEEPER).alias("b"))
        table = keys
        if scored is not None:
            verified = scored.filter(F.col(PASSED))
            edges = edges.unionByName(
                verified.select(F.col("left").alias("a"), F.col("right").alias("b"))
            )
        labels = materialize(connected_components(edges))
        table = (
            table.join(labels.withColumnRenamed("node", ROW_INDEX), on=ROW_INDEX, how="left")
            .withColumn(COMPONENT, F.coalesce(F.col("component"), F.col(ROW_INDEX)))
            .drop("component")
        )
        if scored is not None:
            nodes = (
                scored.filter(F.col(PASSED))
                .select(F.col("left").alias(ROW_INDEX))
                .unionByName(scored.filter(F.col(PASSED)).select(F.col("right").alias(ROW_INDEX)))
                .distinct()
            )
            prints = cleaned.select(ROW_INDEX, HASHES, LEADS, SIGNATURE).join(
                nodes, on=ROW_INDEX, how="left_semi"
            )
            # The facts of the documents in a verified pair, for the check of the facts
            # (dedupe.duplicates.facts): the local stage asks the same documents' texts.
            facts = (
                cleaned.select(ROW_INDEX, TEXT)
                .join(nodes, on=ROW_INDEX, how="left_semi")
                .mapInArrow(document_facts, from_arrow_schema(FACT_ROWS))
            )
            prints = prints.join(facts, on=ROW_INDEX, how="left")
            left_label = labels.select(F.col("node").alias("left"), F.col("component").alias("_l"))
            right_label = labels.select(
                F.col("node").alias("right"), F.col("component").alias("_r")
            )
            within = (
                scored.join(left_label, on="left")
                .join(right_label, on="right")
                .filter(F.col("_l") == F.col("_r"))
                .groupBy("left")
                .agg(
                    F.collect_list(
                        F.struct(
                            F.col("right").alias(OTHER), PASSED, SIMILARITY, JACCARD, CONTAINMENT
                        )
                    ).alias(SCORED)
                )
                .withColumnRenamed("left", ROW_INDEX)
            )
            table = table.join(prints, on=ROW_INDEX, how="left").join(
                within, on=ROW_INDEX, how="left"
            )
        else:
            table = table.select(
                "*",
                *[F.lit(None).cast("array<int>").alias(c) for c in (HASHES, LEADS, SIGNATURE)],
                F.lit(None).cast("array<struct<place:string,fact:string>>").alias(FACTS),
                F.lit(None)
                .cast(
                    f"array<struct<{OTHER}:bigint,{PASSED}:boolean,"
                    f"{SIMILARITY}:double,{JACCARD}:double,{CONTAINMENT}:double>>"
                )
                .alias(SCORED),
            )
        schema = _decisions_schema(rank_columns, config)

        def decide(group: pa.Table) -> pa.Table:
            return decide_groups(group, config=config, schema=schema)

        bucket = F.pmod(F.xxhash64(COMPONENT), F.lit(self.partitions))
        decisions = table.groupBy(bucket).applyInArrow(decide, from_arrow_schema(schema))
        decisions = materialize(decisions)
        return decisions


def with_previous(
    spark: SparkSession, cleaned: DataFrame, against: Path | None, config: PipelineConfig
) -> DataFrame:
    """The table the decisions run on: this run's documents, and an earlier output's if given.

    Every row carries ``_previous``; the earlier output's canonical documents rank first, as in
    the local ``--against``, and never reach this run's corpus, ledger or counts.
    """
    table = cleaned.withColumn(PREVIOUS, F.lit(False))
    if against is None:
        return table
    previous = previous_documents(spark, against, config.near, table)
    return materialize(table.unionByName(previous, allowMissingColumns=True))


def run(
    spark: SparkSession,
    inputs: list[str],
    config: PipelineConfig | None = None,
    *,
    output: str | Path | None = None,
    against: Path | None = None,
    on_progress: Progress | None = None,
) -> SparkResult:
    """Clean and deduplicate a corpus on Spark, with the answers of the local engine.

    ``inputs`` are paths Spark reads (``.jsonl``/``.ndjson`` optionally gzipped, Parquet files
    or dataset folders, local folders of ``.txt``/``.md`` articles). With ``output`` (any path
    Spark writes), the folder gets ``corpus.parquet`` (or ``corpus.jsonl``), ``dropped.parquet``
    and ``removed_lines.parquet`` as Spark writes them (folders of part files, nothing else),
    ``state/`` for a later ``--against`` and ``report.json``; it is published by a rename once
    complete. With ``against`` (a local folder: an earlier output of either engine), new
    documents are also compared with its canonical documents, as the local ``--against`` does.
    ``on_progress(pass, tasks done, tasks planned)`` follows the Spark jobs of each pass.

    Raises:
        SparkUnavailableError: the Python workers cannot import this version of dedupe.
        InputError: an input cannot be read, or the output folder is not usable.
        SchemaError: an input lacks the text column or the requested id column.
        ConfigError: a pattern or source column is not usable, or ``against`` was built with
            other near-duplicate settings.

    Example:
        >>> from dedupe.engines.spark.engine import run  # doctest: +SKIP
        >>> run(spark, ["s3a://bucket/news/*.jsonl"], output="s3a://bucket/clean")  # doctest: +SKIP
    """
    config = config or PipelineConfig()
    inputs = [str(path) for path in inputs]
    out = str(output) if output is not None else None
    if out is not None:
        check_output(spark, out, inputs, force=config.output.force)
    if against is not None:
        check_meta(read_state_meta(against), config.near, origin=str(against))
    python = worker_python(spark)
    check_workers(spark, python)
    quiet_output(spark)
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(config.input.batch_size))
    report = Report(parameters=config.to_dict(), inputs=inputs)
    report.details["spark"] = describe(spark, python)
    with JobProgress(spark, on_progress) as progress:
        return _run(_Run(spark, config, report, progress), inputs, out, against)


def _run(engine: _Run, inputs: list[str], out: str | None, against: Path | None) -> SparkResult:
    spark, config, report, progress = engine.spark, engine.config, engine.report, engine.progress
    progress.begin("read")
    documents, invalid = read_inputs(spark, inputs, config.input)
    # One big file (or a gzipped one) is read as few splits: spread the documents over the
    # cores so that the per-batch passes run in parallel.
    cores = spark.sparkContext.defaultParallelism
    if documents.rdd.getNumPartitions() < cores:
        documents = materialize(documents.repartition(cores * 2, ROW_INDEX))
    valid, rejected = documents.count(), invalid.count()
    if valid + rejected == 0:
        raise InputError("the inputs hold no records")
    engine.timer.stage("read", valid + rejected, valid)
    _check_config(documents.columns, config)
    progress.begin("clean")
    learned = engine.learn(documents)
    cleaned = engine.clean(documents, learned)
    emptied = cleaned.filter(F.col(DROP_REASON).isNotNull()).count()
    engine.timer.stage("clean", valid, valid - emptied)
    if learned is not None:
        report.details["clean"] = {"learned_lines": learned_report(cleaned, learned)}
    progress.begin("exact")
    table = with_previous(spark, cleaned, against, config)
    exact = engine.exact(table)
    copies = exact.count()
    engine.timer.stage("exact", valid - emptied, valid - emptied - copies)
    progress.begin("near")
    scored = engine.near(table, exact) if config.near.enabled else None
    progress.begin("clusters")
    decisions = engine.decide(table, exact, scored)
    new = decisions.filter(~F.col(PREVIOUS))
    kept_rows = new.filter(F.col(DROP_REASON).isNull())
    # One pass over the decisions: rows and distinct rows (every document decided once), by reason.
    tally = new.groupBy(DROP_REASON).agg(
        F.count(F.lit(1)).alias("n"), F.countDistinct(ROW_INDEX).alias("rows")
    )
    by_reason = {r[DROP_REASON]: (int(r["n"]), int(r["rows"])) for r in tally.collect()}
    kept = by_reason.get(None, (0, 0))[0]
    decided = sum(n for n, _ in by_reason.values())
    if decided != valid or sum(rows for _, rows in by_reason.values()) != valid:
        raise LedgerError(f"ledger mismatch: {valid} valid records, {decided} decisions")
    if scored is not None:
        near = report.details["near"]
        row = scored.agg(
            F.count(F.lit(1)).alias("n"), F.sum(F.col(PASSED).cast("long")).alias("passed")
        ).first()
        if row is None:  # pragma: no cover - an aggregation always has one row
            raise LedgerError("the scored pairs could not be counted")
        near["plausible_pairs"] = int(row["n"])
        near["verified_pairs"] = int(row["passed"] or 0)
        near["near_duplicates"] = by_reason.get("near_duplicate", (0, 0))[0]
    engine.timer.stage("near", valid - emptied - copies, kept)
    public = [c for c in cleaned.columns if not c.startswith("_") and c not in LEDGER_COLUMNS]
    cluster_columns = [c for c in CLUSTER_COLUMNS if c in decisions.columns]
    corpus = (
        cleaned.select(ROW_INDEX, *public)
        .join(kept_rows.select(ROW_INDEX, *cluster_columns), on=ROW_INDEX)
        .orderBy(ROW_INDEX)
        .select(*public, *cluster_columns)
    )
    passthrough = [c for c in public if c not in (DOC_ID, TEXT)]
    carried = [*passthrough, *([TEXT] if config.output.dropped_text else [])]
    dropped = (
        new.filter(F.col(DROP_REASON).isNotNull())
        .select(ROW_INDEX, *[c for c in DROPPED_SCHEMA if c != DETAIL])
        .join(cleaned.select(ROW_INDEX, *carried), on=ROW_INDEX)
        .select(
            *[c for c in DROPPED_SCHEMA if c != DETAIL],
            F.lit(None).cast("string").alias(DETAIL),
            *carried,
            ROW_INDEX,
            F.lit(0).alias("_part"),
        )
        .unionByName(
            invalid.select(
                DOC_ID,
                DROP_REASON,
                *[
                    F.lit(None).cast("double" if c == SIMILARITY else "string").alias(c)
                    for c in (DUPLICATE_OF, MATCHED, MEASURE, SIMILARITY)
                ],
                DETAIL,
                *[
                    F.lit(None).cast(cleaned.schema[c].dataType).alias(c)
                    for c in carried
                    if c not in invalid.columns
                ],
                *[c for c in carried if c in invalid.columns],
                ROW_INDEX,
                F.lit(1).alias("_part"),
            ),
        )
        .orderBy("_part", ROW_INDEX)
        .select(*DROPPED_SCHEMA, *carried)
    )
    removed = (
        cleaned.select(DOC_ID, ROW_INDEX, F.explode(REMOVED).alias("_line"))
        .select(DOC_ID, ROW_INDEX, "_line.*")
        .orderBy(ROW_INDEX, LINE_NO)
        .select(DOC_ID, LINE_NO, LINE, RULE)
    )
    clusters = cluster_members(new, engine.partitions)
    counts = {str(k): n for k, (n, _) in by_reason.items() if k is not None}
    if rejected:
        counts[DropReason.INVALID_RECORD.value] = rejected
    check_counts(valid + rejected, kept, sum(counts.values()))
    report.kept = kept
    report.documents_in = valid + rejected
    report.dropped_by_reason = dict(sorted(counts.items(), key=lambda p: (-p[1], p[0])))
    report.lines_removed_by_rule = value_counts(removed, RULE)
    report.count_clusters(cluster_sizes(kept_rows))
    engine.timer.stage("clusters", kept, kept)
    if out is not None:
        progress.begin("write")
        tables = {"corpus": corpus, "dropped": dropped, "removed_lines": removed}
        state = None
        if config.near.enabled:
            state_columns = _rank_columns(table.columns, config)
            published = table.join(
                decisions.filter(F.col(DROP_REASON).isNull()).select(ROW_INDEX), on=ROW_INDEX
            )

            def state(workspace: Any) -> None:
                write_state(spark, published, state_columns, config.near, workspace)

        write_output(spark, out, tables, report.to_dict(), config, state=state)
        if "://" not in out or out.startswith("file:"):
            # The review page reads the published tables with Polars: local folders only.
            write_review_page(Path(out.removeprefix("file:")), report.to_dict())
        engine.timer.stage("write", kept, kept)
    return SparkResult(corpus, dropped, removed, clusters, report)


__all__ = ["SparkResult", "run"]
