"""Repeated captions: within a document with rapidfuzz, across documents as MinHash line clusters.

A caption printed twice in one article (once with its "/AFP" credit, once without) keeps its first
occurrence. Across documents, near-identical short lines are clustered so that the learned-lines
rule of `dedupe.boilerplate` counts a credit reused with small changes as one line.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from dedupe.schema import DOC_ID, LINE_NO

logger = logging.getLogger(__name__)

KEY = "_key"
CHARS = "_chars"

# Lines shorter than this are not captions: "Russia" or "He said." may repeat legitimately.
CAPTION_MIN_CHARS = 20
# Fuzzy matching is for caption-length lines; longer repeats are still caught when exact.
CAPTION_MAX_CHARS = 400

# Cross-document clusters: character 5-grams are long enough to be selective on short lines and
# short enough that "/AFP" versus "(AFP)" changes only a few of them.
SHINGLE_CHARS = 5
NUM_PERM = 64
# 16 bands of 4 rows make a pair with Jaccard 0.5 a candidate about 64% of the time and one at
# 0.8 almost always; candidates are then verified on the estimated Jaccard.
BANDS = 16
ROWS = 4
CLUSTER_JACCARD = 0.7
# Buckets bigger than this are linked without pairwise verification (as a star, not all pairs).
MAX_VERIFIED_BUCKET = 64
# About 64 MB of uint64 per chunk of the (shingles, NUM_PERM) permutation matrix.
_CHUNK_SHINGLES = 131_072


def fuzzy_similarity(left: pl.Series, right: pl.Series) -> np.ndarray:
    """Return rapidfuzz's ratio (0-100) of each pair ``(left[i], right[i])``.

    This is the one rapidfuzz boundary of the cleaning stage; the pairs are scored in C++.
    """
    if left.len() == 0:
        return np.zeros(0, dtype=np.float64)
    scores = process.cpdist(left.to_list(), right.to_list(), scorer=fuzz.ratio, workers=-1)
    return np.asarray(scores, dtype=np.float64)


def find_repeated_captions(lines: pl.DataFrame, *, similarity: float) -> pl.DataFrame:
    """Return ``(doc_id, line_no)`` of lines that repeat an earlier line of the same document.

    A line repeats when its normalized text equals an earlier line's, or when both are of
    caption length and rapidfuzz's ratio reaches ``similarity``. Earlier lines count whatever
    happened to them, so a kept line never resembles any earlier line and a second pass finds
    nothing.

    Args:
        lines: a line frame with ``_key`` (normalized line) and ``_chars`` (its length).
        similarity: rapidfuzz ratio (0-100) from which two lines are the same caption.
    """
    eligible = (
        lines.lazy()
        .filter(pl.col(CHARS) >= CAPTION_MIN_CHARS)
        .select(DOC_ID, LINE_NO, KEY, pl.col(CHARS).cast(pl.Int64))
    )
    exact = eligible.filter(~pl.col(KEY).is_first_distinct().over(DOC_ID)).select(DOC_ID, LINE_NO)
    short = eligible.filter(pl.col(CHARS) <= CAPTION_MAX_CHARS)
    # Indel distance is at least the length difference, so ratio >= s needs
    # |a - b| / (a + b) <= 1 - s / 100: a cheap filter before scoring.
    slack = 1.0 - similarity / 100.0
    pairs = (
        short.join(short, on=DOC_ID, suffix="_b")
        .filter(
            (pl.col(LINE_NO) < pl.col(f"{LINE_NO}_b"))
            & (pl.col(KEY) != pl.col(f"{KEY}_b"))
            & (
                (pl.col(CHARS) - pl.col(f"{CHARS}_b")).abs()
                <= slack * (pl.col(CHARS) + pl.col(f"{CHARS}_b"))
            )
        )
        .select(DOC_ID, f"{LINE_NO}_b", KEY, f"{KEY}_b")
        .collect()
    )
    scores = fuzzy_similarity(pairs.get_column(KEY), pairs.get_column(f"{KEY}_b"))
    fuzzy = (
        pairs.filter(pl.Series(scores >= similarity))
        .select(DOC_ID, pl.col(f"{LINE_NO}_b").alias(LINE_NO))
        .lazy()
    )
    repeated = pl.concat([exact, fuzzy]).unique().sort(DOC_ID, LINE_NO).collect()
    logger.debug("scored %d caption pairs, %d repeated lines", pairs.height, repeated.height)
    return repeated


def _signatures(keys: pl.DataFrame, *, seed: int) -> np.ndarray:
    """MinHash signatures ``(n_keys, NUM_PERM)`` of the character shingles of each ``_key``."""
    shingles = (
        keys.lazy()
        .with_row_index("_id")
        .select(
            "_id",
            pl.int_ranges(0, (pl.col(CHARS) - SHINGLE_CHARS + 1).clip(lower_bound=1)).alias("_at"),
            KEY,
        )
        .explode("_at")
        .select("_id", pl.col(KEY).str.slice(pl.col("_at"), SHINGLE_CHARS).hash(seed).alias("_h"))
        .unique(maintain_order=True)
        .sort("_id")
        .collect()
    )
    ids = shingles.get_column("_id").to_numpy()
    hashes = shingles.get_column("_h").to_numpy()
    # Multiply-shift hashing (Dietzfelbinger et al. 1997): (a * h + b) mod 2**64, top 32 bits,
    # with odd random a, is a universal family; uint64 arithmetic wraps as that needs.
    rng = np.random.default_rng(seed)
    a = rng.integers(0, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    signatures = np.empty((len(starts), NUM_PERM), dtype=np.uint64)
    # Chunks end on key boundaries so reduceat never straddles two chunks.
    shingles_per_key = max(1, len(ids) // max(1, len(starts)))
    chunk_keys = max(1, _CHUNK_SHINGLES // shingles_per_key)
    for first in range(0, len(starts), chunk_keys):
        last = min(first + chunk_keys, len(starts))
        lo = starts[first]
        hi = starts[last] if last < len(starts) else len(ids)
        permuted = (hashes[lo:hi, None] * a + b) >> np.uint64(32)
        signatures[first:last] = np.minimum.reduceat(permuted, starts[first:last] - lo, axis=0)
    return signatures


def _components(edges: pl.DataFrame, nodes: pl.Series) -> pl.DataFrame:
    """Connected components by min-label propagation: each node gets its component's least id."""
    labels = pl.DataFrame({"_id": nodes, "_label": nodes})
    both = pl.concat([edges, edges.select(pl.col("_b").alias("_a"), pl.col("_a").alias("_b"))])
    while True:
        proposed = (
            both.join(labels, left_on="_b", right_on="_id")
            .group_by("_a")
            .agg(pl.col("_label").min().alias("_new"))
        )
        updated = labels.join(proposed, left_on="_id", right_on="_a", how="left").select(
            "_id", pl.min_horizontal("_label", "_new").alias("_label")
        )
        if updated.get_column("_label").equals(labels.get_column("_label")):
            return labels
        labels = updated


