"""The work Spark hands to Python: local stage functions applied to Arrow batches and groups.

Each function here takes Arrow data as Spark passes it to ``mapInArrow`` (an iterator of
record batches) or ``applyInArrow`` (one table per group) and calls the functions the local
engine calls; nothing here decides anything the local stages do not. Unsigned values travel
through Spark, which has no unsigned types, as signed integers of the same bits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dedupe.canonical import rank_documents
from dedupe.clean import apply_learned, count_statistics, mark_lines, rewrite_texts
from dedupe.clusters import assign_canonicals
from dedupe.config import CleanConfig, ExactConfig, KeepConfig, NearConfig, PipelineConfig
from dedupe.exact import add_content_keys, mark_exact_duplicates
from dedupe.inputs import FALLBACK_ENCODING, _is_binary, _parse_jsonl_lines
from dedupe.learned import _MONTHS, count_learned_removals
from dedupe.ledger import add_cluster_columns, resolve_chains
from dedupe.lsh import _band_keys, _bucket_pairs
from dedupe.minhash import EMPTY_HASH
from dedupe.near import Fingerprints, PairScorer, _CachedCheck, _plausible, fingerprint
from dedupe.normalize import normalize_texts
from dedupe.pipeline import _mark_empty
from dedupe.schema import (
    CANONICAL_RANK,
    CONTENT_KEY,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    LENGTH,
    LINE,
    LINE_NO,
    NORMALIZED,
    ROW_INDEX,
    RULE,
    SIMILARITY,
    TEXT,
    DropReason,
)

U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]
Batches = Iterator[pa.RecordBatch]

# Columns the Spark engine adds to the documents (internal ones start with "_").
HASHES = "_hashes"
LEADS = "_leads"
SIGNATURE = "_signature"
FILLED = "_filled"  # the document has shingles: it can be an LSH candidate
REMOVED = "_removed"  # the document's removed lines, as a list of structs
LEARNED_COUNTS = "_learned_counts"  # a batch's removals per learned key, on its first row only
SCORED = "_scored"  # scored candidate pairs whose left side is this document
OTHER = "_other"
PASSED = "_passed"
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
    (REMOVED, REMOVED_TYPE),
    (LEARNED_COUNTS, LEARNED_COUNTS_TYPE),
]
BANDS = pa.schema([("_band", pa.int32()), ("_band_hash", pa.int64()), (ROW_INDEX, pa.int64())])
PAIRS = pa.schema([("left", pa.int64()), ("right", pa.int64())])
SCORES = pa.schema(
    [("left", pa.int64()), ("right", pa.int64()), (PASSED, pa.bool_()), (SIMILARITY, pa.float64())]
)
EXACT = pa.schema([(ROW_INDEX, pa.int64()), (KEEPER, pa.int64())])
SCORED_TYPE = pa.list_(
    pa.struct([(OTHER, pa.int64()), (PASSED, pa.bool_()), (SIMILARITY, pa.float64())])
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


def _signed(values: npt.NDArray[np.uint64] | U32Array) -> pa.Array:
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


# --- per batch (mapInArrow) ---------------------------------------------------------------


def line_statistics(batches: Batches, *, clean: CleanConfig) -> Batches:
    """Pass A: each batch's line rules of one document, reduced to learned-line statistics."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        statistics = count_statistics(mark_lines(frame_of(batch), clean), clean)
        yield batch_of(statistics, STATISTICS)


