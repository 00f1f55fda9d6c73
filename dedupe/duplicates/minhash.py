"""MinHash signatures of shingle-hash sets, bit-identical to datasketch's (kernel and reference).

For each shingle hash ``h`` (uint32) datasketch 2.x (scheme ``affine32``) computes
``fmix32(h)``, then ``a[k] * fmix32(h) + b[k] mod 2**32`` for each permutation ``k``, and keeps
the minimum per permutation; a set without shingles keeps ``2**32 - 1`` everywhere. The
permutation parameters ``(a, b)`` are drawn as datasketch draws them (`permutations`), so a
signature here equals ``MinHash(num_perm, seed, hashfunc=shingle_hash)`` after
``update_batch``; the tests compare both with datasketch itself.

`signature_into` is the compiled kernel (the fused fingerprint kernel of
`dedupe.duplicates.shingles` calls it per document); `numpy_signatures` is the NumPy reference
the tests compare it with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from dedupe.kernels import kernel, use_kernels

__all__ = [
    "EMPTY_HASH",
    "compute_signatures",
    "numpy_signatures",
    "permutations",
    "signature_into",
]

EMPTY_HASH = np.uint32(0xFFFFFFFF)
# Shingles per chunk: with PERMUTATION_BLOCK permutations the scratch array stays in L2 cache.
CHUNK_SIZE = 1 << 15
PERMUTATION_BLOCK = 8

U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[U32Array, U32Array]:
    """Return datasketch's affine permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``.

    Both are uint32 arrays of length ``num_perm``; every ``a`` is odd. This is
    ``MinHash(num_perm, seed, scheme="affine32").permutations``, drawn here from the same
    generator so that a run need not import datasketch (and SciPy with it, half a second).
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    # Cached and shared between threads: nobody may write to them.
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def _fmix32(values: U32Array) -> U32Array:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the permutations."""
    out = values ^ (values >> np.uint32(16))
    out *= np.uint32(0x85EBCA6B)
    out ^= out >> np.uint32(13)
    out *= np.uint32(0xC2B2AE35)
    out ^= out >> np.uint32(16)
    return out


def _chunks(offsets: I64Array, chunk_size: int) -> Iterator[tuple[int, int]]:
    """Yield consecutive document ranges holding about ``chunk_size`` shingles each."""
    n_docs = len(offsets) - 1
    start = 0
    while start < n_docs:
        end = int(np.searchsorted(offsets, offsets[start] + chunk_size, side="right")) - 1
        end = min(max(end, start + 1), n_docs)
        yield start, end
        start = end


def _chunk_signatures(
    offsets: I64Array, hashes: U32Array, a: U32Array, b: U32Array, start: int, end: int
) -> U32Array:
    """Signatures of documents ``start:end``, one row each."""
    num_perm = len(a)
    signatures = np.full((end - start, num_perm), EMPTY_HASH, dtype=np.uint32)
    bounds = offsets[start : end + 1] - offsets[start]
    filled = np.flatnonzero(bounds[1:] > bounds[:-1])
    if len(filled) == 0:
        return signatures
    mixed = _fmix32(hashes[offsets[start] : offsets[end]])
    # reduceat needs strictly increasing starts: empty documents are left out (and keep EMPTY).
    segment_starts = bounds[filled]
    block = min(PERMUTATION_BLOCK, num_perm)
    scratch = np.empty((block, len(mixed)), dtype=np.uint32)
    for first in range(0, num_perm, block):
        last = min(first + block, num_perm)
        values = scratch[: last - first]
        np.multiply(mixed[None, :], a[first:last, None], out=values)
        values += b[first:last, None]
        minima = np.minimum.reduceat(values, segment_starts, axis=1)
        signatures[filled, first:last] = minima.T
    return signatures


def numpy_signatures(
    offsets: I64Array,
    hashes: U32Array,
    *,
    num_perm: int,
    seed: int,
    chunk_size: int = CHUNK_SIZE,
    threads: int = 2,
    on_progress: Callable[[int], None] | None = None,
) -> U32Array:
    """Compute the MinHash signature of every document's shingle set, in NumPy (the reference).

    `compute_signatures` gives the same signatures with the compiled kernel.

    Args:
        offsets: int64, length ``n_docs + 1``; document ``i`` has
            ``hashes[offsets[i]:offsets[i + 1]]``.
        hashes: uint32 shingle hashes (see :func:`dedupe.duplicates.shingles.shingle_hashes`).
        num_perm: permutations, the signature width.
        seed: seed of datasketch's permutation parameters.
        chunk_size: shingles per unit of work; memory is about
            ``chunk_size * 4 * (PERMUTATION_BLOCK + 2)`` bytes per thread.
        threads: chunks computed at once (NumPy releases the GIL).
        on_progress: called with the number of documents done after each chunk.

    Returns:
        uint32 array of shape ``(n_docs, num_perm)``; a document without shingles has
        ``0xFFFFFFFF`` everywhere, as datasketch's empty MinHash.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    hashes = np.asarray(hashes, dtype=np.uint32)
    return _in_chunks(
        _chunk_signatures, offsets, hashes, num_perm, seed, chunk_size, threads, on_progress
    )


