"""The near-duplicate stage: shingles, MinHash signatures, LSH candidates, verification, clusters.

Each step lives in its own module; this one composes them over the documents still alive and
marks each non-canonical member of a cluster as ``near_duplicate`` of its canonical copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
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
from dedupe.shingles import shingle_hashes
from dedupe.verify import score_pairs

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int], None]
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


def lead_texts(normalized: pl.Series, words: int = LEAD_WORDS) -> pl.Series:
    """Return the first ``words`` words of each normalized text: the part an editor never cuts."""
    return normalized.str.split(" ").list.head(words).list.join(" ")


@dataclass(frozen=True, slots=True)
class PairScorer:
    """Verifies (member, canonical) or candidate pairs of rows on their true shingle sets.

    ``offsets``/``hashes`` hold every document's shingle set, followed by every document's lead
    set (row ``n_docs + i`` is the lead of document ``i``), so ``score_pairs`` scores both.
    """

    config: NearConfig
    n_docs: int
    offsets: npt.NDArray[np.int64]
    hashes: npt.NDArray[np.uint32]
    signatures: npt.NDArray[np.uint32]

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


def _pairs(left: IndexArray, right: IndexArray) -> pl.DataFrame:
    return pl.DataFrame({"left": left.astype(np.uint32), "right": right.astype(np.uint32)})


def mark_near_duplicates(
    corpus: pl.DataFrame, config: NearConfig, *, on_progress: ProgressCallback | None = None
) -> NearResult:
    """Mark documents that nearly duplicate a better-ranked one as ``near_duplicate``.

    Needs the `_normalized` and `_rank` columns; only rows without a drop reason take part.
    Candidates come from LSH over MinHash signatures; with ``config.verify`` each candidate's
    true Jaccard and containment on the shingle sets decide, else the MinHash estimate does.
    Each member of a cluster must pass against the canonical copy (see ``clusters``).
    """
    if not config.enabled:
        return NearResult(corpus)
    alive_mask = corpus.get_column(DROP_REASON).is_null()
    alive = corpus.filter(alive_mask).select(DOC_ID, NORMALIZED, CANONICAL_RANK)
    bands, rows = lsh_parameters(config)
    stats: dict[str, Any] = {"bands": bands, "rows": rows, "documents": alive.height}
    if alive.height < 2:
        return NearResult(corpus, stats | {"candidate_pairs": 0, "verified_pairs": 0})
    normalized = alive.get_column(NORMALIZED)
    offsets, hashes = shingle_hashes(normalized, ngram_size=config.ngram_size)
    signatures = compute_signatures(
        offsets, hashes, num_perm=config.num_perm, seed=config.seed, on_progress=on_progress
    )
    candidates = find_candidate_pairs(signatures, bands=bands, rows=rows)
    stats["candidate_pairs"] = candidates.height
    lead_offsets, lead_hashes = shingle_hashes(lead_texts(normalized), ngram_size=config.ngram_size)
    check = PairScorer(
        config,
        alive.height,
        np.concatenate([offsets, lead_offsets[1:] + offsets[-1]]),
        np.concatenate([hashes, lead_hashes]),
        signatures,
    )
    left = candidates.get_column("left").to_numpy().astype(np.int64)
    right = candidates.get_column("right").to_numpy().astype(np.int64)
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