def decode_articles(batches: Batches) -> Batches:
    """Files of a folder of articles as documents, or invalid records, as locally read.

    One Python step per file, as the local reader: a file is one document.
    """
    for batch in batches:
        ids, texts, details = [], [], []
        for rel, data, source in zip(
            batch.column("_rel").to_pylist(),
            batch.column("content").to_pylist(),
            batch.column("_source").to_pylist(),
            strict=True,
        ):
            ids.append(PurePosixPath(rel).with_suffix("").as_posix())
            text, detail = None, None
            if not data.strip():
                detail = f"{source}: file is empty; remove it or give it text"
            elif _is_binary(data):
                detail = f"{source}: binary file, not text; remove it"
            else:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode(FALLBACK_ENCODING, errors="replace")
            texts.append(text)
            details.append(detail)
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(ids, pa.string()),
                pa.array(texts, pa.string()),
                pa.array(details, pa.string()),
                batch.column("_source"),
                batch.column(ROW_INDEX),
            ],
            schema=ARTICLES,
        )


def json_problems(batches: Batches) -> Batches:
    """JSON lines Spark could not parse, with the local reader's own message for each."""
    for batch in batches:
        ids, details = [], []
        for value, name, line in zip(
            batch.column("value").to_pylist(),
            batch.column("_name").to_pylist(),
            batch.column("_line").to_pylist(),
            strict=True,
        ):
            found = _parse_jsonl_lines(value.encode("utf-8"), name, line).invalid
            where = f"{name}:{line}"
            doc_id, detail = found[0] if found else (where, f"{where}: unreadable JSON; fix it")
            ids.append(doc_id)
            details.append(detail)
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(ids, pa.string()),
                pa.array([DropReason.INVALID_RECORD.value] * len(ids), pa.string()),
                pa.array(details, pa.string()),
                batch.column(ROW_INDEX),
            ],
            schema=JSON_PROBLEMS,
        )


def line_skeletons(batches: Batches) -> Batches:
    """Each distinct short line's length and letter skeleton, as ``dedupe.learned`` makes it."""
    key = pl.col("_key")
    skeleton = key.str.replace_all(_MONTHS, "").str.replace_all(r"[^\p{L}]+", "")
    for batch in batches:
        frame = frame_of(batch).with_columns(
            key.str.len_chars().alias("_chars"), skeleton.alias("_skeleton")
        )
        yield batch_of(frame, SKELETONS)


def _learned_counts(counts: pl.DataFrame | None, rows: int) -> pa.Array:
    """The batch's learned-line counts as a list on the first row, nulls on the others."""
    values = pa.array([], type=LEARNED_COUNTS_TYPE.value_type)
    size = 0
    if counts is not None and counts.height:
        table = counts.to_arrow()
        values = pa.StructArray.from_arrays(
            [
                pc.cast(table.column(f.name).combine_chunks(), f.type, safe=False)
                for f in LEARNED_COUNTS_TYPE.value_type
            ],
            fields=list(LEARNED_COUNTS_TYPE.value_type),
        )
        size = counts.height
    offsets = pa.array([0] + [size] * rows, type=pa.int32())
    mask = pa.array([False] + [True] * (rows - 1))
    return pa.ListArray.from_arrays(offsets, values, mask=mask)


def _removed_lists(corpus: pl.DataFrame, removed: pl.DataFrame) -> pa.Array:
    """Each document's removed lines (line order), as a list aligned with ``corpus``'s rows."""
    nested = removed.group_by(DOC_ID, maintain_order=True).agg(
        pl.struct(pl.col(LINE_NO).cast(pl.Int32), LINE, RULE).alias(REMOVED)
    )
    lists = corpus.select(DOC_ID).join(nested, on=DOC_ID, how="left", maintain_order="left")
    return pc.cast(lists.get_column(REMOVED).to_arrow(), REMOVED_TYPE)


