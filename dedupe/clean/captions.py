"""Repeated captions: within a document with rapidfuzz, across documents as MinHash line clusters.

A caption printed twice in one article (once with its "/AFP" credit, once without) keeps its first
occurrence; above the article's first paragraph the later copy stays instead (the headline that
opens the article, not the page's title bar printed before it). Across documents, near-identical
short lines are clustered so that the learned-lines rule of `dedupe.clean.boilerplate` counts a
credit reused with small changes as one line.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz import fuzz, process

from dedupe.clean.lines import CHARS, KEY
from dedupe.kernels import kernel, use_kernels, warm_up
from dedupe.schema import DOC_ID, LINE_NO

logger = logging.getLogger(__name__)

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
# Shingles per chunk of one permutation: 512 KB of uint64, which stays in a core's cache.
_CHUNK_SHINGLES = 65_536
# Candidate caption pairs whose histograms are compared at once (about 8 MB of int16).
_CHUNK_PAIRS = 131_072
# Buckets of the character histograms that bound the Indel distance of a caption pair: the
# low five bits of a character's first byte keep a-z apart and fold digits onto letters.
HISTOGRAM_BUCKETS = 32
_PROSE = "_prose"
_PARTNER_KEY = "_partner_key"
_PARAGRAPH = "_paragraph"


def fuzzy_similarity(left: pl.Series, right: pl.Series) -> np.ndarray:
    """Return rapidfuzz's ratio (0-100) of each pair ``(left[i], right[i])``.

    This is the one rapidfuzz boundary of the cleaning stage; the pairs are scored in C++.
    """
    if left.len() == 0:
        return np.zeros(0, dtype=np.float64)
    scores = process.cpdist(left.to_list(), right.to_list(), scorer=fuzz.ratio, workers=-1)
    return np.asarray(scores, dtype=np.float64)


def _bucket_table() -> np.ndarray:
    """The bucket of each byte value: a character's first byte counts, continuation bytes do not.

    Continuation bytes (``0b10xxxxxx``) go to one extra bucket, ``HISTOGRAM_BUCKETS``, which
    the histograms drop, so every character is counted once without a mask.
    """
    table = (np.arange(256) % HISTOGRAM_BUCKETS).astype(np.uint8)
    table[0x80:0xC0] = HISTOGRAM_BUCKETS
    return table


_BUCKET_OF_BYTE = _bucket_table()


def numpy_char_histograms(keys: pl.Series) -> npt.NDArray[np.int16]:
    """Count each key's characters into ``HISTOGRAM_BUCKETS`` buckets, ``(len(keys), buckets)``.

    A character counts once, in the bucket of its first UTF-8 byte. The NumPy reference of
    `char_histograms`.
    """
    lengths, data = _key_bytes(keys)
    return _numpy_histograms(lengths, data)


def _key_bytes(keys: pl.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Each key's length in bytes, and the keys' UTF-8 bytes one after another."""
    lengths = keys.str.len_bytes().fill_null(0).cast(pl.Int64).to_numpy()
    joined = keys.str.join("").item() if keys.len() else ""
    return lengths, np.frombuffer((joined or "").encode("utf-8"), dtype=np.uint8)


def _numpy_histograms(
    lengths: npt.NDArray[np.int64], data: npt.NDArray[np.uint8]
) -> npt.NDArray[np.int16]:
    width = HISTOGRAM_BUCKETS + 1
    cells = np.repeat(np.arange(0, len(lengths) * width, width, dtype=np.intp), lengths)
    cells += np.take(_BUCKET_OF_BYTE, data)
    counts = np.bincount(cells, minlength=len(lengths) * width)
    return counts.reshape(len(lengths), width)[:, :HISTOGRAM_BUCKETS].astype(np.int16)


@kernel
def _histogram_kernel(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], table: npt.NDArray[np.uint8]
) -> npt.NDArray[np.int16]:
    """Character histograms of UTF-8 strings (kernel).

    Contract: string ``i`` is ``data[offsets[i]:offsets[i + 1]]``; row ``i`` of the answer counts
    its bytes by ``table[byte]``, dropping bytes whose bucket is ``HISTOGRAM_BUCKETS`` or more
    (continuation bytes), so each character counts once. A count fits int16 for strings of up
    to 32,767 characters.
    """
    buckets = HISTOGRAM_BUCKETS
    counts = np.zeros((len(offsets) - 1, buckets), dtype=np.int16)
    for row in range(len(offsets) - 1):
        for pos in range(offsets[row], offsets[row + 1]):
            bucket = table[data[pos]]
            if bucket < buckets:
                counts[row, bucket] += 1
    return counts