def cluster_short_lines(
    keys: pl.DataFrame, *, min_chars: int = CAPTION_MIN_CHARS, seed: int = 1
) -> pl.DataFrame:
    """Cluster near-identical normalized lines with MinHash LSH over character shingles.

    Edges join two lines that share an LSH band bucket and whose estimated Jaccard reaches
    ``CLUSTER_JACCARD``; clusters are the connected components. An edge depends only on its two
    lines, so removing lines can only split clusters, never grow them.

    Args:
        keys: distinct normalized lines in ``_key`` with their length in ``_chars``.
        min_chars: shorter lines stay alone ("Photo: AP" and "Photo: AFP" are different credits).
        seed: seed of the permutations.

    Returns:
        ``_key`` and ``_cluster``, the least key of its cluster (the key itself when alone).
    """
    keys = keys.unique(KEY).sort(KEY)
    clustered = keys.filter(pl.col(CHARS) >= min_chars)
    alone = keys.select(KEY, pl.col(KEY).alias("_cluster"))
    if clustered.height < 2:
        return alone
    signatures = _signatures(clustered, seed=seed)
    band_hashes = {
        f"_b{band}": pl.Series(signatures[:, band * ROWS : (band + 1) * ROWS]).hash(seed)
        for band in range(BANDS)
    }
    buckets = (
        pl.DataFrame(band_hashes)
        .with_row_index("_id")
        .unpivot(index="_id", variable_name="_band", value_name="_bucket")
        .with_columns(pl.len().over("_band", "_bucket").alias("_size"))
        .filter(pl.col("_size") > 1)
    )
    small = buckets.filter(pl.col("_size") <= MAX_VERIFIED_BUCKET)
    pairs = (
        small.join(small, on=["_band", "_bucket"], suffix="_other")
        .filter(pl.col("_id") < pl.col("_id_other"))
        .select(pl.col("_id").alias("_a"), pl.col("_id_other").alias("_b"))
        .unique()
    )
    a = pairs.get_column("_a").to_numpy()
    b = pairs.get_column("_b").to_numpy()
    estimated = (signatures[a] == signatures[b]).mean(axis=1) if len(a) else np.zeros(0)
    verified = pairs.filter(pl.Series(estimated >= CLUSTER_JACCARD))
    stars = (
        buckets.filter(pl.col("_size") > MAX_VERIFIED_BUCKET)
        .with_columns(pl.col("_id").min().over("_band", "_bucket").alias("_a"))
        .filter(pl.col("_id") != pl.col("_a"))
        .select("_a", pl.col("_id").alias("_b"))
    )
    edges = pl.concat([verified, stars]).unique()
    nodes = pl.Series("_id", np.arange(clustered.height, dtype=np.uint32))
    labels = _components(edges.cast(pl.UInt32), nodes)
    ids = clustered.with_row_index("_id").join(labels, on="_id")
    named = ids.join(
        ids.select(pl.col("_id").alias("_label"), pl.col(KEY).alias("_cluster")), on="_label"
    ).select(KEY, "_cluster")
    logger.debug("clustered %d short lines with %d edges", clustered.height, edges.height)
    return alone.join(named, on=KEY, how="left").select(
        KEY, pl.coalesce(pl.col("_cluster_right"), pl.col("_cluster")).alias("_cluster")
    )