def clean_and_fingerprint(
    batches: Batches,
    *,
    config: PipelineConfig,
    learned: pl.DataFrame | None,
    schema: pa.Schema,
) -> Batches:
    """Pass B: finish cleaning, mark emptied documents, normalize, key and fingerprint.

    The same steps, in the same order, as the local pipeline's second pass. Every input
    column passes through (``text`` rewritten); the added columns are ``CLEANED_FIELDS``.
    """
    for batch in batches:
        if batch.num_rows == 0:
            continue
        corpus = frame_of(batch)
        counts = None
        removed = pl.DataFrame(schema={DOC_ID: pl.String, LINE_NO: pl.Int32, LINE: pl.String})
        removed = removed.with_columns(pl.lit(None, pl.String).alias(RULE))
        if config.clean.enabled and learned is not None:
            lines = apply_learned(mark_lines(corpus, config.clean), learned, config.clean)
            cleaned = rewrite_texts(corpus, lines, learned)
            corpus, removed = cleaned.corpus, cleaned.removed_lines
            counts = count_learned_removals(lines.filter(pl.col(RULE).is_not_null()))
        frame = _mark_empty(
            corpus.with_columns(
                pl.lit(None, pl.String).alias(DROP_REASON),
                pl.lit(None, pl.String).alias(DUPLICATE_OF),
                pl.lit(None, pl.Float64).alias(SIMILARITY),
                pl.lit(None, pl.String).alias(DETAIL),
            )
        )
        frame = add_content_keys(
            frame.with_columns(
                pl.when(pl.col(DROP_REASON).is_null())
                .then(normalize_texts(frame.get_column(TEXT)))
                .otherwise(pl.lit(""))
                .alias(NORMALIZED),
                pl.col(TEXT).str.len_chars().alias(LENGTH),
            )
        )
        columns: dict[str, pa.Array] = {
            name: batch.column(name) for name in batch.schema.names if name != TEXT
        }
        columns[TEXT] = frame.get_column(TEXT).to_arrow()
        columns[DROP_REASON] = frame.get_column(DROP_REASON).to_arrow()
        columns[LENGTH] = frame.get_column(LENGTH).to_arrow()
        columns[CONTENT_KEY] = _signed(frame.get_column(CONTENT_KEY).to_numpy())
        if config.near.enabled:
            prints = fingerprint(frame.get_column(NORMALIZED), config.near)
            n = len(prints)
            columns[FILLED] = pa.array((prints.signatures != EMPTY_HASH).any(axis=1))
            columns[HASHES] = list_array(prints.offsets, prints.hashes)
            columns[LEADS] = list_array(prints.lead_offsets, prints.lead_hashes)
            step = config.near.num_perm
            columns[SIGNATURE] = list_array(
                np.arange(0, n * step + 1, step, dtype=np.int64), prints.signatures.ravel()
            )
        else:
            columns[FILLED] = pa.nulls(frame.height, pa.bool_())
            for name in (HASHES, LEADS, SIGNATURE):
                columns[name] = pa.nulls(frame.height, INT_LIST)
        columns[REMOVED] = _removed_lists(frame, removed)
        columns[LEARNED_COUNTS] = _learned_counts(counts, frame.height)
        yield pa.RecordBatch.from_arrays(
            [pc.cast(columns[f.name], f.type, safe=False) for f in schema], schema=schema
        )


def band_keys(batches: Batches, *, bands: int, rows: int, num_perm: int) -> Batches:
    """Each document's LSH band keys, one row per (band, key), as the local banding hashes them."""
    for batch in batches:
        signatures = signatures_of(batch.column(SIGNATURE), num_perm)
        docs = np.arange(len(signatures), dtype=np.int64)
        row_ids = batch.column(ROW_INDEX).to_numpy(zero_copy_only=False).astype(np.int64)
        for band in range(bands):
            keys = _band_keys(signatures, docs, band, rows)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(np.full(len(docs), band, dtype=np.int32)),
                    pa.array(keys.view(np.int64)),
                    pa.array(row_ids),
                ],
                schema=BANDS,
            )


def bucket_pairs(batches: Batches) -> Batches:
    """Candidate pairs of LSH buckets (ascending members), all pairs or a star as locally."""
    for batch in batches:
        members = batch.column("_members")
        sizes = pc.list_value_length(members).to_numpy(zero_copy_only=False).astype(np.int64)
        flat = members.flatten().to_numpy(zero_copy_only=False).astype(np.int64)
        left, right = _bucket_pairs(flat, sizes)
        yield pa.RecordBatch.from_arrays([pa.array(left), pa.array(right)], schema=PAIRS)


