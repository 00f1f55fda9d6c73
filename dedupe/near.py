"""The near-duplicate stage: fingerprints per batch, then LSH, verification and guarded clusters.

``fingerprint`` works on one batch of texts at a time (shingle sets, lead sets, MinHash
signatures as NumPy arrays), so a corpus larger than memory is fingerprinted in a streaming
pass; ``mark_near_duplicates`` then works on the fingerprints of the whole corpus, never the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.clusters import IndexArray, assign_canonicals
from dedupe.config import NearConfig
from dedupe.lsh import find_candidate_pairs, optimal_bands_rows
from dedupe.minhash import compute_signatures
from dedupe.schema import (
    CANONICAL_RANK,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    NORMALIZED,
    SIMILARITY,
    DropReason,
)
from dedupe.shingles import shingle_hashes_with_leads
from dedupe.verify import score_pairs

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int], None]
U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]
# A trimmed copy keeps the original's lead: news is written as an inverted pyramid and editors
# cut from the bottom. A follow-up or another outlet's write-up that reuses background
# paragraphs has a lead of its own, so a containment match must also find most of the shorter
# document's lead (its first LEAD_WORDS words) inside the longer one.
LEAD_WORDS = 50
LEAD_CONTAINMENT = 0.5


@dataclass(frozen=True, slots=True)
class NearResult:
    """The corpus with near duplicates marked, and what the stage found, for the report."""

    corpus: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def lsh_parameters(config: NearConfig) -> tuple[int, int]:
    """Return (bands, rows): explicit ones, or those datasketch's rule gives for the threshold.

    Containment catches trimmed copies whose Jaccard is below ``threshold``; their Jaccard is
    at least about ``containment_threshold`` times the length ratio, so banding aims at the
    lower of the two thresholds when containment is on.
    """
    if config.bands is not None and config.rows is not None:
        return config.bands, config.rows
    target = config.threshold
    if config.containment_threshold < 1.0:
        target = min(target, config.containment_threshold / 2)
    return optimal_bands_rows(target, config.num_perm)


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """What the near-duplicate stage keeps of each document instead of its text.

    Row ``i`` describes document ``i``: its distinct shingle hashes
    ``hashes[offsets[i]:offsets[i + 1]]`` (sorted), the shingle hashes of its lead likewise,
    and its MinHash signature ``signatures[i]``. About ``4 * (shingles + num_perm)`` bytes a
    document, so a corpus is fingerprinted batch by batch and only this is kept. When built by
    :meth:`concat`, ``hashes`` and ``lead_hashes`` are views of one ``buffer`` (documents, then
    leads), which verification scores without copying.
    """

    offsets: I64Array
    hashes: U32Array
    lead_offsets: I64Array
    lead_hashes: U32Array
    signatures: U32Array
    buffer: U32Array | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @staticmethod
    def concat(parts: Sequence[Fingerprints], num_perm: int) -> Fingerprints:
        """Stack the fingerprints of consecutive batches into preallocated arrays."""
        sizes = [(len(p), len(p.hashes), len(p.lead_hashes)) for p in parts]
        return _stack(iter(parts), sizes, num_perm)

    @staticmethod
    def concat_saved(folders: Sequence[Path], num_perm: int) -> Fingerprints:
        """Stack batches written by :meth:`save`, mapping and releasing one at a time.

        A mapped batch's pages count in the process's memory for as long as it stays mapped,
        so each is unmapped once copied: the peak is the result plus one batch.
        """
        sizes = [
            (len(p), len(p.hashes), len(p.lead_hashes)) for p in map(Fingerprints.load, folders)
        ]
        return _stack(map(Fingerprints.load, folders), sizes, num_perm)

    def combined(self) -> tuple[I64Array, U32Array]:
        """Offsets and hashes of every shingle set then every lead set (row ``n + i``: a lead)."""
        buffer = self.buffer
        if buffer is None:
            buffer = np.concatenate([self.hashes, self.lead_hashes])
        offsets = np.concatenate([self.offsets, self.lead_offsets[1:] + self.offsets[-1]])
        return offsets, buffer

    def take(self, rows: IndexArray) -> Fingerprints:
        """Return the fingerprints of ``rows``, in that order (a copy)."""
        offsets, hashes = _take(self.offsets, self.hashes, rows)
        lead_offsets, lead_hashes = _take(self.lead_offsets, self.lead_hashes, rows)
        return Fingerprints(offsets, hashes, lead_offsets, lead_hashes, self.signatures[rows])

    def save(self, folder: Path) -> None:
        """Write the arrays as ``.npy`` files into ``folder`` (a spilled batch)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("offsets", "hashes", "lead_offsets", "lead_hashes", "signatures"):
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @staticmethod
    def load(folder: Path) -> Fingerprints:
        """Map a batch written by :meth:`save` (read-only, read from disk when first used)."""
        arrays = [
            np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            for name in ("offsets", "hashes", "lead_offsets", "lead_hashes", "signatures")
        ]
        return Fingerprints(*arrays)


