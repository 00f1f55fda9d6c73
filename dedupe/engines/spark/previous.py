"""``--against`` on Spark: an earlier output's canonical documents in, this output's state out.

The state folder is the local engine's (``dedupe.io.state``), so either engine's output can be
run against. It is read on the driver, chunk by chunk, into one Spark table of keys and
fingerprints (what the local engine holds of it too: no text); it is written by the executors,
one chunk per Arrow batch of the kept documents, each chunk's Parquet files passing through the
driver one at a time.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from dedupe.config import NearConfig
from dedupe.duplicates.fingerprints import Fingerprints
from dedupe.duplicates.leads import LEAD_PERM, corpus_opening_signatures
from dedupe.duplicates.minhash import EMPTY_HASH
from dedupe.engines.spark.arrow import (
    FILLED,
    HASHES,
    LEADS,
    OPENING,
    SIGNATURE,
    Batches,
    frame_of,
    list_array,
    sets_of,
    signatures_of,
    signed,
)
from dedupe.io.state import check_meta, meta, read_state_chunks, read_state_meta, state_tables
from dedupe.schema import CONTENT_KEY, DOC_ID, DROP_REASON, LENGTH, PREVIOUS, ROW_INDEX

STATE_FILES = pa.schema([("_name", pa.string()), ("_data", pa.binary())])


def previous_documents(
    spark: SparkSession, against: Path, near: NearConfig, like: DataFrame
) -> DataFrame:
    """The canonical documents of an earlier output, as rows of the cleaned table ``like``.

    They carry ``_previous`` (true), keys, ranking columns and fingerprints; their ``_row`` is
    negative, below every input record's, and their text is null.

    Raises:
        ConfigError: the earlier output was built with other near-duplicate settings.
        InputError: it has no state, or a damaged one.
    """
    check_meta(read_state_meta(against), near, origin=str(against))
    tables = []
    start = 0
    for documents, prints in read_state_chunks(against, near):
        n = documents.height
        columns: dict[str, pa.Array] = {
            name: documents.get_column(name).to_arrow()
            for name in documents.columns
            if name not in (LENGTH, CONTENT_KEY, OPENING)
        }
        # The openings' signatures as the local engine reads them (the state's column, else
        # signed from the lead sets), bits kept in Spark's array<int>.
        openings = corpus_opening_signatures(documents, prints, np.arange(n), near)
        columns[OPENING] = list_array(
            np.arange(0, n * LEAD_PERM + 1, LEAD_PERM, dtype=np.int64), openings.ravel()
        )
        columns[ROW_INDEX] = pa.array(-np.arange(start + 1, start + n + 1, dtype=np.int64))
        columns[LENGTH] = pa.array(documents.get_column(LENGTH).cast(pl.Int64).to_numpy())
        columns[CONTENT_KEY] = signed(documents.get_column(CONTENT_KEY).to_numpy())
        columns[FILLED] = pa.array((prints.signatures != EMPTY_HASH).any(axis=1))
        columns[HASHES] = list_array(prints.offsets, prints.hashes)
        columns[LEADS] = list_array(prints.lead_offsets, prints.lead_hashes)
        step = near.num_perm
        columns[SIGNATURE] = list_array(
            np.arange(0, n * step + 1, step, dtype=np.int64), prints.signatures.ravel()
        )
        tables.append(pa.table(columns))
        start += n
    found = pa.concat_tables(tables, promote_options="permissive") if tables else None
    types = dict(like.dtypes)
    if found is None or found.num_rows == 0:
        return like.limit(0)
    previous = spark.createDataFrame(found)
    shared = [
        F.col(c).cast(types[c]).alias(c) if c in types else F.col(c) for c in previous.columns
    ]
    return (
        previous.select(*shared)
        .withColumn(PREVIOUS, F.lit(True))
        .withColumn(DROP_REASON, F.lit(None).cast("string"))
    )


def _state_parts(batches: Batches, *, num_perm: int) -> Batches:
    """Each batch of kept documents as the Parquet files of one state chunk."""
    from pyspark import TaskContext

    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    for number, batch in enumerate(batches):
        if batch.num_rows == 0:
            continue
        offsets, hashes = sets_of(batch.column(HASHES))
        lead_offsets, lead_hashes = sets_of(batch.column(LEADS))
        signatures = signatures_of(batch.column(SIGNATURE), num_perm)
        prints = Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures)
        documents = frame_of(batch.drop_columns([HASHES, LEADS, SIGNATURE])).with_columns(
            pl.col(LENGTH).cast(pl.UInt32),
            pl.col(CONTENT_KEY).cast(pl.Int64).reinterpret(signed=False),
            # As the local engine keeps it: uint32 values, LEAD_PERM of them.
            pl.col(OPENING)
            .list.eval(pl.element().cast(pl.Int32).reinterpret(signed=False))
            .list.to_array(LEAD_PERM),
        )
        names, blobs = [], []
        for stem, frame in state_tables(documents, prints).items():
            buffer = io.BytesIO()
            frame.write_parquet(buffer, statistics=False)
            names.append(f"{stem}-{partition:05d}-{number:05d}.parquet")
            blobs.append(buffer.getvalue())
        yield pa.RecordBatch.from_arrays(
            [pa.array(names, pa.string()), pa.array(blobs, pa.binary())], schema=STATE_FILES
        )


def write_state(
    spark: SparkSession, kept: DataFrame, rank_columns: list[str], near: NearConfig, folder: Any
) -> None:
    """Write ``state/`` of the kept documents (``kept`` has keys and fingerprints) into ``folder``.

    ``folder`` is a Hadoop path (the output's workspace); the files are the local engine's.
    """
    jvm = spark._jvm
    if jvm is None:  # pragma: no cover - a live session always has its JVM
        raise RuntimeError("the Spark session has no JVM")
    state = jvm.org.apache.hadoop.fs.Path(folder, "state")
    fs = state.getFileSystem(spark._jsc.hadoopConfiguration())
    fs.mkdirs(state)
    columns = [DOC_ID, LENGTH, CONTENT_KEY, *rank_columns, HASHES, LEADS, SIGNATURE, OPENING]

    def parts(batches: Batches) -> Batches:
        return _state_parts(batches, num_perm=near.num_perm)

    files = kept.select(*columns).mapInArrow(parts, from_arrow_schema(STATE_FILES))
    # Parts are numbered 00000, 00001, ... as the local engine numbers its chunks (a later run
    # checks that none is missing): each (partition, number) of the workers gets the next one.
    chunks: dict[str, int] = {}
    for row in files.toLocalIterator():
        stem, key = row["_name"].split("-", 1)
        index = chunks.setdefault(key, len(chunks))
        name = f"{stem}-{index:05d}.parquet"
        _write_bytes(fs, jvm.org.apache.hadoop.fs.Path(state, name), bytes(row["_data"]))
    text = json.dumps({**meta(near), "chunks": len(chunks)}, indent=2) + "\n"
    _write_bytes(fs, jvm.org.apache.hadoop.fs.Path(state, "meta.json"), text.encode("utf-8"))


def _write_bytes(fs: Any, path: Any, data: bytes) -> None:
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()