def _pair_prints(batch: pa.RecordBatch, num_perm: int) -> Fingerprints:
    """Fingerprints of a batch of pairs: the left documents, then the right documents."""
    parts = []
    for side in ("l", "r"):
        offsets, hashes = sets_of(batch.column(f"{side}{HASHES}"))
        lead_offsets, lead_hashes = sets_of(batch.column(f"{side}{LEADS}"))
        signatures = signatures_of(batch.column(f"{side}{SIGNATURE}"), num_perm)
        parts.append(Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures))
    left, right = parts
    return Fingerprints(
        np.concatenate([left.offsets, right.offsets[1:] + left.offsets[-1]]),
        np.concatenate([left.hashes, right.hashes]),
        np.concatenate([left.lead_offsets, right.lead_offsets[1:] + left.lead_offsets[-1]]),
        np.concatenate([left.lead_hashes, right.lead_hashes]),
        np.concatenate([left.signatures, right.signatures]),
    )


def score_candidates(batches: Batches, *, near: NearConfig) -> Batches:
    """Verify candidate pairs as the local stage does: MinHash pre-filter, then the scorer.

    Pairs the pre-filter drops are not returned (the local stage never scores them).
    """
    for batch in batches:
        k = batch.num_rows
        if k == 0:
            continue
        prints = _pair_prints(batch, near.num_perm)
        left = np.arange(k, dtype=np.int64)
        right = left + k
        keep = np.ones(k, dtype=bool)
        if near.verify:
            keep = _plausible(prints, left, right, near)
        offsets, hashes = prints.combined()
        scorer = PairScorer(near, 2 * k, offsets, hashes, prints.signatures)
        passed, similarity = scorer(left[keep], right[keep])
        rows = [batch.column(name).filter(pa.array(keep)) for name in ("left", "right")]
        yield pa.RecordBatch.from_arrays(
            [*rows, pa.array(passed), pa.array(similarity)], schema=SCORES
        )


# --- per group (applyInArrow) -------------------------------------------------------------


def exact_groups(table: pa.Table, *, keep: KeepConfig, exact: ExactConfig) -> pa.Table:
    """Rank and mark exact duplicates among complete groups of one content key (or several)."""
    frame = frame_of(table).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF), pl.lit(None, pl.Float64).alias(SIMILARITY)
    )
    marked = mark_exact_duplicates(rank_documents(frame, keep), exact)
    copies = marked.filter(pl.col(DUPLICATE_OF).is_not_null())
    keepers = marked.select(pl.col(DOC_ID).alias(DUPLICATE_OF), pl.col(ROW_INDEX).alias(KEEPER))
    pairs = copies.join(keepers, on=DUPLICATE_OF, how="left").select(ROW_INDEX, KEEPER)
    return pa.Table.from_batches([batch_of(pairs, EXACT)], schema=EXACT)


def _scored_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    """The scored candidate pairs carried by a group's rows: left row, right row, result."""
    return (
        frame.select(pl.col(ROW_INDEX).alias("left"), SCORED)
        .explode(SCORED)
        .drop_nulls(SCORED)
        .unnest(SCORED)
        .rename({OTHER: "right"})
    )


def _primed(
    scorer: PairScorer, left: I64Array, right: I64Array, scored: pl.DataFrame
) -> _CachedCheck:
    """A cached check that already knows the scores of the verification stage, as locally."""
    check = _CachedCheck(scorer)
    keys = (np.minimum(left, right).astype(np.uint64) << np.uint64(32)) | np.maximum(
        left, right
    ).astype(np.uint64)
    keys, first = np.unique(keys, return_index=True)
    check.keys = keys
    check.passed = scored.get_column(PASSED).to_numpy().astype(bool)[first]
    check.similarity = scored.get_column(SIMILARITY).to_numpy().astype(np.float64)[first]
    return check