def char_histograms(keys: pl.Series) -> npt.NDArray[np.int16]:
    """Count each key's characters into ``HISTOGRAM_BUCKETS`` buckets, ``(len(keys), buckets)``.

    A character counts once, in the bucket of its first UTF-8 byte; keys hold at most
    `CAPTION_MAX_CHARS` characters, so every count fits int16. One compiled pass over the keys'
    bytes, or `numpy_char_histograms` while `dedupe.kernels.use_kernels` says a process's
    work is too small to load the kernels.
    """
    lengths, data = _key_bytes(keys)
    if not use_kernels(len(data)):
        return _numpy_histograms(lengths, data)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    result: npt.NDArray[np.int16] = _histogram_kernel(offsets, data, _BUCKET_OF_BYTE)
    return result


@warm_up
def warm_up_caption_kernels() -> None:
    """Compile the caption kernels (or load them from numba's cache) as the kernels load."""
    _histogram_kernel(
        np.array([0, 2], dtype=np.int64), np.frombuffer(b"up", np.uint8), _BUCKET_OF_BYTE
    )
    flags = np.ones(2, dtype=np.bool_)
    _removed_repeats_kernel(flags, np.array([-1, 0], dtype=np.int64), flags, flags, flags, flags)


def _length_compatible_pairs(lines: pl.DataFrame, slack: float) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs ``(i, j)`` of one document whose lengths allow ratio >= similarity.

    ``lines`` is sorted by document and length, so each line's partners form a window that
    ends at the first longer line out of reach; pairs are generated window by window.
    """
    document = lines.get_column("_doc").to_numpy().astype(np.int64)
    chars = lines.get_column(CHARS).to_numpy().astype(np.int64)
    position = document * (CAPTION_MAX_CHARS * 4 + 1) + chars
    # |a - b| <= slack * (a + b) with a <= b is b <= a * (1 + slack) / (1 - slack).
    reach = np.floor(chars * (1.0 + slack) / max(1.0 - slack, 1e-9) + 1e-9).astype(np.int64)
    reach = np.minimum(reach, CAPTION_MAX_CHARS * 4)
    ends = np.searchsorted(position, document * (CAPTION_MAX_CHARS * 4 + 1) + reach, side="right")
    counts = np.maximum(ends - np.arange(len(chars)) - 1, 0)
    left = np.repeat(np.arange(len(chars), dtype=np.int64), counts)
    offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    right = left + 1 + offsets
    within = np.abs(chars[left] - chars[right]) <= slack * (chars[left] + chars[right])
    return left[within], right[within]


def find_repeated_captions(
    lines: pl.DataFrame,
    *,
    similarity: float,
    separator: str | None = None,
    paragraph: str | None = None,
) -> pl.DataFrame:
    """Return ``(doc_id, line_no)`` of lines that repeat an earlier line of the same document.

    A line repeats when its normalized text equals an earlier line's, or when both are of
    caption length and rapidfuzz's ratio reaches ``similarity``. Earlier lines count whatever
    happened to them, so a kept line never resembles any earlier line and a second pass finds
    nothing.

    With ``separator``, a boolean column marking article prose, a repeat is kept when a prose
    line that stays lies between it and the nearest earlier line it repeats: a caption is
    printed twice in a row (once with its credit), while a subheading that recurs between the
    paragraphs of a timeline, or a headline that repeats the page title after the text began,
    is part of the article. A prose line is not a fuzzy repeat of an earlier line that is not
    prose: that is a headline cut from the article's lead sentence; nor are two lines that both
    hold numbers, and not the same ones (the rows of a table). A line that is not prose does
    repeat the prose line it was cut from (a caption printed after its paragraph). Above the
    article's first paragraph (its first prose line that repeats nothing and that nothing
    repeats, or that the next line continues), the earlier of two different copies goes
    instead: the page's title bar ("Title - Site" above "Title").

    Only the first occurrence of each text in a document is scored (a later copy is an exact
    repeat already), and only pairs that pass two bounds on the Indel distance the ratio is
    built on: the length difference, and the difference of character histograms.

    Args:
        lines: a line frame with ``_key`` (normalized line) and ``_chars`` (its length).
        similarity: rapidfuzz ratio (0-100) from which two lines are the same caption.
        separator: a boolean column of ``lines``, or None to remove every repeat.
        paragraph: a boolean column of ``lines`` marking the prose lines that can open an
            article (sentences, not table rows); ``separator`` when None.
    """
    frame = lines.lazy().select(
        DOC_ID,
        LINE_NO,
        KEY,
        CHARS,
        (pl.col(separator) if separator else pl.lit(value=False)).alias(_PROSE),
        (pl.col(paragraph or separator) if separator else pl.lit(value=False)).alias(_PARAGRAPH),
    )
    eligible = frame.filter(pl.col(CHARS) >= CAPTION_MIN_CHARS)
    first = pl.col(KEY).is_first_distinct().over(DOC_ID)
    firsts = (
        eligible.filter(first & (pl.col(CHARS) <= CAPTION_MAX_CHARS))
        .with_columns(pl.col(DOC_ID).rank("dense").alias("_doc"))
        .sort("_doc", CHARS)
        .collect()
    )
    earlier, later = _fuzzy_pairs(firsts, similarity)
    numbers = firsts.select(
        pl.col(KEY).str.extract_all(r"\d+").list.join(" ").alias("_numbers")
    ).to_series()
    # Two lines whose numbers differ are two rows of a table or two notes of a results report
    # ("Shr 16 cts vs nine cts", "Shr 13 cts vs six cts"), not two copies of one caption; nor
    # are two lines that differ by a word put in another's place (a command and its undo,
    # "... autotuninglevel=disabled" and "... autotuninglevel=normal"): two prints of a caption
    # differ by words added or left out (a credit, the site's name). The pairs are of texts,
    # in both directions: any occurrence of one can repeat the other.
    pairs = pl.DataFrame(
        {
            DOC_ID: firsts.get_column(DOC_ID).gather(later),
            KEY: firsts.get_column(KEY).gather(later),
            _PARTNER_KEY: firsts.get_column(KEY).gather(earlier),
            "_numbers": numbers.gather(later),
            "_partner_numbers": numbers.gather(earlier),
        }
    ).filter(
        (
            (pl.col("_numbers") == pl.col("_partner_numbers"))
            | (pl.col("_numbers") == "")
            | (pl.col("_partner_numbers") == "")
        )
        & _one_holds_the_others_words(KEY, _PARTNER_KEY)
    )
    fuzzy = pl.concat(
        [
            pairs.select(DOC_ID, KEY, _PARTNER_KEY),
            pairs.select(DOC_ID, pl.col(_PARTNER_KEY).alias(KEY), pl.col(KEY).alias(_PARTNER_KEY)),
        ]
    )
    documents = pl.concat(
        [eligible.filter(~first).select(DOC_ID), fuzzy.lazy().select(DOC_ID)]
    ).unique()
    repeated = _decide_repeats(
        frame.join(documents, on=DOC_ID, how="semi"), fuzzy, head=separator is not None
    )
    logger.debug("%d repeated lines", repeated.height)
    return repeated


def _one_holds_the_others_words(key: str, other: str) -> pl.Expr:
    """Whether every word of one of two texts is a word of the other."""
    words, other_words = (pl.col(name).str.extract_all(r"\w+") for name in (key, other))
    return (words.list.set_difference(other_words).list.len() == 0) | (
        other_words.list.set_difference(words).list.len() == 0
    )


def _decide_repeats(lines: pl.LazyFrame, fuzzy: pl.DataFrame, *, head: bool) -> pl.DataFrame:
    """``(doc_id, line_no)`` of the repeats with no separator between them and their partner.

    A line's partner is the nearest earlier line it repeats: the previous line of its text, or
    the last earlier occurrence of a text it resembles. A prose line does not repeat an earlier
    line that is not prose: that is the headline its lead sentence was cut from.

    Args:
        lines: the documents' non-empty lines with ``_key``, ``_chars`` and ``_prose``.
        fuzzy: ``doc_id``, ``_key`` and ``_partner_key``: the texts each text resembles.
        head: whether a document's head keeps the later copy (see `removed_repeats`).
    """
    ordered = lines.sort(DOC_ID, LINE_NO).with_row_index("_pos").collect()
    if ordered.height == 0:
        return ordered.select(DOC_ID, LINE_NO)
    exact = (
        ordered.lazy()
        .filter(pl.col(CHARS) >= CAPTION_MIN_CHARS)
        .select("_pos", pl.col("_pos").shift(1).over(DOC_ID, KEY).alias("_partner"))
    )
    occurrences = ordered.lazy().select(DOC_ID, KEY, "_pos", _PROSE)
    partners = occurrences.select(
        DOC_ID,
        pl.col(KEY).alias(_PARTNER_KEY),
        pl.col("_pos").alias("_partner"),
        pl.col(_PROSE).alias("_partner_prose"),
    )
    resembled = (
        occurrences.join(fuzzy.lazy(), on=[DOC_ID, KEY])
        .sort("_pos")
        .join_asof(
            partners.sort("_partner"),
            left_on="_pos",
            right_on="_partner",
            by=[DOC_ID, _PARTNER_KEY],
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,  # sorted by `_pos` above, so within every group too
        )
        .filter(~(pl.col(_PROSE) & ~pl.col("_partner_prose")).fill_null(value=True))
        .select("_pos", "_partner")
    )
    nearest = (
        pl.concat([exact, resembled])
        .drop_nulls()
        .group_by("_pos")
        .agg(pl.col("_partner").max())
        .collect()
    )
    partner = np.full(ordered.height, -1, dtype=np.int64)
    partner[nearest.get_column("_pos").to_numpy()] = nearest.get_column("_partner").to_numpy()
    keys = ordered.get_column(KEY)
    same = (keys.gather(np.maximum(partner, 0)) == keys).fill_null(value=False).to_numpy()
    same &= partner >= 0
    prose = ordered.get_column(_PROSE).to_numpy().astype(np.bool_)
    starts = pl.col(DOC_ID) != pl.col(DOC_ID).shift(1)
    first = ordered.select(starts.fill_null(value=True)).to_series().to_numpy().astype(np.bool_)
    # The article opens at its first paragraph that repeats nothing and that nothing repeats or
    # the next line continues; without one, or without a separator column, on the first line.
    paragraph = ordered.get_column(_PARAGRAPH).to_numpy().astype(np.bool_)
    repeated = np.zeros(ordered.height, dtype=np.bool_)
    repeated[partner[partner >= 0]] = True
    continued = np.zeros(ordered.height, dtype=np.bool_)
    continued[:-1] = paragraph[1:] & ~first[1:]
    opens = (
        paragraph & (partner < 0) & (~repeated | continued)
        if head
        else np.ones(ordered.height, np.bool_)
    )
    # A document where no paragraph opens an article has no head.
    document = np.cumsum(first) - 1
    opens |= first & (np.bincount(document, weights=opens) == 0)[document]
    decide = _removed_repeats_kernel if use_kernels(ordered.height) else removed_repeats
    removed = decide(prose, partner, same, repeated, opens, first)
    return ordered.filter(pl.Series(removed)).select(DOC_ID, LINE_NO)


def removed_repeats(
    prose: npt.NDArray[np.bool_],
    partner: npt.NDArray[np.int64],
    same: npt.NDArray[np.bool_],
    repeated: npt.NDArray[np.bool_],
    opens: npt.NDArray[np.bool_],
    first: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Which lines are removed repeats, in one pass over the lines in document order.

    Contract: ``first[i]`` marks a document's first line and ``partner[i]`` is the row of the
    nearest earlier line of the same document that line ``i`` repeats, or -1; ``same[i]`` says
    that the two lines' texts are equal, and ``repeated[i]`` that a later line repeats line
    ``i`` (it is some line's partner). A repeat is removed when no separator lies between it
    and its partner; a separator is a prose line that stays, whether or not it repeats an
    earlier line (a page that prints its article twice keeps the second copy whole, not all
    but its last paragraph). The head of a document runs up to its first line with ``opens``.
    There, of two different copies, the earlier goes instead (a page's title bar, "Title -
    Site", is printed again as the headline that opens the article), unless it is prose and
    the later copy is not (a caption cut from a paragraph); so a head line that a later line
    repeats does not separate: it may go.
    Plain Python: the reference of the compiled kernel, and what small calls run.
    """
    removed = np.zeros(len(prose), dtype=np.bool_)
    separators = np.zeros(len(prose), dtype=np.int64)  # separators up to each line, included
    count = 0
    head = False
    for line in range(len(prose)):
        if first[line]:
            head = True
        if opens[line]:
            head = False
        earlier = partner[line]
        if earlier >= 0 and separators[earlier] == count:
            if head and not same[line] and (prose[line] or not prose[earlier]):
                removed[earlier] = True
            else:
                removed[line] = True
        elif prose[line] and not (head and repeated[line]):
            count += 1
        separators[line] = count
    return removed


