"""Reading inputs on Spark with the local engine's record rules: ids, texts, invalid records.

JSON lines (``.jsonl``, ``.ndjson``, optionally ``.gz``) and Parquet (a file or a dataset
folder) are read from any path Spark reads; a local folder is read as articles (``.txt``,
``.md``), as locally. Records are numbered within their file (the line of a JSON line, the row
of a Parquet file) so that ids made from ``FILE:LINE``, messages and input order are the local
engine's. ``_row`` orders the records as the local engine reads them: by input, file and line.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from dedupe.config import InputConfig
from dedupe.engines.spark.arrow import ARTICLES, JSON_PROBLEMS
from dedupe.engines.spark.batches import decode_articles, json_problems
from dedupe.engines.spark.session import jvm_of, materialize
from dedupe.errors import InputError
from dedupe.io.fields import missing_id, missing_text
from dedupe.io.folder import TEXT_SUFFIXES
from dedupe.io.read import JSONL_SUFFIXES
from dedupe.schema import DETAIL, DOC_ID, DROP_REASON, ROW_INDEX, TEXT, DropReason

SOURCE = "_source"  # "file:line" of a record, for messages and made-up ids
_ID_CANDIDATES = (DOC_ID, "id")
_INPUT_BITS = 56
_FILE_BITS = 36
_BLANK = r"^[ \t\r]*$"
_PROBLEM = "_problem"


def _kind(path: str) -> str:
    name = path.lower().rstrip("/")
    if "://" not in path and path != "-" and Path(path).is_dir():
        return "folder"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if path == "-":
        raise InputError("the Spark engine cannot read stdin; write the records to a file first")
    known = ", ".join((*JSONL_SUFFIXES, ".parquet"))
    raise InputError(
        f"input '{path}' has an unknown extension for the Spark engine; use a folder of "
        f"{'/'.join(TEXT_SUFFIXES)} files or one of {known}"
    )


def _check_exists(spark: SparkSession, path: str) -> None:
    jvm = jvm_of(spark)
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration())
    found = fs.globStatus(hadoop_path)
    if found is None or len(found) == 0:
        raise InputError(f"input '{path}' does not exist; check the path")


def _file_order(frame: DataFrame, index: int, record: str) -> DataFrame:
    """Add ``_row``: input, then file (by path), then record number within the file."""
    files = Window.orderBy("_file")
    numbered = frame.select("_file").distinct().withColumn("_file_no", F.row_number().over(files))
    return frame.join(F.broadcast(numbered), on="_file").withColumn(
        ROW_INDEX,
        (F.lit(index).cast("long") * (1 << _INPUT_BITS))
        + (F.col("_file_no").cast("long") * (1 << _FILE_BITS))
        + F.col(record).cast("long"),
    )


def _name(path: str) -> str:
    """The name of records' files in ids and messages: the input as given, when it is one file."""
    return path if not any(c in path for c in "*?[{") else ""


