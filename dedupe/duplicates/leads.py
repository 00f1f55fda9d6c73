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
from dedupe.duplicates.places import SPACE_CLASS, class_at, code_point_classes
from dedupe.duplicates.shingles import fingerprint_arrays, string_buffers
from dedupe.kernels import kernel, use_kernels
from dedupe.schema import LEAD_SIGNATURE, NORMALIZED, TEXT

__all__ = [
    "HEADLINE_WORDS",
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
    "openings",
    "polars_openings",
]

logger = logging.getLogger(__name__)

U32Array = npt.NDArray[np.uint32]
# The opening indexed: a headline and about the first sentence. Shorter than the lead that
# verification checks (LEAD_WORDS, 50), so that a headline and one sentence and its article
# have the same opening. A first line of at most HEADLINE_WORDS words is a headline (or a
# kicker, a dateline) and is indexed with the OPENING_WORDS words after it: a brief under a
# headline of its own (a new one, or its first sentence cut short) and its article then
# still share the first OPENING_WORDS words of the story, where counting the headline in
# the window would leave them as few as half of them.
OPENING_WORDS = 25
HEADLINE_WORDS = 20
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
# The first OPENING_WORDS (or, after a headline, HEADLINE_WORDS + OPENING_WORDS)
# space-separated words, read by an anchored pattern rather than by splitting the whole text
# (normalized texts are single-spaced).
_OPENING = rf"^((?:[^ ]* ){{0,{OPENING_WORDS - 1}}}[^ ]*)"
_LONG_OPENING = rf"^((?:[^ ]* ){{0,{HEADLINE_WORDS + OPENING_WORDS - 1}}}[^ ]*)"


def openings(normalized: pl.Series, texts: pl.Series | None = None) -> pl.Series:
    r"""Return the openings of normalized texts: their first ``OPENING_WORDS`` words.

    With ``texts`` (the cleaned texts, lines kept), a first line of at most
    ``HEADLINE_WORDS`` words is a headline: the opening is the headline and the
    ``OPENING_WORDS`` words after it. Words are the space-separated runs of the normalized
    text; a kernel finds where the opening ends (`polars_openings` is its reference).

    Example:
        >>> texts = pl.Series(["Storm hits coast\nA storm hit the coast on Monday."])
        >>> openings(pl.Series(["storm hits coast a storm hit the coast on monday."]), texts)[0]
        'storm hits coast a storm hit the coast on monday.'
    """
    normalized = normalized.fill_null("")
    words = _opening_words(normalized, texts)
    offsets, data, owner = string_buffers(normalized)
    if not use_kernels(int(offsets[-1] - offsets[0])):
        return polars_openings(normalized, texts)
    lengths = _opening_chars(offsets, data, words)
    del owner
    frame = pl.DataFrame({"text": normalized, "chars": lengths})
    return (
        frame.select(pl.col("text").str.slice(0, pl.col("chars")))
        .to_series()
        .alias(normalized.name)
    )


def _opening_words(normalized: pl.Series, texts: pl.Series | None) -> npt.NDArray[np.int64]:
    """How many words each opening takes: ``OPENING_WORDS``, plus a headline's words."""
    if texts is None:
        return np.full(len(normalized), OPENING_WORDS, dtype=np.int64)
    offsets, data, owner = string_buffers(texts)
    if use_kernels(int(offsets[-1] - offsets[0])):
        headline = _first_line_words(offsets, data, code_point_classes(offsets, data))
    else:
        first_line = texts.fill_null("").str.strip_chars_start().str.extract(r"^([^\n]*)", 1)
        headline = first_line.str.count_matches(r"\S+").fill_null(0).to_numpy().astype(np.int64)
    del owner
    return np.where(headline <= HEADLINE_WORDS, headline, 0) + OPENING_WORDS


@kernel
def _first_line_words(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], classes: npt.NDArray[np.uint8]
) -> npt.NDArray[np.int64]:
    r"""The words of each text's first line after leading whitespace (kernel).

    Contract: as ``str.strip_chars_start()``, then the text up to its first line break, then
    the count of ``\S+`` runs, with whitespace as ``classes`` has it (`SPACE_CLASS`).
    """
    words = np.zeros(len(offsets) - 1, dtype=np.int64)
    for i in range(len(offsets) - 1):
        pos, end = offsets[i], offsets[i + 1]
        count = 0
        in_word = False
        started = False
        while pos < end:
            found, length = class_at(data, pos, classes)
            space = (found & SPACE_CLASS) != 0
            if started and data[pos] == 10:
                break
            if not space:
                started = True
                if not in_word:
                    count += 1
            in_word = not space
            pos += length
        words[i] = count
    return words


def polars_openings(normalized: pl.Series, texts: pl.Series | None = None) -> pl.Series:
    """`openings` by Polars patterns and lists (the kernel's reference)."""
    normalized = normalized.fill_null("")
    if texts is None:
        return normalized.str.extract(_OPENING, 1).fill_null("")
    words = pl.Series("words", _opening_words(normalized, texts))
    frame = pl.DataFrame({"text": normalized, "words": words})
    return (
        frame.select(
            pl.col("text")
            .str.extract(_LONG_OPENING, 1)
            .fill_null("")
            .str.split(" ")
            .list.head(pl.col("words"))
            .list.join(" ")
        )
        .to_series()
        .alias(normalized.name)
    )


@kernel
def _opening_chars(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], words: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The characters of each text before its ``words[i]``-th space (all of it with fewer).

    Contract: text ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (UTF-8); the answer counts
    the code points (bytes that are not continuation bytes) before the cut.
    """
    chars = np.zeros(len(offsets) - 1, dtype=np.int64)
    for i in range(len(offsets) - 1):
        spaces = 0
        count = 0
        for pos in range(offsets[i], offsets[i + 1]):
            byte = data[pos]
            if byte == 32:
                spaces += 1
                if spaces == words[i]:
                    break
            if byte < 0x80 or byte >= 0xC0:
                count += 1
        chars[i] = count
    return chars


def opening_signatures(
    normalized: pl.Series, config: NearConfig, *, texts: pl.Series | None = None
) -> U32Array:
    """Return the MinHash signatures (``LEAD_PERM`` wide) of the openings of normalized texts.

    The opening (`openings`; ``texts``, the cleaned texts, tell a headline) is shingled as
    the whole text is; its signature uses ``LEAD_PERM`` permutations drawn from
    ``config.seed``. A text without words has ``EMPTY_HASH`` everywhere and is never a
    candidate.

    Example:
        >>> story = " ".join(f"word{i}" for i in range(30))
        >>> texts = pl.Series([story, story + " and more words after the opening"])
        >>> signatures = opening_signatures(texts, NearConfig())
        >>> signatures.shape, bool((signatures[0] == signatures[1]).all())
        ((2, 32), True)
    """
    *_, signatures = fingerprint_arrays(
        openings(normalized, texts),
        ngram_size=config.ngram_size,
        num_perm=LEAD_PERM,
        seed=config.seed,
    )
    return signatures


def lead_signature_column(
    normalized: pl.Series, config: NearConfig, *, texts: pl.Series | None = None
) -> pl.Series:
    """Return `opening_signatures` as the `_lead_signature` column of a key table."""
    return pl.Series(
        LEAD_SIGNATURE,
        opening_signatures(normalized, config, texts=texts),
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
        texts = corpus.get_column(TEXT).gather(rows) if TEXT in corpus.columns else None
        return opening_signatures(corpus.get_column(NORMALIZED).gather(rows), config, texts=texts)
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
