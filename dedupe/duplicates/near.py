"""The near-duplicate stage: fingerprints per batch, then LSH, verification and guarded clusters.

``fingerprint`` works on one batch of texts at a time (shingle sets, lead sets, MinHash
signatures as NumPy arrays), so a corpus larger than memory is fingerprinted in a streaming
pass; ``mark_near_duplicates`` then works on the fingerprints of the whole corpus, never the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates.clusters import IndexArray, PairCheck, assign_canonicals
from dedupe.duplicates.facts import (
    FactCheck,
    TextSource,
    corpus_texts,
    facts_from_texts,
)
from dedupe.duplicates.fingerprints import LEAD_WORDS, Fingerprints, FingerprintSet, fingerprint
from dedupe.duplicates.leads import ShortDocumentRule, find_lead_candidates
from dedupe.duplicates.lsh import find_candidate_pairs, optimal_bands_rows
from dedupe.duplicates.shingles import text_hashes
from dedupe.duplicates.similarities import similarity_record
from dedupe.duplicates.verify import score_pairs
from dedupe.kernels import warm_up
from dedupe.schema import (
    CANONICAL_RANK,
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    MATCHED,
    MEASURE,
    NORMALIZED,
    ROW_INDEX,
    SIMILARITY,
    DropReason,
    Measure,
)

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int], None]
U32Array = npt.NDArray[np.uint32]
I64Array = npt.NDArray[np.int64]
# A trimmed copy keeps the original's lead: news is written as an inverted pyramid and editors
# cut from the bottom. A follow-up or another outlet's write-up that reuses background
# paragraphs has a lead of its own, so a containment match must also find most of the shorter
# document's lead (its first LEAD_WORDS words) inside the longer one.
LEAD_CONTAINMENT = 0.5
__all__ = [
    "LEAD_CONTAINMENT",
    "LEAD_WORDS",
    "CachedCheck",
    "Fingerprints",
    "FingerprintsAndTexts",
    "NearResult",
    "PairScorer",
    "RuledScorer",
    "ScoredCandidates",
    "decided_by_containment",
    "fingerprint",
    "lsh_parameters",
    "mark_canonicals",
    "mark_near_duplicates",
    "warm_up_kernels",
]


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


@dataclass(frozen=True, slots=True)
class RuledScorer:
    """Verification, then the rules a passing pair must also keep before it is merged.

    The rule for very short documents (``leads``) and, for pairs not near-identical, the
    check of the facts (``facts``), on every pair verification passes, the cluster guard's too.
    """

    scorer: PairScorer
    short: ShortDocumentRule
    facts: FactCheck
    # Pairs verification passed and the rules then kept apart, over every call.
    ruled_out: list[int] = field(default_factory=lambda: [0])

    def __call__(
        self, left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Return which pairs are near duplicates that keep the rules, and their similarity."""
        passed, similarity = self.scorer(left, right)
        return self.decide(left, right, passed, similarity), similarity

    def decide(
        self,
        left: IndexArray,
        right: IndexArray,
        passed: npt.NDArray[np.bool_],
        similarity: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.bool_]:
        """Return which of the pairs verification ``passed`` at ``similarity`` keep the rules."""
        verified = passed
        passed = self.short.decide(left, right, passed, similarity)
        # The check of the facts reads the Jaccard similarity of the shingle sets (a pair that
        # passed on containment has its own): one more score of the passing pairs only.
        jaccard = np.ones(len(left), dtype=np.float64)
        scored = np.flatnonzero(passed)
        if len(scored):
            scorer = self.scorer
            if scorer.config.verify:
                found = score_pairs(
                    _pairs(left[scored], right[scored]), scorer.offsets, scorer.hashes
                )
                jaccard[scored] = found.get_column("jaccard").to_numpy()
            else:
                jaccard[scored] = similarity[scored]
        kept = self.facts.decide(left, right, passed, jaccard)
        self.ruled_out[0] += int(verified.sum() - kept.sum())
        return kept