def _jsonl(spark: SparkSession, path: str, index: int) -> tuple[DataFrame, DataFrame]:
    lines = spark.read.text(path).select(
        "value",
        F.col("_metadata.file_path").alias("_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        F.monotonically_increasing_id().alias("_mid"),
    )
    lines = materialize(lines)  # the same line ids for every use below
    # Line numbers: lines before this block in the file, plus the position within the block.
    blocks = lines.groupBy("_file", "_block").agg(
        F.count(F.lit(1)).alias("_n"), F.min("_mid").alias("_first")
    )
    before = (
        Window.partitionBy("_file").orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
    )
    blocks = blocks.withColumn("_before", F.coalesce(F.sum("_n").over(before), F.lit(0)))
    name = _name(path)
    numbered = (
        lines.join(F.broadcast(blocks), on=["_file", "_block"])
        .withColumn("_line", F.col("_mid") - F.col("_first") + F.col("_before") + 1)
        .filter(~F.col("value").rlike(_BLANK))
        .withColumn("_name", F.lit(name) if name else F.col("_file"))
        .withColumn(SOURCE, F.concat(F.col("_name"), F.lit(":"), F.col("_line").cast("string")))
    )
    numbered = _file_order(numbered, index, "_line")
    schema = spark.read.option("allowSingleQuotes", "false").json(path).schema
    fields = [f for f in schema.fields if f.name != "_corrupt_record"]
    parse_schema = schema.__class__(fields).add("_corrupt", "string")
    parsed = numbered.withColumn(
        "_record",
        F.from_json(
            "value",
            parse_schema,
            {
                "mode": "PERMISSIVE",
                "columnNameOfCorruptRecord": "_corrupt",
                "allowSingleQuotes": "false",
            },
        ),
    )
    broken = F.col("_record").isNull() | F.col("_record._corrupt").isNotNull()
    broken = broken | ~F.ltrim(F.col("value")).startswith("{")
    problems = (
        parsed.filter(broken)
        .select("value", "_name", "_line", ROW_INDEX)
        .mapInArrow(json_problems, from_arrow_schema(JSON_PROBLEMS))
    )
    records = parsed.filter(~broken).select(
        *[F.col(f"_record.{f.name}").alias(f.name) for f in fields], SOURCE, ROW_INDEX
    )
    first = spark.read.text(path).filter(~F.col("value").rlike(_BLANK)).first()
    order = _first_keys(first["value"] if first is not None else "")
    names = [f.name for f in fields]
    ordered = [n for n in order if n in names] + sorted(n for n in names if n not in order)
    return records.select(*ordered, SOURCE, ROW_INDEX), problems


def _first_keys(line: str) -> list[str]:
    try:
        record = json.loads(line)
    except ValueError:
        return []
    return list(record) if isinstance(record, dict) else []


def _parquet(spark: SparkSession, path: str, index: int) -> DataFrame:
    frame = spark.read.parquet(path)
    columns = frame.columns
    name = _name(path)
    frame = frame.select(
        *columns,
        F.col("_metadata.file_path").alias("_file"),
        (F.col("_metadata.row_index") + 1).alias("_line"),
    )
    frame = frame.withColumn(
        SOURCE,
        F.concat(
            F.lit(name) if name else F.col("_file"), F.lit(":"), F.col("_line").cast("string")
        ),
    )
    return _file_order(frame, index, "_line").select(*columns, SOURCE, ROW_INDEX)


def _folder(spark: SparkSession, path: str, index: int) -> tuple[DataFrame, DataFrame]:
    root = Path(path).resolve().as_uri().replace("file:///", "file:/")
    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .load(path)
        .select(F.col("path").alias("_file"), "content")
    )
    suffixes = "|".join(s.lstrip(".") for s in TEXT_SUFFIXES)
    relative = F.expr(f"substring(_file, {len(root) + 2})")
    files = files.filter(F.lower("_file").rlike(rf"\.({suffixes})$")).withColumn("_rel", relative)
    # A folder of articles is local (as for the local engine), so it is listed here, not by a job.
    if not any(p.is_file() and p.suffix.lower() in TEXT_SUFFIXES for p in Path(path).rglob("*")):
        raise InputError(
            f"input folder '{path}' holds no {' or '.join(TEXT_SUFFIXES)} files; "
            "pass a folder of articles or a .jsonl or .parquet file"
        )
    by_parts = Window.orderBy(F.split("_rel", "/"))
    files = files.withColumn(
        ROW_INDEX,
        F.lit(index).cast("long") * (1 << _INPUT_BITS) + F.row_number().over(by_parts),
    ).withColumn(SOURCE, F.concat(F.lit(str(PurePosixPath(path)) + "/"), F.col("_rel")))
    decoded = files.select("_rel", "content", SOURCE, ROW_INDEX).mapInArrow(
        decode_articles, from_arrow_schema(ARTICLES)
    )
    good = decoded.filter(F.col(DETAIL).isNull()).select(DOC_ID, TEXT, SOURCE, ROW_INDEX)
    bad = decoded.filter(F.col(DETAIL).isNotNull()).select(
        DOC_ID, F.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON), DETAIL, ROW_INDEX
    )
    return good, bad


def _to_corpus(frame: DataFrame, config: InputConfig, name: str) -> tuple[DataFrame, DataFrame]:
    """Map the id and text fields to ``doc_id`` and ``text``; split off invalid records."""
    columns = [c for c in frame.columns if c not in (SOURCE, ROW_INDEX)]
    if config.text_column not in columns:
        raise missing_text(config, name, columns)
    if config.id_column is not None and config.id_column not in columns:
        raise missing_id(config, name, columns)
    id_column = config.id_column or next((c for c in _ID_CANDIDATES if c in columns), None)
    renames = {config.text_column: TEXT}
    if id_column is not None and id_column != DOC_ID:
        if DOC_ID in columns:
            frame = frame.withColumnRenamed(DOC_ID, f"{DOC_ID}_original")
        renames[id_column] = DOC_ID
    if config.text_column != TEXT and TEXT in columns:
        frame = frame.withColumnRenamed(TEXT, f"{TEXT}_original")
    for old, new in renames.items():
        frame = frame.withColumnRenamed(old, new)
    if id_column is None:
        frame = frame.withColumn(DOC_ID, F.col(SOURCE))
    frame = frame.withColumn(DOC_ID, F.col(DOC_ID).cast("string")).withColumn(
        TEXT, F.col(TEXT).cast("string")
    )
    # A record without an id (null or blank) is named by its FILE:LINE, as the local reader does.
    blank = F.col(DOC_ID).isNull() | F.col(DOC_ID).rlike(r"^\s*$")
    frame = frame.withColumn(DOC_ID, F.when(blank, F.col(SOURCE)).otherwise(F.col(DOC_ID)))
    problem = F.when(
        F.col(TEXT).isNull(),
        F.concat(F.col(SOURCE), F.lit(f": field '{config.text_column}' is null or missing")),
    )
    frame = frame.withColumn(DETAIL, problem)
    invalid = frame.filter(F.col(DETAIL).isNotNull()).select(
        F.coalesce(DOC_ID, SOURCE).alias(DOC_ID),
        F.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
        DETAIL,
        ROW_INDEX,
    )
    return frame.filter(F.col(DETAIL).isNull()).drop(DETAIL), invalid


