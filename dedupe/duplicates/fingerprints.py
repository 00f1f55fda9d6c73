"""Fingerprints: what deduplication keeps of each document instead of its text.

A document's fingerprint is its set of shingle hashes, the shingle hashes of its lead and its
MinHash signature. `fingerprint` computes them for one batch of normalized texts at a time, as
NumPy arrays; a run saves each batch's to disk (`Fingerprints.save`) and `SavedFingerprints`
then holds only the signatures and set sizes of the whole corpus in memory, reading the shingle
sets of just the rows verification needs. Memory follows the signatures, not the shingles.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates.shingles import fingerprint_arrays

U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.int64]
# A trimmed copy keeps the original's lead: news is written as an inverted pyramid and editors
# cut from the bottom. The lead is a document's first LEAD_WORDS words
# (see `dedupe.duplicates.near`).
LEAD_WORDS = 50
_ARRAYS = ("offsets", "hashes", "lead_offsets", "lead_hashes", "signatures")


class FingerprintSet(Protocol):
    """The fingerprints of a corpus, in memory or on disk: what the near-duplicate stage asks."""

    @property
    def signatures(self) -> U32Array:
        """Every document's MinHash signature, one row each."""
        ...

    def __len__(self) -> int: ...

    def set_sizes(self) -> I64Array:
        """The number of distinct shingles of every document."""
        ...

    def take(self, rows: IndexArray) -> Fingerprints:
        """The fingerprints of ``rows``, in that order, in memory."""
        ...


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """The fingerprints of a batch or of a corpus, in memory (or mapped from a saved batch).

    Row ``i`` describes document ``i``: its distinct shingle hashes
    ``hashes[offsets[i]:offsets[i + 1]]`` (sorted), the shingle hashes of its lead likewise,
    and its MinHash signature ``signatures[i]``. About ``4 * (shingles + num_perm)`` bytes a
    document. When built by :meth:`concat`, ``hashes`` and ``lead_hashes`` are views of one
    ``buffer`` (documents, then leads), which verification scores without copying.
    """

    offsets: I64Array
    hashes: U32Array
    lead_offsets: I64Array
    lead_hashes: U32Array
    signatures: U32Array
    buffer: U32Array | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def set_sizes(self) -> I64Array:
        """The number of distinct shingles of every document."""
        return np.diff(self.offsets)

    @staticmethod
    def concat(parts: Sequence[Fingerprints], num_perm: int) -> Fingerprints:
        """Stack the fingerprints of consecutive batches into preallocated arrays."""
        return _stack(parts, num_perm)

    def combined(self) -> tuple[I64Array, U32Array]:
        """Offsets and hashes of every shingle set then every lead set (row ``n + i``: a lead)."""
        buffer = self.buffer
        if buffer is None:
            buffer = np.concatenate([self.hashes, self.lead_hashes])
        offsets = np.concatenate([self.offsets, self.lead_offsets[1:] + self.offsets[-1]])
        return offsets, buffer

    def take(self, rows: IndexArray) -> Fingerprints:
        """Return the fingerprints of ``rows``, in that order (a copy, in one buffer)."""
        rows = np.asarray(rows, dtype=np.int64)
        signatures = np.ascontiguousarray(self.signatures[rows])
        taken = _Taken.allocate(
            self.set_sizes()[rows], np.diff(self.lead_offsets)[rows], signatures
        )
        taken.copy_from(self, rows, np.arange(len(rows)))
        return taken.fingerprints()

    def save(self, folder: Path) -> None:
        """Write the arrays as ``.npy`` files into ``folder`` (a spilled batch)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @staticmethod
    def load(folder: Path) -> Fingerprints:
        """Map a batch written by :meth:`save` (read-only, read from disk when first used)."""
        arrays = [
            np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS
        ]
        return Fingerprints(*arrays)


@dataclass(frozen=True, slots=True)
class SavedFingerprints:
    """The fingerprints of consecutive batches saved by :meth:`Fingerprints.save`.

    Signatures and set sizes are read into memory; the shingle and lead sets stay on disk and
    :meth:`take` reads those of the rows asked for, one batch mapped at a time (a mapped
    batch's pages count in the process's memory for as long as it stays mapped).
    """

    folders: tuple[Path, ...]
    starts: I64Array
    signatures: U32Array
    sizes: I64Array

    @staticmethod
    def open(folders: Sequence[Path], num_perm: int) -> SavedFingerprints:
        """Read the signatures and set sizes of the batches saved in ``folders``, in order."""
        counts = [len(np.load(f / "offsets.npy", mmap_mode="r")) - 1 for f in folders]
        starts = np.zeros(len(folders) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        signatures = np.empty((int(starts[-1]), num_perm), dtype=np.uint32)
        sizes = np.empty(int(starts[-1]), dtype=np.int64)
        for folder, start, stop in zip(folders, starts[:-1], starts[1:], strict=True):
            part = Fingerprints.load(folder)
            signatures[start:stop] = part.signatures
            sizes[start:stop] = np.diff(part.offsets)
            del part
        return SavedFingerprints(tuple(folders), starts, signatures, sizes)

    def __len__(self) -> int:
        return len(self.sizes)

    def set_sizes(self) -> I64Array:
        """The number of distinct shingles of every document."""
        return self.sizes

    def take(self, rows: IndexArray) -> Fingerprints:
        """Return the fingerprints of ``rows``, in that order, reading one batch at a time.

        The answer is filled in place, batch by batch: memory holds it once, plus one mapped
        batch and the index of `_COPY_VALUES` values at a time.
        """
        rows = np.asarray(rows, dtype=np.int64)
        batch = np.searchsorted(self.starts, rows, side="right") - 1
        order = np.argsort(batch, kind="stable")
        bounds = np.searchsorted(batch[order], np.arange(len(self.folders) + 1))
        spans = [
            (folder, order[low:high], rows[order[low:high]] - start)
            for folder, start, low, high in zip(
                self.folders, self.starts[:-1], bounds[:-1], bounds[1:], strict=True
            )
            if high > low
        ]
        lead_sizes = np.empty(len(rows), dtype=np.int64)
        for folder, positions, local in spans:
            lead_offsets = Fingerprints.load(folder).lead_offsets
            lead_sizes[positions] = lead_offsets[local + 1] - lead_offsets[local]
        taken = _Taken.allocate(self.sizes[rows], lead_sizes, self.signatures[rows])
        for folder, positions, local in spans:
            taken.copy_from(Fingerprints.load(folder), local, positions)
        return taken.fingerprints()


@dataclass(frozen=True, slots=True)
class _Taken:
    """Fingerprints being gathered into one preallocated buffer (documents' sets, then leads)."""

    offsets: I64Array
    lead_offsets: I64Array
    buffer: U32Array
    signatures: U32Array

    @staticmethod
    def allocate(sizes: I64Array, lead_sizes: I64Array, signatures: U32Array) -> _Taken:
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        lead_offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(lead_sizes, out=lead_offsets[1:])
        buffer = np.empty(int(offsets[-1] + lead_offsets[-1]), dtype=np.uint32)
        return _Taken(offsets, lead_offsets, buffer, np.ascontiguousarray(signatures))

    def copy_from(self, part: Fingerprints, local: IndexArray, positions: IndexArray) -> None:
        """Copy rows ``local`` of ``part`` to rows ``positions`` of the answer."""
        _copy_sets(part.offsets, part.hashes, local, self.buffer, self.offsets[positions])
        _copy_sets(
            part.lead_offsets,
            part.lead_hashes,
            local,
            self.buffer,
            self.offsets[-1] + self.lead_offsets[positions],
        )

    def fingerprints(self) -> Fingerprints:
        n_hashes = int(self.offsets[-1])
        return Fingerprints(
            self.offsets,
            self.buffer[:n_hashes],
            self.lead_offsets,
            self.buffer[n_hashes:],
            self.signatures,
            self.buffer,
        )


# Values copied at once by `_copy_sets`: its two int64 indexes then take 128 MB.
_COPY_VALUES = 1 << 23


def _copy_sets(
    offsets: I64Array, values: U32Array, rows: IndexArray, out: U32Array, out_starts: I64Array
) -> None:
    """Copy set ``rows[i]`` of ``(offsets, values)`` to ``out`` from ``out_starts[i]`` on.

    Chunks of about `_COPY_VALUES` values bound the gather and scatter indexes.
    """
    sizes = offsets[rows + 1] - offsets[rows]
    ends = np.cumsum(sizes)
    cuts = np.searchsorted(
        ends, np.arange(_COPY_VALUES, int(ends[-1]) if len(ends) else 0, _COPY_VALUES)
    )
    for low, high in itertools.pairwise(np.unique(np.r_[0, cuts, len(rows)])):
        chunk = sizes[low:high]
        within = np.arange(int(chunk.sum())) - np.repeat(np.cumsum(chunk) - chunk, chunk)
        source = np.repeat(offsets[rows[low:high]], chunk) + within
        out[np.repeat(out_starts[low:high], chunk) + within] = values[source]


def _stack(parts: Iterable[Fingerprints], num_perm: int) -> Fingerprints:
    """Copy ``parts`` into one buffer: every part's hashes, then every part's lead hashes."""
    parts = list(parts)
    n_docs = sum(len(p) for p in parts)
    n_hashes = sum(len(p.hashes) for p in parts)
    buffer = np.empty(n_hashes + sum(len(p.lead_hashes) for p in parts), dtype=np.uint32)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    lead_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    signatures = np.empty((n_docs, num_perm), dtype=np.uint32)
    row = hash_at = lead_at = 0
    for part in parts:
        n, h, lead = len(part), len(part.hashes), len(part.lead_hashes)
        offsets[row + 1 : row + n + 1] = part.offsets[1:] + hash_at
        lead_offsets[row + 1 : row + n + 1] = part.lead_offsets[1:] + lead_at
        buffer[hash_at : hash_at + h] = part.hashes
        buffer[n_hashes + lead_at : n_hashes + lead_at + lead] = part.lead_hashes
        signatures[row : row + n] = part.signatures
        row, hash_at, lead_at = row + n, hash_at + h, lead_at + lead
    return Fingerprints(
        offsets, buffer[:n_hashes], lead_offsets, buffer[n_hashes:], signatures, buffer
    )


ProgressCallback = Callable[[int], None]


def fingerprint(
    normalized: pl.Series, config: NearConfig, *, on_progress: ProgressCallback | None = None
) -> Fingerprints:
    """Compute the fingerprints of normalized texts (a null or "" has none, and matches none).

    One compiled pass over the texts' Arrow buffers (`fingerprint_arrays`) gives the shingle
    sets, the lead sets and the signatures together.
    """
    arrays = fingerprint_arrays(
        normalized,
        ngram_size=config.ngram_size,
        lead_words=LEAD_WORDS,
        num_perm=config.num_perm,
        seed=config.seed,
    )
    if on_progress is not None:
        on_progress(len(normalized))
    return Fingerprints(*arrays)
