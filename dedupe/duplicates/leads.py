"""Candidates for contained copies: a second LSH index over each document's opening; short texts.

A brief (an article's first sentences) or a deep cut (its first 10-40%) lies inside the full
article, but its Jaccard similarity is about its length ratio, below what the main banding
catches. Editors cut from the bottom, so the two share their opening: documents whose openings'
(first ``OPENING_WORDS`` words) MinHash signatures agree on a band become candidates too,
whatever their lengths. Verification (containment and lead) then decides as for every
candidate. Very short documents follow `ShortDocumentRule`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates.clusters import IndexArray
from dedupe.duplicates.fingerprints import FingerprintSet
from dedupe.duplicates.lsh import find_candidate_pairs
from dedupe.duplicates.minhash import EMPTY_HASH, compute_signatures
from dedupe.duplicates.shingles import fingerprint_arrays
from dedupe.schema import LEAD_SIGNATURE, NORMALIZED

__all__ = [
    "LEAD_BANDS",
    "LEAD_PERM",
    "LEAD_ROWS",
    "MIN_SHINGLES",
    "OPENING_WORDS",
    "SHORT_SHINGLES",
    "SHORT_SIMILARITY",
    "ShortDocumentRule",
    "corpus_opening_signatures",
    "find_lead_candidates",
    "lead_signature_column",
    "opening_signatures",
]

logger = logging.getLogger(__name__)

U32Array = npt.NDArray[np.uint32]
# The opening indexed: about a headline and the first sentence. Shorter than the lead that
# verification checks (LEAD_WORDS, 50), so that a headline and one sentence and its article
# have the same opening; a new headline still leaves most of it shared.
OPENING_WORDS = 25
# An opening has at most OPENING_WORDS - ngram_size + 1 (23) shingles: 32 permutations in 16
# bands of 2 rows make two openings sharing half their shingles (Jaccard 0.5) candidates with
# probability 0.99, at 0.3 with 0.78, and two unrelated ones sharing one dateline shingle
# (Jaccard 0.02) with 0.006. 128 bytes a document, a quarter of a signature.
LEAD_PERM = 32
LEAD_BANDS = 16
LEAD_ROWS = 2
# Very short documents. Under MIN_SHINGLES shingles (fewer than about ten words: a headline
# alone, a caption, "Breaking news"), containment says nothing: such a document is merged only
# with one of about its own size (the shorter holds at least ``threshold`` of the longer's
# shingles, as a Jaccard match needs). Under SHORT_SHINGLES (a headline and one sentence), the
# similarity that passed must be at least SHORT_SIMILARITY: nearly all of it inside the other,
# since one quoted sentence or stock phrase dropped into another story is 60% of so little.
MIN_SHINGLES = 8
SHORT_SHINGLES = 24
SHORT_SIMILARITY = 0.7
# The first OPENING_WORDS space-separated words, read by an anchored pattern rather than by
# splitting the whole text (normalized texts are single-spaced).
_OPENING = rf"^((?:[^ ]* ){{0,{OPENING_WORDS - 1}}}[^ ]*)"


def opening_signatures(normalized: pl.Series, config: NearConfig) -> U32Array:
    """Return the MinHash signatures (``LEAD_PERM`` wide) of the openings of normalized texts.

    The opening is the first ``OPENING_WORDS`` space-separated words, shingled as the whole
    text is; its signature uses ``LEAD_PERM`` permutations drawn from ``config.seed``. A text
    without words has ``EMPTY_HASH`` everywhere and is never a candidate.

    Example:
        >>> texts = pl.Series(["a b c d e", "a b c d e and more words after the opening"])
        >>> signatures = opening_signatures(texts, NearConfig())
        >>> signatures.shape, bool((signatures[0] == signatures[1]).all())
        ((2, 32), True)
    """
    openings = normalized.fill_null("").str.extract(_OPENING, 1).fill_null("")
    *_, signatures = fingerprint_arrays(
        openings, ngram_size=config.ngram_size, num_perm=LEAD_PERM, seed=config.seed
    )
    return signatures


def lead_signature_column(normalized: pl.Series, config: NearConfig) -> pl.Series:
    """Return `opening_signatures` as the `_lead_signature` column of a key table."""
    return pl.Series(
        LEAD_SIGNATURE,
        opening_signatures(normalized, config),
        dtype=pl.Array(pl.UInt32, LEAD_PERM),
    )


def corpus_opening_signatures(
    corpus: pl.DataFrame, fingerprints: FingerprintSet, rows: IndexArray, config: NearConfig
) -> U32Array:
    """Return the opening signatures of ``rows`` of ``corpus`` (``EMPTY_HASH``: none).

    From the key table's `_lead_signature`; else, for a frame fingerprinted in the stage,
    from `_normalized`. Rows without either (an earlier run's state written before the
    column existed) have their lead sets (first 50 words) signed instead: they match fewer
    short documents.
    """
    if LEAD_SIGNATURE not in corpus.columns and NORMALIZED in corpus.columns:
        return opening_signatures(corpus.get_column(NORMALIZED).gather(rows), config)
    signatures = np.full((len(rows), LEAD_PERM), EMPTY_HASH, dtype=np.uint32)
    missing = np.ones(len(rows), dtype=bool)
    if LEAD_SIGNATURE in corpus.columns:
        column = corpus.get_column(LEAD_SIGNATURE).gather(rows)
        present = column.is_not_null().to_numpy()
        if present.any():
            signatures[present] = column.filter(pl.Series(present)).to_numpy()
        missing = ~present
    if missing.any():
        prints = fingerprints.take(rows[missing])
        signatures[missing] = compute_signatures(
            prints.lead_offsets, prints.lead_hashes, num_perm=LEAD_PERM, seed=config.seed
        )
    return signatures


def find_lead_candidates(
    corpus: pl.DataFrame, fingerprints: FingerprintSet, rows: IndexArray, config: NearConfig
) -> pl.DataFrame:
    """Find pairs of ``rows`` whose openings' signatures agree on a band (the second index).

    Buckets are linked as `find_candidate_pairs` links them (a star on each bucket's first
    member), so the cost grows with the corpus, not with the largest bucket.

    Returns:
        Columns ``left`` and ``right``, positions in ``rows`` (``left < right``).
    """
    signatures = corpus_opening_signatures(corpus, fingerprints, rows, config)
    pairs = find_candidate_pairs(signatures, bands=LEAD_BANDS, rows=LEAD_ROWS)
    logger.info("found %d candidate pairs by their openings", pairs.height)
    return pairs


@dataclass(frozen=True, slots=True)
class ShortDocumentRule:
    """The rule for very short documents, applied to pairs that passed verification.

    ``sizes`` holds the shingle-set sizes of the rows the pairs number; see `MIN_SHINGLES`
    and `SHORT_SHINGLES` for the rule.
    """

    sizes: npt.NDArray[np.int64]
    threshold: float

    def decide(
        self,
        left: IndexArray,
        right: IndexArray,
        passed: npt.NDArray[np.bool_],
        similarity: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.bool_]:
        """Return which pairs that ``passed`` verification at ``similarity`` pass the rule."""
        small = np.minimum(self.sizes[left], self.sizes[right])
        large = np.maximum(self.sizes[left], self.sizes[right])
        tiny = (small < MIN_SHINGLES) & (small < self.threshold * large)
        short = (small < SHORT_SHINGLES) & (similarity < SHORT_SIMILARITY)
        kept: npt.NDArray[np.bool_] = passed & ~tiny & ~short
        return kept
