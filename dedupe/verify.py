"""Verification of candidate pairs by the true Jaccard and containment of their shingle sets.

A pair passes when ``jaccard >= threshold`` or ``containment >= containment_threshold``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["filter_verified", "score_pairs"]

# Shingles (both sides) per chunk of pairs: bounds the temporary arrays to some 100 MB.
CHUNK_SHINGLES = 1 << 22

I64Array = npt.NDArray[np.int64]


def _keyed(
    docs: I64Array, offsets: I64Array, hashes: npt.NDArray[np.uint32]
) -> npt.NDArray[np.uint64]:
    """Concatenate the hash sets of ``docs``, each tagged with its pair number in the high bits.

    Each set is sorted, so the result is sorted: ``(pair << 32) | hash``.
    """
    sizes = offsets[docs + 1] - offsets[docs]
    total = int(sizes.sum())
    run_start = np.repeat(offsets[docs] - (np.cumsum(sizes) - sizes), sizes)
    gathered: npt.NDArray[np.uint64] = hashes[np.arange(total) + run_start].astype(np.uint64)
    gathered |= np.repeat(np.arange(len(docs), dtype=np.uint64), sizes) << np.uint64(32)
    return gathered


def _intersections(
    left: I64Array, right: I64Array, offsets: I64Array, hashes: npt.NDArray[np.uint32]
) -> I64Array:
    """Size of the intersection of each pair's shingle sets (sorted merge by binary search)."""
    left_keys = _keyed(left, offsets, hashes)
    right_keys = _keyed(right, offsets, hashes)
    if len(left_keys) == 0 or len(right_keys) == 0:
        return np.zeros(len(left), dtype=np.int64)
    found = np.searchsorted(right_keys, left_keys)
    np.minimum(found, len(right_keys) - 1, out=found)
    hit = right_keys[found] == left_keys
    pair = (left_keys[hit] >> np.uint64(32)).astype(np.int64)
    return np.bincount(pair, minlength=len(left)).astype(np.int64)


def score_pairs(
    pairs: pl.DataFrame, offsets: npt.ArrayLike, hashes: npt.NDArray[np.uint32]
) -> pl.DataFrame:
    """Add the true ``jaccard`` and ``containment`` of each pair's shingle sets.

    ``jaccard`` is ``|A & B| / |A | B|`` and ``containment`` is ``|A & B| / min(|A|, |B|)``,
    both Float64; a pair where a side has no shingles scores 0.0 on both.

    Args:
        pairs: columns ``left`` and ``right``, row indices into ``offsets``.
        offsets: int64 document offsets into ``hashes`` (see ``shingle_hashes``).
        hashes: uint32 shingle hashes, sorted and unique within each document.

    Returns:
        ``pairs`` with the two columns added, rows in the same order.
    """
    offsets_array = np.asarray(offsets, dtype=np.int64)
    left = pairs.get_column("left").to_numpy().astype(np.int64)
    right = pairs.get_column("right").to_numpy().astype(np.int64)
    sizes = np.diff(offsets_array)
    left_size, right_size = sizes[left], sizes[right]
    common = np.zeros(len(left), dtype=np.int64)
    load = np.cumsum(left_size + right_size)
    start = 0
    while start < len(left):
        end = int(
            np.searchsorted(
                load,
                load[start] - (left_size[start] + right_size[start]) + CHUNK_SHINGLES,
                side="right",
            )
        )
        end = max(end, start + 1)
        common[start:end] = _intersections(left[start:end], right[start:end], offsets_array, hashes)
        start = end
    union = left_size + right_size - common
    smaller = np.minimum(left_size, right_size)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, common / np.maximum(union, 1), 0.0)
        containment = np.where(smaller > 0, common / np.maximum(smaller, 1), 0.0)
    return pairs.with_columns(
        pl.Series("jaccard", jaccard, dtype=pl.Float64),
        pl.Series("containment", containment, dtype=pl.Float64),
    )


def filter_verified(
    scored: pl.DataFrame, *, threshold: float, containment_threshold: float
) -> pl.DataFrame:
    """Keep the pairs that are near duplicates, with the ``similarity`` that decided.

    A pair passes on Jaccard (``jaccard >= threshold``) or, for a trimmed copy inside a longer
    text, on containment (``containment >= containment_threshold``). Its ``similarity`` is the
    larger of the scores that passed: ``jaccard`` when only Jaccard passed, else
    ``max(jaccard, containment)`` (containment is never below Jaccard).
    """
    by_jaccard = pl.col("jaccard") >= threshold
    by_containment = pl.col("containment") >= containment_threshold
    similarity = (
        pl.when(by_containment)
        .then(pl.max_horizontal("jaccard", "containment"))
        .otherwise(pl.col("jaccard"))
    )
    return scored.filter(by_jaccard | by_containment).with_columns(
        similarity.cast(pl.Float64).alias("similarity")
    )
