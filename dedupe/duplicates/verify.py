"""Verification of candidate pairs by the true Jaccard and containment of their shingle sets.

A pair passes when ``jaccard >= threshold`` or ``containment >= containment_threshold``.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.kernels import kernel, use_kernels

__all__ = ["intersections", "numpy_intersections", "score_pairs"]

# Shingles (both sides) per chunk of pairs: two chunks run at once on two threads.
CHUNK_SHINGLES = 1 << 18

I64Array = npt.NDArray[np.int64]
U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]


def _keyed(docs: I64Array, offsets: I64Array, hashes: U32Array, out: U64Array) -> None:
    """Write the hash sets of ``docs`` into ``out``, each tagged with its pair number.

    Each set is sorted, so ``out`` is sorted: ``(pair << 32) | hash``. The sets are copied as
    slices: one ``memcpy`` a document is cheaper than building a gather index per shingle.
    """
    starts = offsets[docs]
    ends = offsets[docs + 1]
    if len(docs):
        slices = [hashes[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        np.concatenate(slices, out=out, casting="unsafe")
    sizes = ends - starts
    out |= np.repeat(np.arange(len(docs), dtype=np.uint64) << np.uint64(32), sizes)


def numpy_intersections(
    left: I64Array, right: I64Array, offsets: I64Array, hashes: U32Array
) -> I64Array:
    """Size of the intersection of each pair's shingle sets, in NumPy (the kernel's reference).

    Both sides, tagged with the pair number, are sorted runs; a stable sort (timsort) finds the
    two runs and merges them in linear time. A value in both sets of a pair then appears twice
    in a row, as the sets have no repeats.
    """
    left_total = int((offsets[left + 1] - offsets[left]).sum())
    right_total = int((offsets[right + 1] - offsets[right]).sum())
    merged = np.empty(left_total + right_total, dtype=np.uint64)
    if left_total == 0 or right_total == 0:
        return np.zeros(len(left), dtype=np.int64)
    _keyed(left, offsets, hashes, merged[:left_total])
    _keyed(right, offsets, hashes, merged[left_total:])
    merged.sort(kind="stable")
    both = merged[1:][merged[1:] == merged[:-1]]
    pair = (both >> np.uint64(32)).astype(np.int64)
    return np.bincount(pair, minlength=len(left)).astype(np.int64)


@kernel
def intersections(left: I64Array, right: I64Array, offsets: I64Array, hashes: U32Array) -> I64Array:
    """Size of the intersection of each pair's shingle sets (kernel).

    Contract: pair ``p``'s sets are ``hashes[offsets[i]:offsets[i + 1]]`` for ``i = left[p]``
    and ``i = right[p]``, each sorted ascending without repeats; the answer is the number of
    values in both, by one merge of the two runs (no copies).
    """
    common = np.zeros(len(left), dtype=np.int64)
    for p in range(len(left)):
        i = offsets[left[p]]
        i_end = offsets[left[p] + 1]
        j = offsets[right[p]]
        j_end = offsets[right[p] + 1]
        count = 0
        while i < i_end and j < j_end:
            a = hashes[i]
            b = hashes[j]
            if a == b:
                count += 1
                i += 1
                j += 1
            elif a < b:
                i += 1
            else:
                j += 1
        common[p] = count
    return common


def _chunks(load: I64Array, chunk_shingles: int) -> list[tuple[int, int]]:
    """Split pairs into consecutive ranges of about ``chunk_shingles`` shingles (both sides)."""
    cuts = np.searchsorted(load, np.arange(chunk_shingles, int(load[-1]), chunk_shingles))
    bounds = np.unique(np.concatenate([[0], cuts, [len(load)]]))
    return [(int(start), int(end)) for start, end in itertools.pairwise(bounds)]


def score_pairs(
    pairs: pl.DataFrame,
    offsets: npt.ArrayLike,
    hashes: npt.NDArray[np.uint32],
    *,
    threads: int = 2,
) -> pl.DataFrame:
    """Add the true ``jaccard`` and ``containment`` of each pair's shingle sets.

    ``jaccard`` is ``|A & B| / |A | B|`` and ``containment`` is ``|A & B| / min(|A|, |B|)``,
    both Float64; a pair where a side has no shingles scores 0.0 on both.

    Args:
        pairs: columns ``left`` and ``right``, row indices into ``offsets``.
        offsets: int64 document offsets into ``hashes`` (see ``shingle_hashes``).
        hashes: uint32 shingle hashes, sorted and unique within each document.
        threads: chunks of pairs scored at once (the kernel releases the GIL).

    Returns:
        ``pairs`` with the two columns added, rows in the same order.
    """
    offsets_array = np.ascontiguousarray(offsets, dtype=np.int64)
    hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
    left = pairs.get_column("left").to_numpy().astype(np.int64)
    right = pairs.get_column("right").to_numpy().astype(np.int64)
    sizes = np.diff(offsets_array)
    left_size, right_size = sizes[left], sizes[right]
    common = np.zeros(len(left), dtype=np.int64)
    if len(left):
        load = np.cumsum(left_size + right_size)
        count = intersections if use_kernels(4 * int(load[-1])) else numpy_intersections

        def run(bound: tuple[int, int]) -> None:
            start, end = bound
            common[start:end] = count(left[start:end], right[start:end], offsets_array, hashes)

        chunks = _chunks(load, CHUNK_SHINGLES)
        if threads > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(run, chunks))
        else:
            for chunk in chunks:
                run(chunk)
    union = left_size + right_size - common
    smaller = np.minimum(left_size, right_size)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, common / np.maximum(union, 1), 0.0)
        containment = np.where(smaller > 0, common / np.maximum(smaller, 1), 0.0)
    return pairs.with_columns(
        pl.Series("jaccard", jaccard, dtype=pl.Float64),
        pl.Series("containment", containment, dtype=pl.Float64),
    )
