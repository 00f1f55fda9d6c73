"""LSH banding of MinHash signatures: choosing (bands, rows) and finding candidate pairs.

Documents whose signatures agree on every row of at least one band become a candidate pair.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.duplicates.minhash import EMPTY_HASH
from dedupe.kernels import kernel, use_kernels

__all__ = ["band_key_matrix", "band_keys", "find_candidate_pairs", "optimal_bands_rows"]

logger = logging.getLogger(__name__)

# Every candidate is verified against the true shingle sets, so a false positive costs one cheap
# check while a false negative is a duplicate lost for good: weigh misses three times as much.
FALSE_POSITIVE_WEIGHT = 0.25
FALSE_NEGATIVE_WEIGHT = 0.75
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT29 = np.uint64(29)

PAIR_SCHEMA = {"left": pl.UInt32, "right": pl.UInt32}


@lru_cache(maxsize=64)
def optimal_bands_rows(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = FALSE_POSITIVE_WEIGHT,
    false_negative_weight: float = FALSE_NEGATIVE_WEIGHT,
) -> tuple[int, int]:
    """Return the ``(bands, rows)`` that minimize the weighted LSH error at a Jaccard threshold.

    This is datasketch's ``MinHashLSH`` rule: the weighted sum of the integrated false positive
    probability below ``threshold`` and false negative probability above it. The default weights
    favour recall (misses weigh 3:1) because every candidate is verified afterwards: a false
    positive costs one exact check, a false negative loses a duplicate.

    The integrals are computed exactly: ``1 - (1 - s**r)**b`` is a polynomial of degree
    ``b * r <= num_perm``, which Gauss-Legendre quadrature with ``num_perm // 2 + 1`` nodes
    integrates without error (datasketch calls SciPy's adaptive ``quad`` once per pair, and
    importing SciPy alone took half a second of every run). Candidates are tried in datasketch's
    order and the first least error wins, so the choice is the same (a test compares them).

    Example:
        >>> optimal_bands_rows(0.5, 128)
        (26, 4)
    """
    pairs = np.array(
        [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)],
        dtype=np.float64,
    )
    bands, rows = pairs[:, :1], pairs[:, 1:]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(low: float, high: float, below: bool) -> npt.NDArray[np.float64]:
        s = (high - low) / 2.0 * nodes + (high + low) / 2.0
        collision = 1.0 - (1.0 - s**rows) ** bands
        values = collision if below else 1.0 - collision
        return np.asarray((values @ weights) * (high - low) / 2.0)

    error = false_positive_weight * integral(0.0, threshold, below=True)
    error += false_negative_weight * integral(threshold, 1.0, below=False)
    best = pairs[int(np.argmin(error))]
    return int(best[0]), int(best[1])


def band_keys(
    signatures: npt.NDArray[np.uint32], docs: npt.NDArray[np.int64], band: int, rows: int
) -> npt.NDArray[np.uint64]:
    """Hash band ``band`` of the signatures of ``docs`` to 64 bits.

    The band number seeds the hash, so keys of different bands never meet in one bucket.
    """
    keys = np.full(len(docs), band + 1, dtype=np.uint64)
    keys *= _MIX  # wraps modulo 2**64, as the hash intends
    for row in range(rows):
        keys ^= signatures[docs, band * rows + row].astype(np.uint64)
        keys *= _MIX2
        keys ^= keys >> _SHIFT29
    return keys


@kernel
def band_key_matrix(
    signatures: npt.NDArray[np.uint32], docs: npt.NDArray[np.int64], bands: int, rows: int
) -> npt.NDArray[np.uint64]:
    """`band_keys` of every band at once: row ``band`` of the answer (kernel).

    One pass over each document's signature row (contiguous), instead of one strided gather
    per band and row.
    """
    keys = np.empty((bands, len(docs)), dtype=np.uint64)
    for i in range(len(docs)):
        signature = signatures[docs[i]]
        for band in range(bands):
            key = np.uint64(band + 1) * _MIX
            for row in range(rows):
                key ^= np.uint64(signature[band * rows + row])
                key *= _MIX2
                key ^= key >> _SHIFT29
            keys[band, i] = key
    return keys


def _filled(
    signatures: npt.NDArray[np.uint32], docs: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The documents of ``docs`` that have shingles (a signature not all ``EMPTY_HASH``)."""
    has_shingles = np.empty(len(docs), dtype=bool)
    for start in range(0, len(docs), 1 << 16):
        chunk = docs[start : start + (1 << 16)]
        has_shingles[start : start + len(chunk)] = (signatures[chunk] != EMPTY_HASH).any(axis=1)
    return docs[has_shingles]