def _stack(
    parts: Iterator[Fingerprints], sizes: list[tuple[int, int, int]], num_perm: int
) -> Fingerprints:
    """Copy ``parts`` (documents, hashes, lead hashes per part in ``sizes``) into one buffer."""
    n_docs = sum(c[0] for c in sizes)
    n_hashes = sum(c[1] for c in sizes)
    buffer = np.empty(n_hashes + sum(c[2] for c in sizes), dtype=np.uint32)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    lead_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    signatures = np.empty((n_docs, num_perm), dtype=np.uint32)
    row = hash_at = lead_at = 0
    for part, (n, h, lead) in zip(parts, sizes, strict=True):
        offsets[row + 1 : row + n + 1] = part.offsets[1:] + hash_at
        lead_offsets[row + 1 : row + n + 1] = part.lead_offsets[1:] + lead_at
        buffer[hash_at : hash_at + h] = part.hashes
        buffer[n_hashes + lead_at : n_hashes + lead_at + lead] = part.lead_hashes
        signatures[row : row + n] = part.signatures
        row, hash_at, lead_at = row + n, hash_at + h, lead_at + lead
    return Fingerprints(
        offsets, buffer[:n_hashes], lead_offsets, buffer[n_hashes:], signatures, buffer
    )


def _take(offsets: I64Array, values: U32Array, rows: IndexArray) -> tuple[I64Array, U32Array]:
    sizes = offsets[rows + 1] - offsets[rows]
    new_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(sizes, out=new_offsets[1:])
    gather = np.arange(int(new_offsets[-1])) + np.repeat(offsets[rows] - new_offsets[:-1], sizes)
    return new_offsets, values[gather]


def fingerprint(
    normalized: pl.Series, config: NearConfig, *, on_progress: ProgressCallback | None = None
) -> Fingerprints:
    """Compute the fingerprints of normalized texts (a null or "" has none, and matches none)."""
    offsets, hashes, lead_offsets, lead_hashes = shingle_hashes_with_leads(
        normalized.fill_null(""), ngram_size=config.ngram_size, lead_words=LEAD_WORDS
    )
    signatures = compute_signatures(
        offsets, hashes, num_perm=config.num_perm, seed=config.seed, on_progress=on_progress
    )
    return Fingerprints(offsets, hashes, lead_offsets, lead_hashes, signatures)


