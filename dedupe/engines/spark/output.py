"""The Spark engine's output folder on any Hadoop file system: checks and atomic publication.

The tables and ``report.json`` are written into a hidden folder beside the output and renamed
into place when complete, as the local engine does, through Hadoop's ``FileSystem`` (local,
HDFS, or an object store connector).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from dedupe.config import PipelineConfig
from dedupe.engines.spark.session import jvm_of
from dedupe.errors import InputError


def hadoop_path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """Hadoop's FileSystem for ``path`` and the path, qualified (``file:/...``, ``s3a://...``)."""
    jvm = jvm_of(spark)
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark._jsc.hadoopConfiguration())
    return fs, fs.makeQualified(hadoop_path)


def check_output(spark: SparkSession, output: str, inputs: list[str], *, force: bool) -> None:
    """Refuse an output folder that overlaps an input, or that is not empty without ``force``.

    Raises:
        InputError: the folder would overwrite or mix with data the user did not ask to replace.
    """
    fs, target = hadoop_path(spark, output)
    target_text = str(target.toString()).rstrip("/")
    for item in inputs:
        source = str(hadoop_path(spark, item)[1].toString()).rstrip("/")
        if (
            source == target_text
            or source.startswith(target_text + "/")
            or target_text.startswith(source + "/")
        ):
            raise InputError(
                f"output folder '{output}' overlaps input '{item}'; choose an output folder "
                "outside the inputs"
            )
    if fs.exists(target):
        if not fs.getFileStatus(target).isDirectory():
            raise InputError(f"output '{output}' exists and is not a folder; choose another path")
        if len(fs.listStatus(target)) and not force:
            raise InputError(
                f"output folder '{output}' is not empty; pass force=True to replace it or choose "
                "another"
            )


def write_output(
    spark: SparkSession,
    output: str,
    tables: dict[str, DataFrame],
    report: dict[str, Any],
    config: PipelineConfig,
    state: Callable[[Any], None] | None = None,
) -> None:
    """Write the tables and report.json into a hidden folder beside ``output``, then rename it.

    ``state``, given the workspace's Hadoop path, writes the ``state/`` folder into it.
    """
    fs, target = hadoop_path(spark, output)
    jvm = jvm_of(spark)
    parent = target.getParent()
    token = uuid.uuid4().hex[:12]
    workspace = jvm.org.apache.hadoop.fs.Path(parent, f".{target.getName()}.tmp-{token}")
    root = str(workspace.toString())
    try:
        for stem, frame in tables.items():
            if stem == "corpus" and config.output.format == "jsonl":
                frame.write.option("ignoreNullFields", "false").json(f"{root}/corpus.jsonl")
            else:
                frame.write.parquet(f"{root}/{stem}.parquet")
        if state is not None:
            state(workspace)
        stream = fs.create(jvm.org.apache.hadoop.fs.Path(workspace, "report.json"), True)
        text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
        stream.write(bytearray(text.encode("utf-8")))
        stream.close()
        remove_markers(workspace)
        old = jvm.org.apache.hadoop.fs.Path(parent, f".{target.getName()}.old-{token}")
        if fs.exists(target):
            fs.rename(target, old)
        if not fs.rename(workspace, target):
            raise InputError(f"cannot rename the finished output into '{output}'")
        fs.delete(old, True)
    finally:
        if fs.exists(workspace):
            fs.delete(workspace, True)


def remove_markers(folder: Any) -> None:
    """Delete the checksum files (``.name.crc``) Hadoop's local file system writes beside each file.

    Polars, pyarrow and DuckDB read a folder's every file as data; Hadoop's own readers read the
    parts without their checksums too. Other file systems (HDFS, object stores) write none.
    """
    uri = folder.toUri()
    if str(uri.getScheme() or "file") != "file":
        return
    for path in Path(str(uri.getPath())).rglob(".*.crc"):
        path.unlink()