def _repeated_ids(good: DataFrame) -> tuple[DataFrame, DataFrame]:
    """The first record of each id stays; later ones are invalid, naming the first.

    Only ids, rows and sources are shuffled, never the text.
    """
    keys = good.select(DOC_ID, ROW_INDEX, SOURCE)
    first = F.min(F.struct(ROW_INDEX, SOURCE)).alias("_first")
    shared = keys.groupBy(DOC_ID).agg(first, F.count(F.lit(1)).alias("_n")).filter("_n > 1")
    later = keys.join(shared, on=DOC_ID).filter(F.col(ROW_INDEX) != F.col(f"_first.{ROW_INDEX}"))
    repeated = later.select(
        DOC_ID,
        F.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
        F.concat(
            F.col(SOURCE),
            F.lit(": doc_id '"),
            F.col(DOC_ID),
            F.lit("' repeats the id of "),
            F.col(f"_first.{SOURCE}"),
            F.lit("; ids must be unique (or leave out --id-column)"),
        ).alias(DETAIL),
        ROW_INDEX,
    )
    return good.join(repeated.select(ROW_INDEX), on=ROW_INDEX, how="left_anti"), repeated


def read_inputs(
    spark: SparkSession, inputs: list[str], config: InputConfig
) -> tuple[DataFrame, DataFrame]:
    """Read the inputs as one corpus: usable documents and invalid records.

    Returns:
        ``(documents, invalid)``: documents have ``_row``, ``doc_id``, ``text`` and every other
        field; invalid records have ``doc_id``, ``reason``, ``detail`` and ``_row``.

    Raises:
        InputError: an input does not exist, or is of a kind the Spark engine cannot read.
        SchemaError: an input lacks the text column or the requested id column.
    """
    if not inputs:
        raise InputError("no inputs given; pass a folder, a .jsonl or .parquet file")
    # Splits of at most 32 MB (about 8,000 news articles): enough of them to keep every core
    # busy in the per-batch passes without a shuffle.
    split = spark.conf.get("spark.sql.files.maxPartitionBytes") or "128m"
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(min(_bytes(split), 32 << 20)))
    try:
        return _read_all(spark, inputs, config)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", split)


def _bytes(size: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = size.strip().lower().rstrip("b")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _read_all(
    spark: SparkSession, inputs: list[str], config: InputConfig
) -> tuple[DataFrame, DataFrame]:
    documents: list[DataFrame] = []
    invalid: list[DataFrame] = []
    for index, path in enumerate(inputs):
        kind = _kind(path)
        _check_exists(spark, path)
        if kind == "folder":
            good, bad = _folder(spark, path, index)
            documents.append(good)
            invalid.append(bad)
            continue
        if kind == "jsonl":
            records, problems = _jsonl(spark, path, index)
            invalid.append(problems)
        else:
            records = _parquet(spark, path, index)
        good, bad = _to_corpus(records, config, path)
        documents.append(good)
        invalid.append(bad)
    corpus = documents[0]
    for more in documents[1:]:
        corpus = corpus.unionByName(more, allowMissingColumns=True)
    rejected = invalid[0]
    for more in invalid[1:]:
        rejected = rejected.unionByName(more)
    corpus, repeated = _repeated_ids(corpus)
    columns = [c for c in corpus.columns if c not in (SOURCE, ROW_INDEX)]
    rejected = rejected.unionByName(repeated)
    # Both tables come from one plan, so it is computed once: documents and invalid records
    # together (the latter's ledger in a struct, away from pass-through columns of that name).
    problem = F.struct(DROP_REASON, DETAIL).alias(_PROBLEM)
    both = materialize(
        corpus.select(
            ROW_INDEX,
            *columns,
            F.lit(None).cast(rejected.select(problem).schema[0].dataType).alias(_PROBLEM),
        ).unionByName(rejected.select(ROW_INDEX, DOC_ID, problem), allowMissingColumns=True)
    )
    kept = both.filter(F.col(_PROBLEM).isNull()).select(ROW_INDEX, *columns)
    problems = both.filter(F.col(_PROBLEM).isNotNull()).select(
        DOC_ID, f"{_PROBLEM}.{DROP_REASON}", f"{_PROBLEM}.{DETAIL}", ROW_INDEX
    )
    return kept, problems