def bucket_pairs(
    members: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Link each bucket's members to its first member: ``k - 1`` pairs for ``k`` members.

    ``members`` lists each bucket's documents, ascending, back to back; ``sizes`` their counts.
    """
    bucket_start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    others = np.flatnonzero(np.arange(len(members)) != bucket_start)
    return members[bucket_start[others]], members[others]


def find_candidate_pairs(
    signatures: npt.NDArray[np.uint32],
    *,
    bands: int,
    rows: int,
    subset: npt.NDArray[np.int64] | None = None,
) -> pl.DataFrame:
    """Find pairs of documents whose signatures are equal on all rows of at least one band.

    Band ``i`` is columns ``i * rows .. (i + 1) * rows - 1``; each band is hashed to 64 bits and
    documents are bucketed on ``(band, hash)``. A bucket of ``k`` members gives the ``k - 1``
    pairs linking each member to its first (lowest) member, never all ``k * (k - 1) / 2``: a
    story copied by 500 sites costs 499 pairs a band, not 124,750. The star is enough:
    clustering takes connected components and each member is then verified against its
    cluster's canonical copy, so only the connection matters, not every edge. Documents
    without shingles (an all-empty signature) are never candidates.

    Args:
        signatures: uint32 array ``(n_docs, num_perm)`` from :func:`compute_signatures`.
        bands: number of bands.
        rows: signature values per band; ``bands * rows <= num_perm``.
        subset: ascending rows of ``signatures`` to pair (all rows when None), so that a
            subset is bucketed without copying its signatures.

    Returns:
        Columns ``left`` and ``right`` (UInt32 indices into ``subset``, or rows, ``left <
        right``), unique, sorted.
    """
    num_perm = signatures.shape[1]
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ValueError(f"bands x rows ({bands} x {rows}) must be positive and <= {num_perm}")
    docs = np.arange(len(signatures), dtype=np.int64) if subset is None else subset
    filled = _filled(signatures, docs)
    if len(filled) < 2:
        pairs = pl.DataFrame(schema=PAIR_SCHEMA)
    else:
        # Buckets hold positions in ``subset`` (ascending like the rows), mapped once here
        # rather than once per pair found by every band.
        ids = filled if subset is None else np.searchsorted(subset, filled)
        # Band by band: one band's keys are sorted at a time, not all bands' at once.
        lefts: list[npt.NDArray[np.int64]] = []
        rights: list[npt.NDArray[np.int64]] = []
        every_band = None
        if use_kernels(4 * bands * rows * len(filled)):
            every_band = band_key_matrix(signatures, filled, bands, rows)
        for band in range(bands):
            if every_band is None:
                keys = band_keys(signatures, filled, band, rows)
            else:
                keys = every_band[band]
            order = np.argsort(keys, kind="stable")  # documents stay ascending in a bucket
            sorted_keys = keys[order]
            sorted_docs = ids[order]
            starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
            sizes = np.diff(np.append(starts, len(sorted_keys)))
            shared = sizes > 1
            band_left, band_right = bucket_pairs(
                sorted_docs[np.repeat(shared, sizes)], sizes[shared]
            )
            lefts.append(band_left)
            rights.append(band_right)
        left, right = np.concatenate(lefts), np.concatenate(rights)
        pairs = (
            pl.DataFrame({"left": left.astype(np.uint32), "right": right.astype(np.uint32)})
            .unique()
            .sort("left", "right")
        )
    logger.info("found %d candidate pairs (bands=%d, rows=%d)", pairs.height, bands, rows)
    return pairs
