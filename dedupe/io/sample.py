"""A seeded random sample of the records read, for quick tries on a big corpus (``--sample N``).

The sample is the ``n`` valid records whose ``doc_id`` hashes lowest (blake2b with a fixed
seed): the same inputs and ``n`` always give the same sample, a larger ``n`` holds a smaller
one's documents, and only ``n`` records (plus one batch) are held while reading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import polars as pl

from dedupe.io.read import ReadResult
from dedupe.schema import DOC_ID, ROW_INDEX

SAMPLE_SEED = b"dedupe-sample-1"
_KEY = "_sample_key"


def sample_key(doc_id: str) -> int:
    """The 63-bit rank of a document in every sample: lowest first."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8, key=SAMPLE_SEED).digest()
    return int.from_bytes(digest, "big") >> 1


def sample_batches(
    batches: Iterator[ReadResult], n: int, *, batch_size: int
) -> Iterator[ReadResult]:
    """Read every batch, keep the ``n`` valid records that rank lowest, yield them in order.

    Invalid records are not sampled (the sample's ledger counts only the sampled records).
    """
    chosen: pl.DataFrame | None = None
    fallback = 0
    for batch in batches:
        fallback += batch.decoded_with_fallback
        if batch.corpus.height == 0:
            continue
        keys = np.fromiter(
            (sample_key(i) for i in batch.corpus.get_column(DOC_ID)),
            dtype=np.int64,
            count=batch.corpus.height,
        )
        frame = batch.corpus.with_columns(pl.Series(_KEY, keys))
        both = frame if chosen is None else pl.concat([chosen, frame], how="diagonal_relaxed")
        chosen = both.sort(_KEY).head(n)
    if chosen is None:
        return
    chosen = chosen.sort(ROW_INDEX).drop(_KEY)
    invalid = pl.DataFrame(schema={"doc_id": pl.String, "reason": pl.String, "detail": pl.String})
    for start in range(0, chosen.height, batch_size):
        yield ReadResult(chosen.slice(start, batch_size), invalid, fallback if start == 0 else 0)
