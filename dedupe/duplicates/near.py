"""The near-duplicate stage: fingerprints per batch, then LSH, verification and guarded clusters.

``fingerprint`` works on one batch of texts at a time (shingle sets, lead sets, MinHash
signatures as NumPy arrays), so a corpus larger than memory is fingerprinted in a streaming
pass; ``mark_near_duplicates`` then works on the fingerprints of the whole corpus, never the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates.clusters import IndexArray, assign_canonicals, closest_canonicals
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
from dedupe.duplicates.similarities import CONTAINMENT_GRID, similarity_record
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
F64Array = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
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
    "PairScores",
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
class PairScores:
    """What verification measured on pairs, each pair scored once, and its answer.

    ``passed`` and ``similarity`` are the answer (the similarity that decided: containment
    where the pair passed on containment, else Jaccard); ``jaccard`` and ``containment`` are
    those of the shingle sets (the MinHash estimate for both without verify); ``lead`` is the
    containment of the shorter document's lead in the longer one, measured where the answer
    (or the similarity record) needs it, 0.0 elsewhere.
    """

    passed: npt.NDArray[np.bool_]
    similarity: npt.NDArray[np.float64]
    jaccard: npt.NDArray[np.float64]
    containment: npt.NDArray[np.float64]
    lead: npt.NDArray[np.float64]

    def ruled(self, passed: npt.NDArray[np.bool_]) -> PairScores:
        """The same measures with the answer the rules gave."""
        return PairScores(passed, self.similarity, self.jaccard, self.containment, self.lead)


def decided_by_containment(config: NearConfig, jaccard: npt.NDArray[np.float64]) -> BoolArray:
    """Say which passing pairs passed on containment, not Jaccard, from their ``jaccard``.

    A pair passes on Jaccard first (see `PairScorer`), so it passed on containment exactly when
    its Jaccard is under the threshold (never without verify: the estimate decides alone).
    """
    if not config.verify:
        return np.zeros(len(jaccard), dtype=np.bool_)
    decided: BoolArray = jaccard < config.threshold
    return decided


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

    def __call__(self, left: IndexArray, right: IndexArray) -> tuple[BoolArray, F64Array]:
        """Return which pairs are near duplicates and the similarity that decided."""
        scores = self.score(left, right)
        return scores.passed, scores.similarity

    def score(self, left: IndexArray, right: IndexArray, *, all_leads: bool = False) -> PairScores:
        """Score the pairs once: their answer and the measures behind it (`PairScores`).

        The lead is measured where the pair can only pass on containment; with ``all_leads``
        also wherever containment reaches the similarity record's lowest threshold.
        """
        config = self.config
        if not config.verify:
            estimate = (self.signatures[left] == self.signatures[right]).mean(axis=1)
            estimate = estimate.astype(np.float64)
            zeros = np.zeros(len(left), dtype=np.float64)
            return PairScores(estimate >= config.threshold, estimate, estimate, estimate, zeros)
        sizes = np.diff(self.offsets)
        shorter = np.where(sizes[left] <= sizes[right], left, right)
        longer = np.where(sizes[left] <= sizes[right], right, left)
        lead_floor = config.containment_threshold
        if all_leads:
            lead_floor = min(lead_floor, min(CONTAINMENT_GRID))
        scored = score_pairs(_pairs(left, right), self.offsets, self.hashes)
        jaccard = scored.get_column("jaccard").to_numpy()
        containment = scored.get_column("containment").to_numpy()
        by_jaccard = jaccard >= config.threshold
        needs_lead = (containment >= lead_floor) & (all_leads | ~by_jaccard)
        lead = np.zeros(len(left), dtype=np.float64)
        if needs_lead.any():
            pairs = _pairs(shorter[needs_lead] + self.n_docs, longer[needs_lead])
            found = score_pairs(pairs, self.offsets, self.hashes).get_column("containment")
            lead[needs_lead] = found.to_numpy()
        by_containment = (
            ~by_jaccard & (containment >= config.containment_threshold) & (lead >= LEAD_CONTAINMENT)
        )
        similarity = np.where(by_containment, containment, jaccard).astype(np.float64)
        return PairScores(by_jaccard | by_containment, similarity, jaccard, containment, lead)


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

    def score(self, left: IndexArray, right: IndexArray, *, all_leads: bool = False) -> PairScores:
        """Score the pairs once (`PairScorer.score`) and answer with the rules kept."""
        scores = self.scorer.score(left, right, all_leads=all_leads)
        return scores.ruled(
            self.decide(left, right, scores.passed, scores.similarity, scores.jaccard)
        )

    def decide(
        self,
        left: IndexArray,
        right: IndexArray,
        passed: BoolArray,
        similarity: F64Array,
        jaccard: F64Array,
    ) -> BoolArray:
        """Return which of the pairs verification ``passed`` keep the rules.

        ``similarity`` is the one that decided, ``jaccard`` that of the shingle sets (which
        the check of the facts reads; a pair that passed on containment has its own).
        """
        kept = self.short.decide(left, right, passed, similarity)
        kept = self.facts.decide(left, right, kept, jaccard)
        self.ruled_out[0] += int(passed.sum() - kept.sum())
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
    """A scorer that remembers its answers: the cluster guard re-checks many pairs.

    It keeps each pair's answer, similarity and Jaccard (`PairScores`) in a sorted array of
    pair keys (``low << 32 | high``), looked up with ``searchsorted``, so neither the lookups
    nor the inserts loop over pairs in Python. Called, it is a `PairCheck`.
    """

    def __init__(self, scorer: RuledScorer) -> None:
        self.scorer = scorer
        self.keys = np.empty(0, dtype=np.uint64)
        self.passed = np.empty(0, dtype=np.bool_)
        self.similarity = np.empty(0, dtype=np.float64)
        self.jaccard = np.empty(0, dtype=np.float64)
        self.containment = np.empty(0, dtype=np.float64)

    @staticmethod
    def _keys(left: IndexArray, right: IndexArray) -> npt.NDArray[np.uint64]:
        low = np.minimum(left, right).astype(np.uint64)
        return (low << np.uint64(32)) | np.maximum(left, right).astype(np.uint64)

    def remember(self, left: IndexArray, right: IndexArray, scores: PairScores) -> None:
        """Add the answers for pairs not cached yet (the first answer of a repeated pair)."""
        new_keys, first = np.unique(self._keys(left, right), return_index=True)
        merged = np.concatenate([self.keys, new_keys])
        order = np.argsort(merged, kind="stable")
        self.keys = merged[order]
        for name in ("passed", "similarity", "jaccard", "containment"):
            known = getattr(self, name)
            setattr(self, name, np.concatenate([known, getattr(scores, name)[first]])[order])

    def _where(self, left: IndexArray, right: IndexArray) -> tuple[IndexArray, BoolArray]:
        keys = self._keys(left, right)
        where = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        hit = (self.keys[where] == keys) if len(self.keys) else np.zeros(len(keys), dtype=bool)
        return where, hit

    def __call__(self, left: IndexArray, right: IndexArray) -> tuple[BoolArray, F64Array]:
        """Return which pairs are near duplicates and their similarity, scoring only new ones."""
        where, hit = self._where(left, right)
        passed = np.zeros(len(left), dtype=np.bool_)
        similarity = np.zeros(len(left), dtype=np.float64)
        passed[hit], similarity[hit] = self.passed[where[hit]], self.similarity[where[hit]]
        miss = ~hit
        if miss.any():
            scores = self.scorer.score(left[miss], right[miss])
            passed[miss], similarity[miss] = scores.passed, scores.similarity
            self.remember(left[miss], right[miss], scores)
        return passed, similarity

    def jaccard_of(self, left: IndexArray, right: IndexArray) -> F64Array:
        """The Jaccard similarity of pairs checked before (NaN for a pair never checked)."""
        return self._known("jaccard", left, right)

    def containment_of(self, left: IndexArray, right: IndexArray) -> F64Array:
        """The containment of pairs checked before (NaN for a pair never checked)."""
        return self._known("containment", left, right)

    def _known(self, name: str, left: IndexArray, right: IndexArray) -> F64Array:
        where, hit = self._where(left, right)
        values = np.full(len(left), np.nan, dtype=np.float64)
        values[hit] = getattr(self, name)[where[hit]]
        return values


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
    local = np.full(len(corpus), -1, dtype=np.int64)
    local[needed] = np.arange(len(needed))
    pair_left, pair_right = local[alive_rows[left]], local[alive_rows[right]]
    # Each candidate is scored once, with every measure the record of similarities reads.
    scores = ruled.score(pair_left, pair_right, all_leads=True)
    scorer = CachedCheck(ruled)
    scorer.remember(pair_left, pair_right, scores)
    passed = scores.passed
    measured = scores
    if not config.verify:
        # The estimate decided; the record still shows the true scores of the shingle sets.
        measured = replace(pair_scorer, config=replace(config, verify=True)).score(
            pair_left, pair_right, all_leads=True
        )
    # The one hook for the review page and the thresholds table: true scores of these pairs.
    stats["similarities"] = similarity_record(
        config,
        measured.jaccard,
        measured.containment,
        measured.lead,
        passed,
        left=pair_left,
        right=pair_right,
        ids=corpus.get_column(DOC_ID).gather(needed),
        ranks=corpus.get_column(CANONICAL_RANK).gather(needed).to_numpy(),
        lead_threshold=LEAD_CONTAINMENT,
    )
    # Pairs that passed verification, as the Spark engine counts them; the rules' vetoes are
    # counted apart (fact_vetoes).
    stats["verified_pairs"] = int(passed.sum()) + ruled.ruled_out[0]

    def check(left: IndexArray, right: IndexArray) -> tuple[BoolArray, F64Array]:
        return scorer(local[alive_rows[left]], local[alive_rows[right]])

    def jaccard_of(left: IndexArray, right: IndexArray) -> F64Array:
        return scorer.jaccard_of(local[alive_rows[left]], local[alive_rows[right]])

    def containment_of(left: IndexArray, right: IndexArray) -> F64Array:
        return scorer.containment_of(local[alive_rows[left]], local[alive_rows[right]])

    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity, by_containment = _clusters(
        config, alive.height, left[passed], right[passed], ranks, check, jaccard_of, containment_of
    )
    stats["near_duplicates"] = int((canonical != np.arange(alive.height)).sum())
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


def _clusters(
    config: NearConfig,
    n_nodes: int,
    left: IndexArray,
    right: IndexArray,
    ranks: npt.NDArray[np.integer[Any]],
    check: Callable[[IndexArray, IndexArray], tuple[BoolArray, F64Array]],
    jaccard_of: Callable[[IndexArray, IndexArray], F64Array],
    containment_of: Callable[[IndexArray, IndexArray], F64Array],
) -> tuple[IndexArray, F64Array, BoolArray]:
    """Canonicals of the nodes joined by the passing pairs, then each copy's best cluster.

    `assign_canonicals` keeps each cluster's members passing against its canonical; a copy
    that also passes against the canonical of a larger cluster (or of one as large that holds
    more of it) then moves there (`closest_canonicals`). ``check`` has scored every pair
    given (a cache), so the measures of each copy and its canonical are read, not scored:
    ``jaccard_of`` and ``containment_of`` read them, and the measure that decided is
    containment exactly when the Jaccard is under the threshold.
    """
    assigned, similarity = assign_canonicals(n_nodes, left, right, ranks, check)
    copies = np.flatnonzero(assigned != np.arange(n_nodes))
    current = (np.zeros(n_nodes, dtype=np.float64), np.zeros(n_nodes, dtype=np.float64))
    current[0][copies] = containment_of(copies, assigned[copies])
    current[1][copies] = jaccard_of(copies, assigned[copies])
    pair_closeness = (containment_of(left, right), jaccard_of(left, right))
    canonical = closest_canonicals(assigned, current, left, right, pair_closeness, ranks)
    copies = np.flatnonzero(canonical != np.arange(n_nodes))
    moved = np.flatnonzero(canonical != assigned)
    if len(moved):
        similarity[moved] = check(moved, canonical[moved])[1]
    by_containment = np.zeros(n_nodes, dtype=np.bool_)
    by_containment[copies] = decided_by_containment(config, jaccard_of(copies, canonical[copies]))
    return canonical, similarity, by_containment


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
    (verification's answer, before the rules of `RuledScorer`), ``jaccard`` and
    ``containment`` (those of the shingle sets, `PairScores`), so no pair is scored again;
    ``fingerprints`` row ``i`` is the table's row ``i``, and so is ``facts``
    (`document_facts`, null where unknown).
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
    jaccard_scored = scored.get_column("jaccard").to_numpy().astype(np.float64)
    containment_scored = scored.get_column("containment").to_numpy().astype(np.float64)
    verified = scored.get_column("passed").to_numpy().astype(bool)
    passed = ruled.decide(left, right, verified, similarity_scored, jaccard_scored)
    lead = np.zeros(len(left), dtype=np.float64)
    check = CachedCheck(ruled)
    check.remember(
        left,
        right,
        PairScores(passed, similarity_scored, jaccard_scored, containment_scored, lead),
    )
    ranks = alive.get_column(CANONICAL_RANK).to_numpy()
    canonical, similarity, by_containment = _clusters(
        config,
        alive.height,
        left[passed],
        right[passed],
        ranks,
        check,
        check.jaccard_of,
        check.containment_of,
    )
    marked = mark_canonicals(
        corpus, alive.get_column(DOC_ID), canonical, similarity, by_containment=by_containment
    )
    copies = int((canonical != np.arange(alive.height)).sum())
    stats = {"near_duplicates": copies} | fact_check.vetoes(alive.get_column(DOC_ID))
    return NearResult(marked, stats)


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
