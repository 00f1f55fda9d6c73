"""The per-batch work Spark hands to Python (``mapInArrow``): local stages on Arrow batches.

Each function takes an iterator of record batches, as Spark passes them, and calls the
functions the local engine calls; nothing here decides anything the local stages do not.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dedupe.clean.learned import count_learned_removals, line_skeleton
from dedupe.clean.phases import apply_learned, count_statistics, mark_lines, rewrite_texts
from dedupe.config import CleanConfig, NearConfig, PipelineConfig
from dedupe.duplicates import lsh
from dedupe.duplicates.facts import fact_places
from dedupe.duplicates.fingerprints import Fingerprints, fingerprint
from dedupe.duplicates.leads import LEAD_PERM, opening_signatures
from dedupe.duplicates.minhash import EMPTY_HASH
from dedupe.duplicates.near import PairScorer, is_plausible
from dedupe.engines.local.passes import key_batch
from dedupe.engines.spark.arrow import (
    ARTICLES,
    BANDS,
    FACT_ROWS,
    FACTS,
    FILLED,
    HASHES,
    INT_LIST,
    JSON_PROBLEMS,
    LEADS,
    LEARNED_COUNTS,
    LEARNED_COUNTS_TYPE,
    OPENING,
    PAIRS,
    REMOVED,
    REMOVED_TYPE,
    SCORES,
    SIGNATURE,
    SKELETONS,
    STATISTICS,
    Batches,
    batch_of,
    frame_of,
    list_array,
    sets_of,
    signatures_of,
    signed,
)
from dedupe.io.jsonl import parse_jsonl_lines
from dedupe.io.records import decode_text, document_problem
from dedupe.schema import (
    CONTENT_KEY,
    DOC_ID,
    DROP_REASON,
    LENGTH,
    LINE,
    LINE_NO,
    NORMALIZED,
    ROW_INDEX,
    RULE,
    TEXT,
    DropReason,
)


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
            problem = document_problem(data)
            if problem is not None:
                detail = f"{source}: {problem}"
            else:
                text, _ = decode_text(data)
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
            found = parse_jsonl_lines(value.encode("utf-8"), name, line).invalid
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
    """Each distinct short line's length and letter skeleton, as ``clean.learned`` makes it."""
    key = pl.col("_key")
    skeleton = line_skeleton("_key")
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
        frame = key_batch(corpus)
        columns: dict[str, pa.Array] = {
            name: batch.column(name) for name in batch.schema.names if name != TEXT
        }
        columns[TEXT] = frame.get_column(TEXT).to_arrow()
        columns[DROP_REASON] = frame.get_column(DROP_REASON).to_arrow()
        columns[LENGTH] = frame.get_column(LENGTH).to_arrow()
        columns[CONTENT_KEY] = signed(frame.get_column(CONTENT_KEY).to_numpy())
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
            openings = opening_signatures(
                frame.get_column(NORMALIZED), config.near, texts=frame.get_column(TEXT)
            )
            columns[OPENING] = list_array(
                np.arange(0, n * LEAD_PERM + 1, LEAD_PERM, dtype=np.int64), openings.ravel()
            )
        else:
            columns[FILLED] = pa.nulls(frame.height, pa.bool_())
            for name in (HASHES, LEADS, SIGNATURE, OPENING):
                columns[name] = pa.nulls(frame.height, INT_LIST)
        columns[REMOVED] = _removed_lists(frame, removed)
        columns[LEARNED_COUNTS] = _learned_counts(counts, frame.height)
        yield pa.RecordBatch.from_arrays(
            [pc.cast(columns[f.name], f.type, safe=False) for f in schema], schema=schema
        )


def band_keys(
    batches: Batches, *, bands: int, rows: int, num_perm: int, column: str = SIGNATURE
) -> Batches:
    """Each document's LSH band keys, one row per (band, key), as the local banding hashes them.

    ``column`` holds the signatures banded: the MinHash signature, or the opening's.
    """
    for batch in batches:
        signatures = signatures_of(batch.column(column), num_perm)
        docs = np.arange(len(signatures), dtype=np.int64)
        row_ids = batch.column(ROW_INDEX).to_numpy(zero_copy_only=False).astype(np.int64)
        for band in range(bands):
            keys = lsh.band_keys(signatures, docs, band, rows)
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
        left, right = lsh.bucket_pairs(flat, sizes)
        yield pa.RecordBatch.from_arrays([pa.array(left), pa.array(right)], schema=PAIRS)


def _pair_prints(batch: pa.RecordBatch, num_perm: int) -> Fingerprints:
    """Fingerprints of a batch of pairs: the left documents, then the right documents."""
    sides = []
    for side in ("l", "r"):
        offsets, hashes = sets_of(batch.column(f"{side}{HASHES}"))
        lead_offsets, lead_hashes = sets_of(batch.column(f"{side}{LEADS}"))
        signatures = signatures_of(batch.column(f"{side}{SIGNATURE}"), num_perm)
        sides.append(Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures))
    return Fingerprints.concat(sides, num_perm)


def score_candidates(batches: Batches, *, near: NearConfig) -> Batches:
    """Verify candidate pairs as the local stage does: MinHash pre-filter, then the scorer.

    Each pair comes with its answer, the similarity that decided and its Jaccard and
    containment (`PairScores`), which the decision reads rather than scoring the pair again.

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
            keep = is_plausible(prints, left, right, near)
        offsets, hashes = prints.combined()
        scorer = PairScorer(near, 2 * k, offsets, hashes, prints.signatures)
        scores = scorer.score(left[keep], right[keep])
        rows = [batch.column(name).filter(pa.array(keep)) for name in ("left", "right")]
        measures = [scores.passed, scores.similarity, scores.jaccard, scores.containment]
        yield pa.RecordBatch.from_arrays([*rows, *(pa.array(m) for m in measures)], schema=SCORES)


def document_facts(batches: Batches) -> Batches:
    """The facts of documents (``_row``, cleaned ``text``), as the local check finds them."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        facts = fact_places(frame_of(batch).get_column(TEXT))
        yield pa.RecordBatch.from_arrays(
            [batch.column(ROW_INDEX), pc.cast(facts.to_arrow(), FACT_ROWS.field(FACTS).type)],
            schema=FACT_ROWS,
        )