def _mark_near(table: pl.DataFrame, groups: pa.Table, near: NearConfig) -> pl.DataFrame:
    """The near-duplicate decision of ``mark_near_duplicates`` on given verified pairs.

    The pairs come from the Spark stages (LSH, pre-filter and scores, as the local stage
    computes them); the decision is the local one: ``assign_canonicals`` with the same cached
    check, so each member passes against its cluster's canonical copy.
    """
    alive_rows = np.flatnonzero(table.get_column(DROP_REASON).is_null().to_numpy())
    alive = table[alive_rows]
    scored = _scored_pairs(alive)
    if scored.height == 0:
        return table
    row_ids = alive.get_column(ROW_INDEX).to_numpy()
    order = np.argsort(row_ids)
    sorted_ids = row_ids[order]

    def index(rows: pl.Series) -> I64Array:
        return np.asarray(order[np.searchsorted(sorted_ids, rows.to_numpy())], dtype=np.int64)

    left, right = index(scored.get_column("left")), index(scored.get_column("right"))
    taken = groups.take(pa.array(alive_rows))
    offsets, hashes = sets_of(taken.column(HASHES))
    lead_offsets, lead_hashes = sets_of(taken.column(LEADS))
    signatures = signatures_of(taken.column(SIGNATURE), near.num_perm)
    prints = Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures)
    combined_offsets, combined_hashes = prints.combined()
    scorer = PairScorer(near, alive.height, combined_offsets, combined_hashes, signatures)
    check = _primed(scorer, left, right, scored)
    passed = scored.get_column(PASSED).to_numpy().astype(bool)
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity = assign_canonicals(
        alive.height, left[passed], right[passed], ranks, check
    )
    ids = alive.get_column(DOC_ID)
    is_copy = canonical != np.arange(alive.height)
    marks = pl.DataFrame(
        {
            DOC_ID: ids.filter(pl.Series(is_copy)),
            "_near_of": ids.gather(canonical[is_copy]),
            "_near_similarity": similarity[is_copy],
        }
    )
    marked = table.join(marks, on=DOC_ID, how="left", maintain_order="left")
    is_near = pl.col("_near_of").is_not_null()
    return marked.with_columns(
        pl.coalesce(
            DROP_REASON, pl.when(is_near).then(pl.lit(DropReason.NEAR_DUPLICATE.value))
        ).alias(DROP_REASON),
        pl.coalesce(DUPLICATE_OF, "_near_of").alias(DUPLICATE_OF),
        pl.coalesce(SIMILARITY, "_near_similarity").alias(SIMILARITY),
    ).drop("_near_of", "_near_similarity")


def decide_groups(table: pa.Table, *, config: PipelineConfig, schema: pa.Schema) -> pa.Table:
    """The corpus-wide decisions on complete duplicate components, with the local functions.

    ``table`` holds every document of some connected components of exact and verified near
    pairs (and lone documents): rank, exact, near, chains and cluster columns run on it as the
    local engine runs them on the whole corpus, which gives the same answer for these rows.
    """
    prints = table.select([HASHES, LEADS, SIGNATURE])
    frame = frame_of(table.drop_columns([HASHES, LEADS, SIGNATURE])).with_columns(
        pl.lit(None, pl.String).alias(DUPLICATE_OF),
        pl.lit(None, pl.Float64).alias(SIMILARITY),
    )
    frame = mark_exact_duplicates(rank_documents(frame, config.keep), config.exact)
    if config.near.enabled:
        frame = _mark_near(frame, prints, config.near)
    frame = add_cluster_columns(resolve_chains(frame.drop(SCORED)), config.keep)
    return pa.Table.from_batches([batch_of(frame, schema)], schema=schema)