ChunkSignatures = Callable[[I64Array, U32Array, U32Array, U32Array, int, int], U32Array]


def _in_chunks(
    chunk_signatures: ChunkSignatures,
    offsets: I64Array,
    hashes: U32Array,
    num_perm: int,
    seed: int,
    chunk_size: int,
    threads: int,
    on_progress: Callable[[int], None] | None,
) -> U32Array:
    """Fill the signature matrix chunk by chunk, ``threads`` chunks at once, in order."""
    n_docs = len(offsets) - 1
    a, b = permutations(num_perm, seed)
    signatures = np.empty((n_docs, num_perm), dtype=np.uint32)
    chunks = list(_chunks(offsets, chunk_size))

    def run(chunk: tuple[int, int]) -> tuple[int, int]:
        start, end = chunk
        signatures[start:end] = chunk_signatures(offsets, hashes, a, b, start, end)
        return chunk

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for _, end in pool.map(run, chunks):
                if on_progress is not None:
                    on_progress(end)
    else:
        for chunk in chunks:
            run(chunk)
            if on_progress is not None:
                on_progress(chunk[1])
    return signatures


_FMIX32_C1 = np.uint64(0x85EBCA6B)
_FMIX32_C2 = np.uint64(0xC2B2AE35)
_MASK32 = np.uint64(0xFFFFFFFF)


@kernel
def signature_into(
    hashes: U32Array, start: int, end: int, a: U32Array, b: U32Array, out: U32Array
) -> None:
    """Write the MinHash signature of ``hashes[start:end]`` into ``out`` (kernel).

    Contract: for every ``h`` in the range, ``m = fmix32(h)`` (MurmurHash3's 32-bit finalizer:
    ``h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16``, all modulo
    2**32); ``out[k] = min(out[k], (a[k] * m + b[k]) mod 2**32)``, starting from
    ``0xFFFFFFFF``. This is datasketch's ``affine32`` scheme; repeats and order do not matter.
    """
    num_perm = len(a)
    for k in range(num_perm):
        out[k] = 0xFFFFFFFF
    for j in range(start, end):
        h = np.uint64(hashes[j])
        h ^= h >> np.uint64(16)
        h = (h * _FMIX32_C1) & _MASK32
        h ^= h >> np.uint64(13)
        h = (h * _FMIX32_C2) & _MASK32
        h ^= h >> np.uint64(16)
        mixed = np.uint32(h)
        for k in range(num_perm):
            # uint32 products wrap modulo 2**32, as datasketch's do.
            value = np.uint32(a[k] * mixed + b[k])
            if value < out[k]:
                out[k] = value


@kernel
def _signatures_kernel(
    offsets: I64Array, hashes: U32Array, a: U32Array, b: U32Array, first: int, last: int
) -> U32Array:
    """Signatures of documents ``first:last``, one row each (see `signature_into`)."""
    signatures = np.empty((last - first, len(a)), dtype=np.uint32)
    for i in range(first, last):
        signature_into(hashes, offsets[i], offsets[i + 1], a, b, signatures[i - first])
    return signatures


def compute_signatures(
    offsets: I64Array,
    hashes: U32Array,
    *,
    num_perm: int,
    seed: int,
    chunk_size: int = CHUNK_SIZE,
    threads: int = 2,
    on_progress: Callable[[int], None] | None = None,
) -> U32Array:
    """Compute the MinHash signature of every document's shingle set (compiled kernel).

    Args:
        offsets: int64, length ``n_docs + 1``; document ``i`` has
            ``hashes[offsets[i]:offsets[i + 1]]``.
        hashes: uint32 shingle hashes (see :func:`dedupe.duplicates.shingles.shingle_hashes`).
        num_perm: permutations, the signature width.
        seed: seed of datasketch's permutation parameters.
        chunk_size: shingles per unit of work.
        threads: chunks computed at once (the kernel releases the GIL).
        on_progress: called with the number of documents done after each chunk.

    Returns:
        uint32 array of shape ``(n_docs, num_perm)``, equal to `numpy_signatures`'; a
        document without shingles has ``0xFFFFFFFF`` everywhere, as datasketch's empty MinHash.
    """
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
    if not use_kernels(4 * len(hashes)):
        return numpy_signatures(
            offsets,
            hashes,
            num_perm=num_perm,
            seed=seed,
            chunk_size=chunk_size,
            threads=threads,
            on_progress=on_progress,
        )
    return _in_chunks(
        _signatures_kernel, offsets, hashes, num_perm, seed, chunk_size, threads, on_progress
    )