@dataclass(frozen=True, slots=True)
class PairScorer:
    """Verifies pairs of rows on their true shingle sets (or, without verify, on signatures).

    ``offsets``/``hashes`` hold every document's shingle set, followed by every document's lead
    set (row ``n_docs + i`` is the lead of document ``i``), so ``score_pairs`` scores both.
    """

    config: NearConfig
    n_docs: int
    offsets: I64Array
    hashes: U32Array
    signatures: U32Array

    def __call__(
        self, left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Return which pairs are near duplicates and the similarity that decided."""
        config = self.config
        if not config.verify:
            estimate = (self.signatures[left] == self.signatures[right]).mean(axis=1)
            return estimate >= config.threshold, estimate.astype(np.float64)
        scored = score_pairs(_pairs(left, right), self.offsets, self.hashes)
        jaccard = scored.get_column("jaccard").to_numpy()
        containment = scored.get_column("containment").to_numpy()
        by_jaccard = jaccard >= config.threshold
        maybe = ~by_jaccard & (containment >= config.containment_threshold)
        by_containment = np.zeros(len(left), dtype=bool)
        if maybe.any():
            sizes = np.diff(self.offsets)
            a, b = left[maybe], right[maybe]
            shorter = np.where(sizes[a] <= sizes[b], a, b)
            longer = np.where(sizes[a] <= sizes[b], b, a)
            lead = score_pairs(_pairs(shorter + self.n_docs, longer), self.offsets, self.hashes)
            by_containment[maybe] = lead.get_column("containment").to_numpy() >= LEAD_CONTAINMENT
        similarity = np.where(by_containment, containment, jaccard)
        return by_jaccard | by_containment, similarity.astype(np.float64)


# Standard deviations of the MinHash estimate kept as margin by the pre-filter: a pair that could
# pass verification is discarded with probability below 1e-4 (normal tail at 4 sigma).
PREFILTER_SIGMAS = 4.0


def _plausible(
    prints: Fingerprints, left: IndexArray, right: IndexArray, config: NearConfig
) -> npt.NDArray[np.bool_]:
    """Which candidates could pass verification, judged by their MinHash estimate.

    Verifying a pair costs a merge of two shingle sets, estimating its Jaccard costs
    ``num_perm`` comparisons, so pairs whose estimate lies far below the lowest Jaccard that
    could still pass are dropped first. A pair passes on Jaccard ``>= threshold`` or on
    containment ``c >= containment_threshold``; with set sizes ``a <= b`` containment ``c``
    means Jaccard ``c*a / (a + b - c*a)``, the least a passing pair can have.
    """
    sizes = np.diff(prints.offsets)
    small = np.minimum(sizes[left], sizes[right]).astype(np.float64)
    large = np.maximum(sizes[left], sizes[right]).astype(np.float64)
    containment = min(config.containment_threshold, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_containment = containment * small / (small + large - containment * small)
    lowest = np.minimum(config.threshold, np.nan_to_num(by_containment, nan=0.0))
    estimate = np.empty(len(left), dtype=np.float64)
    for start in range(0, len(left), 1 << 16):
        stop = start + (1 << 16)
        equal = prints.signatures[left[start:stop]] == prints.signatures[right[start:stop]]
        estimate[start:stop] = equal.mean(axis=1)
    sigma = np.sqrt(np.maximum(lowest * (1 - lowest), 0.0) / config.num_perm)
    plausible: npt.NDArray[np.bool_] = (
        estimate >= lowest - PREFILTER_SIGMAS * sigma - 1 / config.num_perm
    )
    return plausible


class _CachedCheck:
    """A PairScorer that remembers its answers: the cluster guard re-checks many pairs.

    The cache is a sorted array of pair keys (``low << 32 | high``), looked up with
    ``searchsorted``, so neither the lookups nor the inserts loop over pairs in Python.
    """

    def __init__(self, scorer: PairScorer) -> None:
        self.scorer = scorer
        self.keys = np.empty(0, dtype=np.uint64)
        self.passed = np.empty(0, dtype=np.bool_)
        self.similarity = np.empty(0, dtype=np.float64)

    def __call__(
        self, left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Return which pairs are near duplicates and their similarity, scoring only new ones."""
        keys = (np.minimum(left, right).astype(np.uint64) << np.uint64(32)) | np.maximum(
            left, right
        ).astype(np.uint64)
        where = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        hit = (self.keys[where] == keys) if len(self.keys) else np.zeros(len(keys), dtype=bool)
        passed = np.zeros(len(keys), dtype=np.bool_)
        similarity = np.zeros(len(keys), dtype=np.float64)
        passed[hit], similarity[hit] = self.passed[where[hit]], self.similarity[where[hit]]
        miss = ~hit
        if miss.any():
            new_passed, new_similarity = self.scorer(left[miss], right[miss])
            passed[miss], similarity[miss] = new_passed, new_similarity
            new_keys, first = np.unique(keys[miss], return_index=True)
            merged = np.concatenate([self.keys, new_keys])
            order = np.argsort(merged, kind="stable")
            self.keys = merged[order]
            self.passed = np.concatenate([self.passed, new_passed[first]])[order]
            self.similarity = np.concatenate([self.similarity, new_similarity[first]])[order]
        return passed, similarity


def _pairs(left: IndexArray, right: IndexArray) -> pl.DataFrame:
    return pl.DataFrame({"left": left.astype(np.uint32), "right": right.astype(np.uint32)})


def mark_near_duplicates(
    corpus: pl.DataFrame,
    config: NearConfig,
    *,
    fingerprints: Fingerprints | None = None,
    on_progress: ProgressCallback | None = None,
) -> NearResult:
    """Mark documents that nearly duplicate a better-ranked one as ``near_duplicate``.

    Needs `_rank`, and either ``fingerprints`` (row ``i`` for the corpus's row ``i``) or
    `_normalized` to compute them from. Only rows without a drop reason take part.
    Candidates come from LSH over MinHash signatures; with ``config.verify`` each candidate's
    true Jaccard and containment on the shingle sets decide, else the MinHash estimate does.
    Each member of a cluster must pass against the canonical copy (see ``clusters``).
    """
    if not config.enabled:
        return NearResult(corpus)
    alive_rows = np.flatnonzero(corpus.get_column(DROP_REASON).is_null().to_numpy())
    alive = corpus[alive_rows].select(DOC_ID, CANONICAL_RANK)
    bands, rows = lsh_parameters(config)
    stats: dict[str, Any] = {"bands": bands, "rows": rows, "documents": alive.height}
    if alive.height < 2:
        return NearResult(corpus, stats | {"candidate_pairs": 0, "verified_pairs": 0})
    if fingerprints is None:
        alive_text = pl.when(pl.col(DROP_REASON).is_null()).then(pl.col(NORMALIZED))
        texts = corpus.select(alive_text.fill_null("")).to_series()
        fingerprints = fingerprint(texts, config, on_progress=on_progress)
    # Candidates and clusters are numbered among the alive rows; fingerprints by corpus row.
    candidates = find_candidate_pairs(fingerprints.signatures[alive_rows], bands=bands, rows=rows)
    stats["candidate_pairs"] = candidates.height
    offsets, hashes = fingerprints.combined()
    scorer = _CachedCheck(
        PairScorer(config, len(fingerprints), offsets, hashes, fingerprints.signatures)
    )

    def check(
        left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        return scorer(alive_rows[left], alive_rows[right])

    left = candidates.get_column("left").to_numpy().astype(np.int64)
    right = candidates.get_column("right").to_numpy().astype(np.int64)
    if config.verify:
        plausible = _plausible(fingerprints, alive_rows[left], alive_rows[right], config)
        left, right = left[plausible], right[plausible]
        stats["plausible_pairs"] = len(left)
    passed, _ = check(left, right)
    left, right = left[passed], right[passed]
    stats["verified_pairs"] = int(passed.sum())
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity = assign_canonicals(alive.height, left, right, ranks, check)
    ids = alive.get_column(DOC_ID)
    is_copy = canonical != np.arange(alive.height)
    marks = pl.DataFrame(
        {
            DOC_ID: ids.filter(pl.Series(is_copy)),
            "_near_of": ids.gather(canonical[is_copy]),
            "_near_similarity": similarity[is_copy],
        }
    )
    stats["near_duplicates"] = marks.height
    logger.info(
        "found %d near duplicates from %d candidate pairs (%d verified, bands=%d, rows=%d)",
        marks.height,
        candidates.height,
        stats["verified_pairs"],
        bands,
        rows,
    )
    marked = corpus.join(marks, on=DOC_ID, how="left", maintain_order="left")
    is_near = pl.col("_near_of").is_not_null()
    return NearResult(
        marked.with_columns(
            pl.coalesce(
                DROP_REASON, pl.when(is_near).then(pl.lit(DropReason.NEAR_DUPLICATE.value))
            ).alias(DROP_REASON),
            pl.coalesce(DUPLICATE_OF, "_near_of").alias(DUPLICATE_OF),
            pl.coalesce(SIMILARITY, "_near_similarity").alias(SIMILARITY),
        ).drop("_near_of", "_near_similarity"),
        stats,
    )