_removed_repeats_kernel = kernel(removed_repeats)


def _fuzzy_pairs(firsts: pl.DataFrame, similarity: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(earlier, later)`` of ``firsts`` (one document's) whose ratio reaches similarity."""
    # ratio = 100 * (1 - indel / (a + b)), so ratio >= s needs indel <= (1 - s / 100) * (a + b).
    slack = 1.0 - similarity / 100.0
    left, right = _length_compatible_pairs(firsts, slack)
    chars = firsts.get_column(CHARS).to_numpy().astype(np.int64)
    budget = slack * (chars[left] + chars[right]) + 0.5
    # Every inserted or deleted character moves one histogram count by one, so the histograms'
    # L1 distance is a lower bound of the Indel distance (bucketing only lowers it further).
    involved = np.zeros(firsts.height, dtype=bool)
    involved[left] = True
    involved[right] = True
    row = np.cumsum(involved) - 1
    histograms = char_histograms(firsts.get_column(KEY).filter(pl.Series(involved)))
    keep = np.zeros(len(left), dtype=bool)
    for lo in range(0, len(left), _CHUNK_PAIRS):
        hi = lo + _CHUNK_PAIRS
        distance = np.abs(histograms[row[left[lo:hi]]] - histograms[row[right[lo:hi]]]).sum(axis=1)
        keep[lo:hi] = distance <= budget[lo:hi]
    left, right = left[keep], right[keep]
    keys = firsts.get_column(KEY)
    matched = fuzzy_similarity(keys.gather(left), keys.gather(right)) >= similarity
    left, right = left[matched], right[matched]
    line_no = firsts.get_column(LINE_NO).to_numpy()
    swap = line_no[left] > line_no[right]
    logger.debug("scored %d caption pairs, %d matched", len(keep), len(left))
    return np.where(swap, right, left), np.where(swap, left, right)


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
        .collect()
    )
    ids = shingles.get_column("_id").to_numpy()
    hashes = shingles.get_column("_h").to_numpy()
    # Multiply-shift hashing (Dietzfelbinger et al. 1997): (a * h + b) mod 2**64, top 32 bits,
    # with odd random a, is a universal family; uint64 arithmetic wraps as that needs.
    rng = np.random.default_rng(seed)
    a = rng.integers(0, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.uint64).max, size=NUM_PERM, dtype=np.uint64)
    # A key's shingles are contiguous (explode keeps row order); repeated shingles of one key
    # do not change its minimum.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    signatures = np.empty((NUM_PERM, len(starts)), dtype=np.uint64)
    # One permutation at a time over cache-sized chunks that end on key boundaries.
    bounds = np.unique(
        np.r_[np.searchsorted(starts, np.arange(0, len(ids), _CHUNK_SHINGLES)), len(starts)]
    )
    buffer = np.empty(min(len(ids), 2 * _CHUNK_SHINGLES + 1), dtype=np.uint64)
    shift = np.uint64(32)
    for first, last in itertools.pairwise(bounds):
        lo = starts[first]
        hi = starts[last] if last < len(starts) else len(ids)
        chunk = hashes[lo:hi]
        permuted = buffer[: hi - lo] if hi - lo <= len(buffer) else np.empty(hi - lo, np.uint64)
        offsets = starts[first:last] - lo
        for perm in range(NUM_PERM):
            np.multiply(chunk, a[perm], out=permuted)
            permuted += b[perm]
            permuted >>= shift
            signatures[perm, first:last] = np.minimum.reduceat(permuted, offsets)
    return np.ascontiguousarray(signatures.T)


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