# Standard deviations of the MinHash estimate kept as margin by the pre-filter: a pair that could
# pass verification is discarded with probability below 1e-4 (normal tail at 4 sigma).
PREFILTER_SIGMAS = 4.0


def is_plausible(
    prints: FingerprintSet, left: IndexArray, right: IndexArray, config: NearConfig
) -> npt.NDArray[np.bool_]:
    """Which candidates could pass verification, judged by their MinHash estimate.

    Verifying a pair costs a merge of two shingle sets, estimating its Jaccard costs
    ``num_perm`` comparisons, so pairs whose estimate lies far below the lowest Jaccard that
    could still pass are dropped first. A pair passes on Jaccard ``>= threshold`` or on
    containment ``c >= containment_threshold``; with set sizes ``a <= b`` containment ``c``
    means Jaccard ``c*a / (a + b - c*a)``, the least a passing pair can have.
    """
    sizes = prints.set_sizes()
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


class CachedCheck:
    """A PairScorer that remembers its answers: the cluster guard re-checks many pairs.

    The cache is a sorted array of pair keys (``low << 32 | high``), looked up with
    ``searchsorted``, so neither the lookups nor the inserts loop over pairs in Python.
    """

    def __init__(self, scorer: PairCheck) -> None:
        self.scorer = scorer
        self.keys = np.empty(0, dtype=np.uint64)
        self.passed = np.empty(0, dtype=np.bool_)
        self.similarity = np.empty(0, dtype=np.float64)

    @staticmethod
    def _keys(left: IndexArray, right: IndexArray) -> npt.NDArray[np.uint64]:
        low = np.minimum(left, right).astype(np.uint64)
        return (low << np.uint64(32)) | np.maximum(left, right).astype(np.uint64)

    def remember(
        self,
        left: IndexArray,
        right: IndexArray,
        passed: npt.NDArray[np.bool_],
        similarity: npt.NDArray[np.float64],
    ) -> None:
        """Add the answers for pairs not cached yet (the first answer of a repeated pair)."""
        new_keys, first = np.unique(self._keys(left, right), return_index=True)
        merged = np.concatenate([self.keys, new_keys])
        order = np.argsort(merged, kind="stable")
        self.keys = merged[order]
        self.passed = np.concatenate([self.passed, passed[first]])[order]
        self.similarity = np.concatenate([self.similarity, similarity[first]])[order]

    def __call__(
        self, left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """Return which pairs are near duplicates and their similarity, scoring only new ones."""
        keys = self._keys(left, right)
        where = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        hit = (self.keys[where] == keys) if len(self.keys) else np.zeros(len(keys), dtype=bool)
        passed = np.zeros(len(keys), dtype=np.bool_)
        similarity = np.zeros(len(keys), dtype=np.float64)
        passed[hit], similarity[hit] = self.passed[where[hit]], self.similarity[where[hit]]
        miss = ~hit
        if miss.any():
            new_passed, new_similarity = self.scorer(left[miss], right[miss])
            passed[miss], similarity[miss] = new_passed, new_similarity
            self.remember(left[miss], right[miss], new_passed, new_similarity)
        return passed, similarity


def _pairs(left: IndexArray, right: IndexArray) -> pl.DataFrame:
    return pl.DataFrame({"left": left.astype(np.uint32), "right": right.astype(np.uint32)})


def mark_near_duplicates(
    corpus: pl.DataFrame,
    config: NearConfig,
    *,
    fingerprints: FingerprintSet | None = None,
    texts: TextSource | None = None,
    on_progress: ProgressCallback | None = None,
) -> NearResult:
    """Mark documents that nearly duplicate a better-ranked one as ``near_duplicate``.

    Needs `_rank`, and either ``fingerprints`` (row ``i`` for the corpus's row ``i``, in memory
    or `SavedFingerprints`) or `_normalized` to compute them from. Only rows without a drop
    reason take part. Candidates come from LSH over MinHash signatures; with ``config.verify``
    each candidate's true Jaccard and containment on the shingle sets decide, else the MinHash
    estimate does. Only the shingle sets of documents in a plausible candidate pair are read.
    Each member of a cluster must pass against the canonical copy (see ``clusters``).

    Candidates also come from each document's opening (``leads``: briefs and deep cuts), and
    a pair that passes must also pass the rule for very short documents and, unless it is
    near-identical, the check of its facts (``facts``): ``texts`` gives the cleaned text of
    corpus rows, asked only for documents in a verified pair (default: the `text` column).
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
        normalized = corpus.select(alive_text.fill_null("")).to_series()
        fingerprints = fingerprint(normalized, config, on_progress=on_progress)
    # Candidates and clusters are numbered among the alive rows; fingerprints by corpus row.
    candidates = find_candidate_pairs(
        fingerprints.signatures, bands=bands, rows=rows, subset=alive_rows
    )
    # candidate_pairs stays the main index's count; the index over openings adds its own.
    stats["candidate_pairs"] = candidates.height
    by_opening = find_lead_candidates(corpus, fingerprints, alive_rows, config)
    stats["lead_candidate_pairs"] = by_opening.height
    candidates = pl.concat([candidates, by_opening]).unique().sort("left", "right")
    left = candidates.get_column("left").to_numpy().astype(np.int64)
    right = candidates.get_column("right").to_numpy().astype(np.int64)
    del candidates
    if config.verify:
        plausible = is_plausible(fingerprints, alive_rows[left], alive_rows[right], config)
        left, right = left[plausible], right[plausible]
        stats["plausible_pairs"] = len(left)
    # The shingle sets of the documents that can still be paired, numbered in ``needed``.
    needed = np.unique(np.concatenate([alive_rows[left], alive_rows[right]]))
    compact = fingerprints.take(needed)
    offsets, hashes = compact.combined()
    pair_scorer = PairScorer(config, len(compact), offsets, hashes, compact.signatures)
    source = corpus_texts(corpus) if texts is None else texts

    def needed_facts(rows: IndexArray) -> pl.Series:
        return facts_from_texts(source)(needed[rows])

    fact_check = FactCheck(needed_facts, len(needed))
    ruled = RuledScorer(
        pair_scorer, ShortDocumentRule(compact.set_sizes(), config.threshold), fact_check
    )
    scorer = CachedCheck(ruled)
    local = np.full(len(corpus), -1, dtype=np.int64)
    local[needed] = np.arange(len(needed))

    def check(
        left: IndexArray, right: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        return scorer(local[alive_rows[left]], local[alive_rows[right]])

    passed, _ = check(left, right)
    # The one hook for the review page and the thresholds table: true scores of these pairs.
    stats["similarities"] = similarity_record(
        pair_scorer,
        local[alive_rows[left]],
        local[alive_rows[right]],
        passed,
        ids=corpus.get_column(DOC_ID).gather(needed),
        ranks=corpus.get_column(CANONICAL_RANK).gather(needed).to_numpy(),
        lead_threshold=LEAD_CONTAINMENT,
    )
    left, right = left[passed], right[passed]
    # Pairs that passed verification, as the Spark engine counts them; the rules' vetoes are
    # counted apart (fact_vetoes).
    stats["verified_pairs"] = int(passed.sum()) + ruled.ruled_out[0]
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity = assign_canonicals(alive.height, left, right, ranks, check)
    copies = np.flatnonzero(canonical != np.arange(alive.height))
    by_containment = np.zeros(alive.height, dtype=bool)
    by_containment[copies] = decided_by_containment(
        pair_scorer, local[alive_rows[copies]], local[alive_rows[canonical[copies]]]
    )
    stats["near_duplicates"] = len(copies)
    stats |= fact_check.vetoes(corpus.get_column(DOC_ID).gather(needed))
    logger.info(
        "found %d near duplicates from %d candidate pairs (%d verified, bands=%d, rows=%d)",
        stats["near_duplicates"],
        stats["candidate_pairs"],
        stats["verified_pairs"],
        bands,
        rows,
    )
    return NearResult(
        mark_canonicals(
            corpus, alive.get_column(DOC_ID), canonical, similarity, by_containment=by_containment
        ),
        stats,
    )


@dataclass(frozen=True, slots=True)
class FingerprintsAndTexts:
    """The fingerprints of a table (row ``i`` for row ``i``) and where to read its texts.

    The local engine's evidence for the near stage: ``texts`` gives the cleaned text of table
    rows, which the check of the facts asks for documents in a verified pair only.
    """

    fingerprints: FingerprintSet
    texts: TextSource


@dataclass(frozen=True, slots=True)
class ScoredCandidates:
    """Candidate pairs an engine has already found and scored, with the table's fingerprints.

    The Spark engine finds and scores candidates corpus-wide (LSH as ``groupBy``, scores in
    ``mapInArrow``) and hands each complete component here, so the decision is this module's.
    ``pairs`` holds ``left`` and ``right`` (``_row`` values), ``passed`` and ``similarity``
    (verification's answer, before the rules of `RuledScorer`); ``fingerprints`` row ``i`` is
    the table's row ``i``, and so is ``facts`` (`document_facts`, null where unknown).
    """

    fingerprints: Fingerprints
    pairs: pl.DataFrame
    facts: pl.Series | None = None


def mark_scored_near_duplicates(
    corpus: pl.DataFrame, config: NearConfig, candidates: ScoredCandidates
) -> NearResult:
    """Mark near duplicates as `mark_near_duplicates` does, on candidates already scored.

    The decision is the same: the rules of `RuledScorer` on the given scores, then
    ``assign_canonicals`` with a check primed with them, so each member passes against its
    cluster's canonical copy. Pairs whose ``left`` is no longer alive (an exact duplicate)
    take no part.
    """
    alive_rows = np.flatnonzero(corpus.get_column(DROP_REASON).is_null().to_numpy())
    alive = corpus[alive_rows]
    alive_ids = alive.get_column(ROW_INDEX)
    scored = candidates.pairs.filter(pl.col("left").is_in(alive_ids.implode()))
    if scored.height == 0:
        return NearResult(corpus)
    row_ids = alive_ids.to_numpy()
    order = np.argsort(row_ids)
    sorted_ids = row_ids[order]

    def index(rows: pl.Series) -> IndexArray:
        return np.asarray(order[np.searchsorted(sorted_ids, rows.to_numpy())], dtype=np.int64)

    left, right = index(scored.get_column("left")), index(scored.get_column("right"))
    prints = candidates.fingerprints.take(alive_rows)
    offsets, hashes = prints.combined()
    scorer = PairScorer(config, alive.height, offsets, hashes, prints.signatures)
    known = candidates.facts

    def alive_facts(rows: IndexArray) -> pl.Series:
        if known is None:
            return pl.repeat(None, len(rows), dtype=pl.String, eager=True).alias("facts")
        return known.gather(alive_rows[rows])

    fact_check = FactCheck(alive_facts, alive.height)
    ruled = RuledScorer(scorer, ShortDocumentRule(prints.set_sizes(), config.threshold), fact_check)
    similarity_scored = scored.get_column(SIMILARITY).to_numpy().astype(np.float64)
    passed = ruled.decide(
        left, right, scored.get_column("passed").to_numpy().astype(bool), similarity_scored
    )
    check = CachedCheck(ruled)
    check.remember(left, right, passed, similarity_scored)
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity = assign_canonicals(
        alive.height, left[passed], right[passed], ranks, check
    )
    copies = np.flatnonzero(canonical != np.arange(alive.height))
    by_containment = np.zeros(alive.height, dtype=bool)
    by_containment[copies] = decided_by_containment(scorer, copies, canonical[copies])
    marked = mark_canonicals(
        corpus, alive.get_column(DOC_ID), canonical, similarity, by_containment=by_containment
    )
    stats = {"near_duplicates": len(copies)} | fact_check.vetoes(alive.get_column(DOC_ID))
    return NearResult(marked, stats)


def decided_by_containment(
    scorer: PairScorer, left: IndexArray, right: IndexArray
) -> npt.NDArray[np.bool_]:
    """Say which passing pairs passed on containment, not Jaccard (rows of ``scorer``).

    A pair passes on Jaccard first (see `PairScorer`), so it passed on containment exactly when
    its Jaccard is under the threshold. One score per dropped document: cheap.
    """
    if not scorer.config.verify or len(left) == 0:
        return np.zeros(len(left), dtype=np.bool_)
    jaccard = score_pairs(_pairs(left, right), scorer.offsets, scorer.hashes)["jaccard"]
    decided: npt.NDArray[np.bool_] = jaccard.to_numpy() < scorer.config.threshold
    return decided


def mark_canonicals(
    corpus: pl.DataFrame,
    ids: pl.Series,
    canonical: IndexArray,
    similarity: npt.NDArray[np.float64],
    *,
    by_containment: npt.NDArray[np.bool_] | None = None,
) -> pl.DataFrame:
    """Mark each document of ``ids`` whose canonical is another one as its ``near_duplicate``.

    ``canonical`` and ``similarity`` are `assign_canonicals`' answer over ``ids``;
    ``by_containment`` (`decided_by_containment`, over ``ids``) sets ``measure``, else Jaccard.
    ``corpus`` keeps its rows and order, and a reason already set is kept; ``matched`` and
    ``duplicate_of`` both name the canonical (a later chain may move ``duplicate_of``).
    """
    is_copy = canonical != np.arange(len(ids))
    if by_containment is None:
        by_containment = np.zeros(len(ids), dtype=np.bool_)
    measure = np.where(by_containment, Measure.CONTAINMENT.value, Measure.JACCARD.value)
    marks = pl.DataFrame(
        {
            DOC_ID: ids.filter(pl.Series(is_copy)),
            "_near_of": ids.gather(canonical[is_copy]),
            "_near_similarity": similarity[is_copy],
            "_near_measure": pl.Series(measure[is_copy], dtype=pl.String),
        }
    )
    missing = [c for c in (MATCHED, MEASURE) if c not in corpus.columns]
    marked = corpus.with_columns(pl.lit(None, pl.String).alias(c) for c in missing).join(
        marks, on=DOC_ID, how="left", maintain_order="left"
    )
    is_near = pl.col("_near_of").is_not_null()
    return marked.with_columns(
        pl.coalesce(
            DROP_REASON, pl.when(is_near).then(pl.lit(DropReason.NEAR_DUPLICATE.value))
        ).alias(DROP_REASON),
        pl.coalesce(DUPLICATE_OF, "_near_of").alias(DUPLICATE_OF),
        pl.coalesce(MATCHED, "_near_of").alias(MATCHED),
        pl.coalesce(MEASURE, "_near_measure").alias(MEASURE),
        pl.coalesce(SIMILARITY, "_near_similarity").alias(SIMILARITY),
    ).drop("_near_of", "_near_similarity", "_near_measure")


@warm_up
def warm_up_kernels() -> None:
    """Compile the near-duplicate kernels (or load them from numba's cache) as they load.

    Fingerprints two short texts and scores one pair at the default settings (numba compiles
    per argument types, not values), so that the first large batch does not pay for it.
    """
    config = NearConfig()
    prints = fingerprint(pl.Series(["warm up the kernels", "warm up kernels"]), config)
    text_hashes(pl.Series(["warm up"]))
    offsets, hashes = prints.combined()
    PairScorer(config, len(prints), offsets, hashes, prints.signatures)(
        np.array([0], dtype=np.int64), np.array([1], dtype=np.int64)
    )
