"""Arrow glue of the Spark engine: its column names and schemas, and Arrow <-> Polars/NumPy.

Spark has no unsigned types, so uint32 shingle hashes and signatures travel as ``array<int>``
and uint64 keys as ``bigint``, bit for bit; these functions convert both ways.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dedupe.duplicates.minhash import EMPTY_HASH
from dedupe.schema import (
    CLUSTER_ID,
    CONTENT_KEY,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    LEAD_SIGNATURE,
    LENGTH,
    LINE,
    LINE_NO,
    MATCHED,
    MEASURE,
    ROW_INDEX,
    RULE,
    SIMILARITY,
    TEXT,
)

U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]
Batches = Iterator[pa.RecordBatch]


HASHES = "_hashes"
LEADS = "_leads"
SIGNATURE = "_signature"
OPENING = LEAD_SIGNATURE  # the opening's signature (dedupe.duplicates.leads)
FACTS = "_facts"  # the facts of a document in a verified pair (dedupe.duplicates.facts)
FILLED = "_filled"  # the document has shingles: it can be an LSH candidate
REMOVED = "_removed"  # the document's removed lines, as a list of structs
LEARNED_COUNTS = "_learned_counts"  # a batch's removals per learned key, on its first row only
SCORED = "_scored"  # scored candidate pairs whose left side is this document
OTHER = "_other"
PASSED = "_passed"
# The shingle sets' Jaccard and containment of a scored pair (duplicates.near.PairScores).
JACCARD = "_jaccard"
CONTAINMENT = "_containment"
KEEPER = "_keeper"

INT_LIST = pa.list_(pa.int32())
STATISTICS = pa.schema(
    [
        ("_scope", pa.string()),
        ("_article", pa.int64()),
        ("_key_hash", pa.int64()),
        ("_occurrences", pa.int64()),
        ("_key", pa.string()),
    ]
)
ARTICLES = pa.schema(
    [
        (DOC_ID, pa.string()),
        (TEXT, pa.string()),
        (DETAIL, pa.string()),
        ("_source", pa.string()),
        (ROW_INDEX, pa.int64()),
    ]
)
JSON_PROBLEMS = pa.schema(
    [
        (DOC_ID, pa.string()),
        (DROP_REASON, pa.string()),
        (DETAIL, pa.string()),
        (ROW_INDEX, pa.int64()),
    ]
)
SKELETONS = pa.schema(
    [
        ("_key_hash", pa.int64()),
        ("_key", pa.string()),
        ("_chars", pa.int64()),
        ("_skeleton", pa.string()),
    ]
)
REMOVED_TYPE = pa.list_(
    pa.struct([(LINE_NO, pa.int32()), (LINE, pa.string()), (RULE, pa.string())])
)
LEARNED_COUNTS_TYPE = pa.list_(
    pa.struct(
        [
            (RULE, pa.string()),
            ("scope", pa.string()),
            ("_key_hash", pa.int64()),
            ("removed_lines", pa.int64()),
        ]
    )
)
CLEANED_FIELDS = [
    (DROP_REASON, pa.string()),
    (LENGTH, pa.int64()),
    (CONTENT_KEY, pa.int64()),
    (FILLED, pa.bool_()),
    (HASHES, INT_LIST),
    (LEADS, INT_LIST),
    (SIGNATURE, INT_LIST),
    (OPENING, INT_LIST),
    (REMOVED, REMOVED_TYPE),
    (LEARNED_COUNTS, LEARNED_COUNTS_TYPE),
]
BANDS = pa.schema([("_band", pa.int32()), ("_band_hash", pa.int64()), (ROW_INDEX, pa.int64())])
PAIRS = pa.schema([("left", pa.int64()), ("right", pa.int64())])
FACTS_ARROW = pa.list_(pa.struct([("place", pa.string()), ("fact", pa.string())]))
FACT_ROWS = pa.schema([(ROW_INDEX, pa.int64()), (FACTS, FACTS_ARROW)])
SCORES = pa.schema(
    [
        ("left", pa.int64()),
        ("right", pa.int64()),
        (PASSED, pa.bool_()),
        (SIMILARITY, pa.float64()),
        (JACCARD, pa.float64()),
        (CONTAINMENT, pa.float64()),
    ]
)
EXACT = pa.schema([(ROW_INDEX, pa.int64()), (KEEPER, pa.int64())])
CLUSTER_ROWS = pa.schema(
    [
        (CLUSTER_ID, pa.string()),
        (DOC_ID, pa.string()),
        ("canonical", pa.bool_()),
        (DROP_REASON, pa.string()),
        (MATCHED, pa.string()),
        (MEASURE, pa.string()),
        (SIMILARITY, pa.float64()),
        ("_order", pa.int64()),
        ("_position", pa.int64()),
    ]
)
SCORED_TYPE = pa.list_(
    pa.struct(
        [
            (OTHER, pa.int64()),
            (PASSED, pa.bool_()),
            (SIMILARITY, pa.float64()),
            (JACCARD, pa.float64()),
            (CONTAINMENT, pa.float64()),
        ]
    )
)


def frame_of(data: pa.RecordBatch | pa.Table) -> pl.DataFrame:
    """A Polars frame of an Arrow batch or table (zero-copy where Arrow allows)."""
    frame = pl.from_arrow(data)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a batch is always a table
        raise TypeError("expected a table")
    return frame


def batch_of(frame: pl.DataFrame, schema: pa.Schema) -> pa.RecordBatch:
    """The columns of ``schema`` from ``frame`` as one record batch of exactly those types.

    Unsigned integers are cast to the signed type of the same width bit for bit.
    """
    table = frame.select(schema.names).to_arrow()
    arrays = [pc.cast(table.column(f.name).combine_chunks(), f.type, safe=False) for f in schema]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def signed(values: npt.NDArray[np.uint64] | U32Array) -> pa.Array:
    """An Arrow array of unsigned NumPy values as the signed type of the same width, bit for bit."""
    return pa.array(values.view(np.int64 if values.dtype == np.uint64 else np.int32))


def list_array(offsets: I64Array, values: U32Array) -> pa.Array:
    """A Spark ``array<int>`` column from offsets into uint32 values (bits kept)."""
    return pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32)), pa.array(values.view(np.int32))
    )


def sets_of(column: pa.Array | pa.ChunkedArray) -> tuple[I64Array, U32Array]:
    """Offsets and uint32 values of an ``array<int>`` column; a null list is an empty set."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    sizes = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(column) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    values = column.flatten().to_numpy(zero_copy_only=False).astype(np.int32).view(np.uint32)
    return offsets, values


def signatures_of(column: pa.Array | pa.ChunkedArray, num_perm: int) -> U32Array:
    """The ``(n, num_perm)`` signatures of an ``array<int>`` column; a null is the empty one."""
    offsets, values = sets_of(column)
    signatures = np.full((len(offsets) - 1, num_perm), EMPTY_HASH, dtype=np.uint32)
    has = np.diff(offsets) == num_perm
    signatures[has] = values.reshape(-1, num_perm)
    return signatures
