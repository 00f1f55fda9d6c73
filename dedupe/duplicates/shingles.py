"""Word n-gram shingles of normalized text, hashed to stable 32-bit values for MinHash.

Words are maximal runs of Unicode letters, digits and combining marks (categories L, N and M);
everything else separates words. A shingle is ``ngram_size`` consecutive words of one document
joined by single spaces; a document with fewer words has one shingle of all its words, and a
document without words has none.

The hash of a shingle is computed from the UTF-8 bytes ``b[0] .. b[m-1]`` of that joined string:

1. ``poly = sum(b[i] * P**i for i in range(m)) mod 2**64`` with ``P = 0x100000001B3`` (the
   FNV-1 64-bit prime);
2. ``mixed = fmix64(poly)``, the MurmurHash3 64-bit finalizer (constants ``0xFF51AFD7ED558CCD``
   and ``0xC4CEB9FE1A85EC53``, shifts 33);
3. the shingle hash is the upper 32 bits, ``mixed >> 32``.

The definition uses only integer arithmetic modulo 2**64, so it is the same on every platform and
every Polars or NumPy version: signatures built from it can be persisted. :func:`shingle_hash` is
the plain-Python reference; the compiled kernel behind :func:`fingerprint_arrays` (and
:func:`shingle_hashes`) computes the same values in one pass over a column's Arrow buffers, the
MinHash signatures with them; :func:`numpy_shingle_sets` is the NumPy reference, with prefix
sums over one byte buffer per batch (the polynomial of a byte range is
``(S[end] - S[start]) * P**-start`` where ``S`` is the prefix sum of ``b[j] * P**j``).
"""

from __future__ import annotations

import itertools
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.duplicates.minhash import numpy_signatures, permutations, signature_into
from dedupe.kernels import kernel, use_kernels

__all__ = [
    "decode_code_point",
    "fingerprint_arrays",
    "numpy_shingle_sets",
    "numpy_text_hashes",
    "shingle_hash",
    "shingle_hashes",
    "shingle_hashes_with_leads",
    "shingle_strings",
    "string_buffers",
    "text_hash",
    "text_hashes",
    "unknown_code_points",
    "words",
]

POLY_BASE = 0x100000001B3
_MASK64 = (1 << 64) - 1
# Modular inverse of POLY_BASE modulo 2**64 (it is odd, so one exists).
_POLY_BASE_INVERSE = pow(POLY_BASE, -1, 1 << 64)
_FMIX64_M1 = 0xFF51AFD7ED558CCD
_FMIX64_M2 = 0xC4CEB9FE1A85EC53

# ASCII bytes are classified arithmetically; the rare non-ASCII characters are decoded in NumPy
# and classified with ``unicodedata``, as the scalar reference :func:`words` does.
_UTF8_LENGTH = np.ones(256, dtype=np.int64)
_UTF8_LENGTH[0xC0:0xE0] = 2
_UTF8_LENGTH[0xE0:0xF0] = 3
_UTF8_LENGTH[0xF0:] = 4
_UTF8_LEAD_MASK = np.array([0, 0x7F, 0x1F, 0x0F, 0x07], dtype=np.int64)
_SPACE = 0x20
_DOC_SEPARATOR = "\n"
# Text bytes per batch: bounds the temporary arrays (about 40 bytes per text byte).
BATCH_BYTES = 4 << 20

U8Array = npt.NDArray[np.uint8]
U32Array = npt.NDArray[np.uint32]
U64Array = npt.NDArray[np.uint64]
I64Array = npt.NDArray[np.int64]


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def words(text: str) -> list[str]:
    """Split a text into words: maximal runs of Unicode letters, digits and combining marks.

    Example:
        >>> words("it's 2024, naïve café!")
        ['it', 's', '2024', 'naïve', 'café']
    """
    found: list[str] = []
    current: list[str] = []
    for char in text:
        if _is_word_char(char):
            current.append(char)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return found


def shingle_strings(text: str, ngram_size: int) -> list[str]:
    """Return a text's word n-gram shingles, in order and with repeats (scalar reference).

    Example:
        >>> shingle_strings("a b, c d", 3)
        ['a b c', 'b c d']
        >>> shingle_strings("Hi there", 3)
        ['Hi there']
    """
    found = words(text)
    if not found:
        return []
    if len(found) < ngram_size:
        return [" ".join(found)]
    return [" ".join(found[i : i + ngram_size]) for i in range(len(found) - ngram_size + 1)]


def _fmix64_int(value: int) -> int:
    value ^= value >> 33
    value = (value * _FMIX64_M1) & _MASK64
    value ^= value >> 33
    value = (value * _FMIX64_M2) & _MASK64
    return value ^ (value >> 33)


def shingle_hash(shingle: str | bytes) -> int:
    """Hash one shingle (words joined by single spaces) as the module docstring defines.

    This is the scalar reference of :func:`shingle_hashes`, and a valid ``hashfunc`` for
    ``datasketch.MinHash``.

    Example:
        >>> shingle_hash("the quick brown")
        577368928
    """
    data = shingle.encode("utf-8") if isinstance(shingle, str) else shingle
    poly = 0
    power = 1
    for byte in data:
        poly = (poly + byte * power) & _MASK64
        power = (power * POLY_BASE) & _MASK64
    return _fmix64_int(poly) >> 32


def _powers(base: int, count: int) -> U64Array:
    """Return ``base**j mod 2**64`` for ``j < count`` by repeated doubling of the filled prefix."""
    powers = np.empty(max(count, 1), dtype=np.uint64)
    powers[0] = 1
    filled = 1
    step = base
    while filled < count:
        end = min(2 * filled, count)
        np.multiply(powers[: end - filled], np.uint64(step), out=powers[filled:end])
        filled = end
        step = (step * step) & _MASK64
    return powers


def _fmix64(values: U64Array) -> U64Array:
    """MurmurHash3's 64-bit finalizer, in place."""
    values ^= values >> np.uint64(33)
    values *= np.uint64(_FMIX64_M1)
    values ^= values >> np.uint64(33)
    values *= np.uint64(_FMIX64_M2)
    values ^= values >> np.uint64(33)
    return values


def _word_bytes(raw: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Whether each byte belongs to a word: it is part of a letter, digit or mark (UTF-8)."""
    letter = raw | np.uint8(0x20)
    letter -= np.uint8(ord("a"))
    is_word = letter < np.uint8(26)
    digit = raw - np.uint8(ord("0"))
    is_word |= digit < np.uint8(10)
    leads = np.flatnonzero(raw >= np.uint8(0xC0))
    if len(leads) == 0:
        return is_word
    # Decode each non-ASCII character from its lead byte and continuation bytes (valid UTF-8,
    # as Polars strings are), then classify the few distinct code points once each.
    length = _UTF8_LENGTH[raw[leads]]
    code = raw[leads].astype(np.int64) & _UTF8_LEAD_MASK[length]
    for k in range(1, 4):
        more = length > k
        follow = raw[np.minimum(leads + k, len(raw) - 1)].astype(np.int64) & 0x3F
        code = np.where(more, (code << 6) | follow, code)
    distinct, inverse = np.unique(code, return_inverse=True)
    word_code = np.array([_is_word_char(chr(c)) for c in distinct.tolist()], dtype=np.bool_)
    char_is_word = word_code[inverse]
    for k in range(4):
        part = length > k
        is_word[leads[part] + k] = char_is_word[part]
    return is_word


def _sorted_sets(doc: I64Array, hashes: U64Array, n_docs: int) -> tuple[I64Array, U32Array]:
    """Sort each document's hashes and drop repeats: per-document counts and the hashes."""
    keys = hashes | (doc.astype(np.uint64) << np.uint64(32))
    keys.sort()
    unique = np.ones(len(keys), dtype=np.bool_)
    np.not_equal(keys[1:], keys[:-1], out=unique[1:])
    keys = keys[unique]
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=n_docs)
    return counts.astype(np.int64), keys.astype(np.uint32)


def _batch_shingles(
    texts: pl.Series,
    ngram_size: int,
    powers: U64Array,
    inverse_powers: U64Array,
    lead_words: int | None,
) -> tuple[I64Array, U32Array, I64Array, U32Array]:
    """Shingle sets of one batch: per-document counts and sorted unique hashes, then the leads'."""
    n_docs = len(texts)
    raw_lengths = texts.str.len_bytes().to_numpy().astype(np.int64)
    # A trailing separator so that every word, the last included, ends before the buffer does.
    blob = texts.str.join(_DOC_SEPARATOR) + _DOC_SEPARATOR
    raw = np.frombuffer(blob.cast(pl.Binary).item(), dtype=np.uint8)
    is_word = _word_bytes(raw)
    # Word boundaries alternate: a start (non-word to word), then an end (word to non-word).
    edges = np.empty(len(raw), dtype=np.bool_)
    edges[0] = is_word[0]
    np.not_equal(is_word[1:], is_word[:-1], out=edges[1:])
    boundaries = np.flatnonzero(edges)
    starts = boundaries[0::2]
    ends = boundaries[1::2]
    n_words = len(starts)
    empty = np.zeros(n_docs, dtype=np.int64), np.empty(0, dtype=np.uint32)
    if n_words == 0:
        return *empty, *empty
    doc_starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(raw_lengths + 1, out=doc_starts[1:])
    doc_words = np.diff(np.searchsorted(starts, doc_starts))
    word_doc = np.repeat(np.arange(n_docs), doc_words)
    # The shingle string lives in a virtual "compacted" buffer where each word is followed by
    # one space; word k starts there at compact[k]. Contribution of word k and its space to the
    # polynomial of that buffer: sum(b[j] * P**(j - starts[k] + compact[k])) + 32 * P**(...).
    lengths = ends - starts
    compact = np.cumsum(lengths + 1) - (lengths + 1)
    prefix = np.empty(len(raw) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.multiply(raw, powers[: len(raw)], out=prefix[1:])
    np.cumsum(prefix, out=prefix)
    word_poly = prefix[ends]
    word_poly -= prefix[starts]
    del prefix
    word_poly *= inverse_powers[starts - compact]
    space = powers[compact + lengths]
    space *= np.uint64(_SPACE)
    word_poly += space
    word_prefix = np.zeros(n_words + 1, dtype=np.uint64)
    np.cumsum(word_poly, out=word_prefix[1:])
    first_word = np.cumsum(doc_words) - doc_words
    position = np.arange(n_words) - first_word[word_doc]

    def hash_sets(words_in_doc: I64Array) -> tuple[I64Array, U32Array]:
        """Shingle sets of each document cut to its first ``words_in_doc`` words."""
        # Shingles: the words at which an n-gram starts, and the word it ends on.
        span = np.minimum(words_in_doc, ngram_size)
        # A document cut to no words (a lead of leading spaces) has no shingle.
        has_words = (words_in_doc > 0)[word_doc]
        shingle_first = np.flatnonzero((position <= (words_in_doc - span)[word_doc]) & has_words)
        shingle_doc = word_doc[shingle_first]
        shingle_last = shingle_first + span[shingle_doc] - 1
        poly = word_prefix[shingle_last + 1]
        poly -= word_prefix[shingle_first]
        poly -= space[shingle_last]
        poly *= inverse_powers[compact[shingle_first]]
        return _sorted_sets(shingle_doc, _fmix64(poly) >> np.uint64(32), n_docs)

    counts, hashes = hash_sets(doc_words)
    if lead_words is None:
        return counts, hashes, *empty
    # The lead is the first ``lead_words`` space-separated tokens (``str.split(" ")``, so an
    # empty token between two spaces counts too): the words that start before the document's
    # ``lead_words``-th space, or all its words when it has fewer spaces.
    space_at = np.flatnonzero(raw == np.uint8(_SPACE))
    first_space = np.searchsorted(space_at, doc_starts)
    cut_space = first_space[:-1] + (lead_words - 1)
    has_cut = cut_space < first_space[1:]
    cut = doc_starts[1:].copy()
    cut[has_cut] = space_at[cut_space[has_cut]]
    in_lead = starts < cut[word_doc]
    lead_counts = np.bincount(word_doc[in_lead], minlength=n_docs).astype(np.int64)
    return counts, hashes, *hash_sets(lead_counts)


def _batch_bounds(byte_lengths: I64Array, batch_bytes: int) -> list[tuple[int, int]]:
    """Split documents into consecutive batches of about ``batch_bytes`` text bytes each."""
    ends = np.cumsum(byte_lengths + 1)
    cuts = np.searchsorted(ends, np.arange(batch_bytes, int(ends[-1]), batch_bytes), side="left")
    bounds = np.unique(np.concatenate([[0], cuts + 1, [len(byte_lengths)]]))
    bounds = bounds[bounds <= len(byte_lengths)]
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def numpy_shingle_sets(
    texts: pl.Series,
    *,
    ngram_size: int,
    lead_words: int | None,
    threads: int = 2,
    batch_bytes: int = BATCH_BYTES,
) -> tuple[I64Array, U32Array, I64Array, U32Array]:
    """Offsets and hashes of every document's shingle set, then of its lead's, in NumPy.

    The NumPy reference of the kernels (`shingle_hashes_with_leads` gives the same arrays):
    prefix sums over one byte buffer per batch of documents. Without ``lead_words`` the lead
    arrays are empty.
    """
    if ngram_size < 1:
        raise ValueError("ngram_size must be at least 1")
    if lead_words is not None and lead_words < 1:
        raise ValueError("lead_words must be at least 1")
    n_docs = len(texts)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    lead_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    if n_docs == 0:
        return offsets, np.empty(0, dtype=np.uint32), lead_offsets, np.empty(0, dtype=np.uint32)
    texts = texts.cast(pl.String).fill_null("")
    byte_lengths = texts.str.len_bytes().to_numpy().astype(np.int64)
    bounds = _batch_bounds(byte_lengths, batch_bytes)
    longest = max(int(byte_lengths[a:b].sum()) + (b - a) + 1 for a, b in bounds)
    powers = _powers(POLY_BASE, longest)
    inverse_powers = _powers(_POLY_BASE_INVERSE, longest)

    def run(bound: tuple[int, int]) -> tuple[I64Array, U32Array, I64Array, U32Array]:
        start, end = bound
        batch = texts.slice(start, end - start)
        return _batch_shingles(batch, ngram_size, powers, inverse_powers, lead_words)

    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(run, bounds))
    else:
        results = [run(bound) for bound in bounds]
    np.cumsum(np.concatenate([result[0] for result in results]), out=offsets[1:])
    np.cumsum(np.concatenate([result[2] for result in results]), out=lead_offsets[1:])
    hashes = np.concatenate([result[1] for result in results])
    lead_hashes = np.concatenate([result[3] for result in results])
    return offsets, hashes, lead_offsets, lead_hashes


# Kernels. Arithmetic stays in uint64 (numba would turn a mix of signed and unsigned into
# floats), so every constant below is a NumPy uint64.
_P = np.uint64(POLY_BASE)
_M1 = np.uint64(_FMIX64_M1)
_M2 = np.uint64(_FMIX64_M2)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_SPACE_HASH = np.uint64(_SPACE)
_SHIFT33 = np.uint64(33)
_SHIFT32 = np.uint64(32)
# Whether each code point is a word character (1) or not (0); 2 until first met. ASCII is
# classified arithmetically by the kernels; other code points are classified once each with
# ``unicodedata``, as the scalar reference does, when a batch first holds them.
_WORD_TABLE = np.full(0x110000, 2, dtype=np.uint8)
_WORD_TABLE[:0x80] = 0
_UNKNOWN = 2


@kernel
def unknown_code_points(data: U8Array, start: int, end: int, table: U8Array) -> I64Array:
    """The non-ASCII code points of ``data[start:end]`` (UTF-8) not in ``table`` yet (repeated).

    A code point is not in the table yet where ``table[code]`` is 2.
    """
    found = np.empty(0, dtype=np.int64)
    count = 0
    pos = start
    while pos < end:
        byte = data[pos]
        if byte < 0x80:
            pos += 1
            continue
        code, length = decode_code_point(data, pos)
        if table[code] == _UNKNOWN:
            if count == len(found):
                grown = np.empty(2 * count + 64, dtype=np.int64)
                grown[:count] = found[:count]
                found = grown
            found[count] = code
            count += 1
        pos += length
    return found[:count]


@kernel
def decode_code_point(data: U8Array, pos: int) -> tuple[Any, int]:
    """The code point whose UTF-8 lead byte (>= 0xC0) is at ``pos``, and its length in bytes."""
    byte = np.int64(data[pos])
    if byte < 0xE0:
        length = 2
        code = byte & 0x1F
    elif byte < 0xF0:
        length = 3
        code = byte & 0x0F
    else:
        length = 4
        code = byte & 0x07
    for k in range(1, length):
        code = (code << 6) | (np.int64(data[pos + k]) & 0x3F)
    return code, length


@kernel
def _fmix64_kernel(value: np.uint64) -> np.uint64:
    """MurmurHash3's 64-bit finalizer of one value (kernel)."""
    value ^= value >> _SHIFT33
    value *= _M1
    value ^= value >> _SHIFT33
    value *= _M2
    value ^= value >> _SHIFT33
    return value


@kernel
def _doc_words(
    data: U8Array,
    start: int,
    end: int,
    table: U8Array,
    lead_words: int,
    word_poly: U64Array,
    word_power: U64Array,
) -> tuple[int, int]:
    """Find the words of ``data[start:end]``: their count and how many start in the lead.

    Word ``k``'s polynomial ``sum(b[j] * P**j)`` over its own bytes goes to ``word_poly[k]``
    and ``P**len`` to ``word_power[k]``. The lead holds the words that start before the
    ``lead_words``-th space byte (all words when there are fewer spaces, or no lead asked: 0).
    """
    n_words = 0
    lead = -1
    spaces = 0
    poly = _ZERO
    power = _ONE
    in_word = False
    pos = start
    while pos < end:
        byte = data[pos]
        if byte < 0x80:
            length = 1
            lower = byte | 0x20
            is_word = (lower >= 0x61 and lower <= 0x7A) or (byte >= 0x30 and byte <= 0x39)
        elif byte >= 0xC0:
            code, length = decode_code_point(data, pos)
            is_word = table[code] == 1
        else:  # a continuation byte cannot start a character in valid UTF-8
            length = 1
            is_word = False
        if is_word:
            if not in_word:
                in_word = True
                poly = _ZERO
                power = _ONE
            for k in range(length):
                poly += np.uint64(data[pos + k]) * power
                power *= _P
        else:
            if in_word:
                word_poly[n_words] = poly
                word_power[n_words] = power
                n_words += 1
                in_word = False
            if byte == 0x20 and lead_words > 0:
                spaces += 1
                if spaces == lead_words:
                    lead = n_words
        pos += length
    if in_word:
        word_poly[n_words] = poly
        word_power[n_words] = power
        n_words += 1
    if lead < 0:
        lead = n_words
    return n_words, lead


@kernel
def _shingle_of(word_poly: U64Array, word_power: U64Array, first: int, last: int) -> np.uint32:
    """The hash of the shingle of words ``first..last`` (inclusive) joined by single spaces."""
    poly = word_poly[last]
    for k in range(last - 1, first - 1, -1):
        poly = word_poly[k] + word_power[k] * (_SPACE_HASH + _P * poly)
    return np.uint32(_fmix64_kernel(poly) >> _SHIFT32)


@kernel
def _sorted_unique(values: U32Array, start: int, count: int) -> int:
    """Sort ``values[start:start + count]`` in place, move its distinct values first, count them."""
    if count < 2:
        return count
    values[start : start + count].sort()
    kept = 1
    for j in range(start + 1, start + count):
        if values[j] != values[start + kept - 1]:
            values[start + kept] = values[j]
            kept += 1
    return kept


@kernel
def _room(values: U32Array, used: int, needed: int) -> U32Array:
    """``values``, or a copy twice as large when ``used + needed`` would not fit."""
    if used + needed <= len(values):
        return values
    grown = np.empty(max(2 * len(values), used + needed), dtype=np.uint32)
    grown[:used] = values[:used]
    return grown


@kernel
def _fingerprint_kernel(
    offsets: I64Array,
    data: U8Array,
    table: U8Array,
    ngram_size: int,
    lead_words: int,
    a: U32Array,
    b: U32Array,
    first: int,
    last: int,
) -> tuple[I64Array, U32Array, I64Array, U32Array, U32Array]:
    """Fingerprint documents ``first:last`` of an Arrow string array in one pass (kernel).

    Document ``i`` is ``data[offsets[i]:offsets[i + 1]]`` (UTF-8). Contract, equal to the
    scalar references of this module and of `dedupe.duplicates.minhash`: its words are the
    maximal runs of characters that are ASCII letters or digits or, beyond ASCII, in
    ``table`` (Unicode categories L, N, M); its shingles are hashed as the module docstring
    says (n-grams of ``ngram_size`` words, or one shingle of all words when fewer); its lead
    is the words that start before its ``lead_words``-th space (0: no lead sets); its
    signature is `signature_into` of its distinct shingles with permutations ``(a, b)`` (none
    when ``a`` is empty).

    Returns:
        per-document shingle counts, their distinct hashes (sorted within each document, back
        to back), the same two for the leads, and the signatures, one row each.
    """
    n_docs = last - first
    counts = np.zeros(n_docs, dtype=np.int64)
    lead_counts = np.zeros(n_docs, dtype=np.int64)
    signatures = np.empty((n_docs, len(a)), dtype=np.uint32)
    total_bytes = offsets[last] - offsets[first]
    hashes = np.empty(total_bytes // 4 + 16, dtype=np.uint32)
    lead_hashes = np.empty(min(total_bytes // 4, n_docs * max(lead_words, 1)) + 16, np.uint32)
    longest = 0
    for i in range(first, last):
        longest = max(longest, offsets[i + 1] - offsets[i])
    # A word takes at least one byte and one separator byte.
    word_poly = np.empty(longest // 2 + 1, dtype=np.uint64)
    word_power = np.empty(longest // 2 + 1, dtype=np.uint64)
    used = 0
    lead_used = 0
    for i in range(first, last):
        n_words, lead = _doc_words(
            data, offsets[i], offsets[i + 1], table, lead_words, word_poly, word_power
        )
        row = i - first
        n_shingles = 0
        if n_words > 0:
            span = min(ngram_size, n_words)
            n_shingles = n_words - span + 1
            hashes = _room(hashes, used, n_shingles)
            for s in range(n_shingles):
                hashes[used + s] = _shingle_of(word_poly, word_power, s, s + span - 1)
        if lead_words > 0 and lead > 0:
            lead_span = min(ngram_size, lead)
            n_lead = lead - lead_span + 1
            lead_hashes = _room(lead_hashes, lead_used, n_lead)
            if lead_span == span:
                lead_hashes[lead_used : lead_used + n_lead] = hashes[used : used + n_lead]
            else:
                lead_hashes[lead_used] = _shingle_of(word_poly, word_power, 0, lead - 1)
            n_lead = _sorted_unique(lead_hashes, lead_used, n_lead)
            lead_counts[row] = n_lead
            lead_used += n_lead
        n_shingles = _sorted_unique(hashes, used, n_shingles)
        counts[row] = n_shingles
        if len(a) > 0:
            signature_into(hashes, used, used + n_shingles, a, b, signatures[row])
        used += n_shingles
    return counts, hashes[:used].copy(), lead_counts, lead_hashes[:lead_used].copy(), signatures


@kernel
def _text_hash_kernel(offsets: I64Array, data: U8Array, first: int, last: int) -> U64Array:
    """`text_hash` of documents ``first:last`` of an Arrow string array (kernel).

    Contract: ``fmix64(sum(b[j] * P**j) mod 2**64)`` over each document's UTF-8 bytes ``b``.
    Four interleaved sums (bytes ``j = r mod 4``, stepping by ``P**4``) break the dependency
    chain of one running power; they add up to the same polynomial.
    """
    p2 = _P * _P
    p3 = p2 * _P
    p4 = p2 * p2
    keys = np.empty(last - first, dtype=np.uint64)
    for i in range(first, last):
        start = offsets[i]
        end = offsets[i + 1]
        s0 = _ZERO
        s1 = _ZERO
        s2 = _ZERO
        s3 = _ZERO
        power = _ONE
        pos = start
        while pos + 4 <= end:
            s0 += np.uint64(data[pos]) * power
            s1 += np.uint64(data[pos + 1]) * power
            s2 += np.uint64(data[pos + 2]) * power
            s3 += np.uint64(data[pos + 3]) * power
            power *= p4
            pos += 4
        poly = s0 + _P * s1 + p2 * s2 + p3 * s3
        while pos < end:
            poly += np.uint64(data[pos]) * power
            power *= _P
            pos += 1
        keys[i - first] = _fmix64_kernel(poly)
    return keys


def string_buffers(texts: pl.Series) -> tuple[I64Array, U8Array, Any]:
    """The Arrow offsets and UTF-8 bytes of a string column, without a copy per document.

    A null is an empty string. Returns ``(offsets, data, owner)``: document ``i`` is
    ``data[offsets[i]:offsets[i + 1]]``, and ``owner`` (the Arrow array) must stay alive as
    long as the two views are used.
    """
    import pyarrow as pa  # deferred: only a run needs Arrow

    array = texts.cast(pl.String).fill_null("").rechunk().to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.large_string():  # string or string_view: one copy of the column
        array = array.cast(pa.large_string())
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(
        offsets_buffer, dtype=np.int64, count=len(array) + 1, offset=8 * array.offset
    )
    if data_buffer is None:
        data = np.zeros(1, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buffer, dtype=np.uint8)
    return offsets, data, array


def _learn_code_points(offsets: I64Array, data: U8Array) -> None:
    """Classify the code points of the batch that no batch held before (see ``_WORD_TABLE``)."""
    found = unknown_code_points(data, int(offsets[0]), int(offsets[-1]), _WORD_TABLE)
    if len(found):
        codes = np.unique(found)
        flags = [_is_word_char(chr(code)) for code in codes.tolist()]
        _WORD_TABLE[codes] = np.array(flags, dtype=np.uint8)


def _doc_ranges(offsets: I64Array, parts: int) -> list[tuple[int, int]]:
    """Split documents into ``parts`` consecutive ranges of about equal bytes."""
    n_docs = len(offsets) - 1
    targets = np.linspace(offsets[0], offsets[-1], parts + 1)[1:-1]
    cuts = np.searchsorted(offsets[1:], targets)
    bounds = np.unique(np.concatenate([[0], np.minimum(cuts + 1, n_docs), [n_docs]]))
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def _stack(counts: list[I64Array]) -> I64Array:
    offsets = np.zeros(sum(len(c) for c in counts) + 1, dtype=np.int64)
    if len(offsets) > 1:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return offsets


def fingerprint_arrays(
    texts: pl.Series,
    *,
    ngram_size: int,
    lead_words: int | None = None,
    num_perm: int = 0,
    seed: int = 1,
    threads: int = 2,
) -> tuple[I64Array, U32Array, I64Array, U32Array, U32Array]:
    """Shingle sets, lead sets and MinHash signatures of every text, in one compiled pass.

    Args:
        texts: normalized texts (see :mod:`dedupe.normalize`); a null is an empty document.
        ngram_size: words per shingle.
        lead_words: space-separated tokens in a document's lead (None: no lead sets).
        num_perm: signature width (0: no signatures).
        seed: seed of datasketch's permutation parameters.
        threads: ranges of documents fingerprinted at once (the kernel releases the GIL).

    Returns:
        ``(offsets, hashes, lead_offsets, lead_hashes, signatures)``: each pair laid out as
        :func:`shingle_hashes` returns it (the lead pair all zeros and empty without
        ``lead_words``); ``signatures`` is uint32 ``(len(texts), num_perm)``, equal to
        `dedupe.duplicates.minhash.compute_signatures` of the shingle sets.
    """
    if ngram_size < 1:
        raise ValueError("ngram_size must be at least 1")
    if lead_words is not None and lead_words < 1:
        raise ValueError("lead_words must be at least 1")
    offsets, data, owner = string_buffers(texts)
    if not use_kernels(int(offsets[-1] - offsets[0])):
        del owner
        sets = numpy_shingle_sets(
            texts, ngram_size=ngram_size, lead_words=lead_words, threads=threads
        )
        if num_perm:
            signatures = numpy_signatures(sets[0], sets[1], num_perm=num_perm, seed=seed)
        else:
            signatures = np.empty((len(texts), 0), dtype=np.uint32)
        return (*sets, signatures)
    _learn_code_points(offsets, data)
    a, b = permutations(num_perm, seed) if num_perm else (_NO_PERMUTATIONS, _NO_PERMUTATIONS)
    ranges = _doc_ranges(offsets, threads) if len(texts) else []

    def run(bound: tuple[int, int]) -> tuple[I64Array, U32Array, I64Array, U32Array, U32Array]:
        return _fingerprint_kernel(
            offsets, data, _WORD_TABLE, ngram_size, lead_words or 0, a, b, *bound
        )

    if len(ranges) > 1:
        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            results = list(pool.map(run, ranges))
    else:
        results = [run(bound) for bound in ranges]
    del owner
    if not results:
        empty_offsets = np.zeros(1, dtype=np.int64)
        no_hashes = np.empty(0, dtype=np.uint32)
        no_rows = np.empty((0, num_perm), dtype=np.uint32)
        return empty_offsets, no_hashes, empty_offsets.copy(), no_hashes.copy(), no_rows
    return (
        _stack([r[0] for r in results]),
        np.concatenate([r[1] for r in results]),
        _stack([r[2] for r in results]),
        np.concatenate([r[3] for r in results]),
        np.concatenate([r[4] for r in results]),
    )


_NO_PERMUTATIONS = np.empty(0, dtype=np.uint32)


def shingle_hashes(
    texts: pl.Series, *, ngram_size: int, threads: int = 2
) -> tuple[I64Array, U32Array]:
    """Hash every document's word n-gram shingles, as a set per document.

    Args:
        texts: normalized texts (see :mod:`dedupe.normalize`); a null is an empty document.
        ngram_size: words per shingle.
        threads: ranges of documents hashed at once (the kernel releases the GIL).

    Returns:
        ``(offsets, hashes)``: document ``i``'s distinct shingle hashes, sorted ascending, are
        ``hashes[offsets[i]:offsets[i + 1]]``. ``offsets`` is int64 of length ``len(texts) + 1``
        and ``hashes`` is uint32.

    Example:
        >>> offsets, hashes = shingle_hashes(pl.Series(["a b c d", "", "a b c"]), ngram_size=3)
        >>> offsets.tolist()
        [0, 2, 2, 3]
        >>> int(hashes[2]) == shingle_hash("a b c")
        True
    """
    offsets, hashes, _, _, _ = fingerprint_arrays(texts, ngram_size=ngram_size, threads=threads)
    return offsets, hashes


def shingle_hashes_with_leads(
    texts: pl.Series,
    *,
    ngram_size: int,
    lead_words: int,
    threads: int = 2,
) -> tuple[I64Array, U32Array, I64Array, U32Array]:
    """Hash every document's shingle set and its lead's, in one pass over the text.

    The lead of a text is its first ``lead_words`` space-separated tokens, exactly
    ``text.split(" ")[:lead_words]`` joined by spaces; its shingle set is the one
    :func:`shingle_hashes` gives for that joined string.

    Returns:
        ``(offsets, hashes, lead_offsets, lead_hashes)``, each pair laid out as
        :func:`shingle_hashes` returns it.

    Example:
        >>> _, _, lead_offsets, lead_hashes = shingle_hashes_with_leads(
        ...     pl.Series(["a b c d"]), ngram_size=3, lead_words=3
        ... )
        >>> lead_offsets.tolist(), int(lead_hashes[0]) == shingle_hash("a b c")
        ([0, 1], True)
    """
    offsets, hashes, lead_offsets, lead_hashes, _ = fingerprint_arrays(
        texts, ngram_size=ngram_size, lead_words=lead_words, threads=threads
    )
    return offsets, hashes, lead_offsets, lead_hashes


def text_hash(text: str) -> int:
    """Hash a whole text to 64 bits: steps 1 and 2 of the shingle hash, without truncation.

    The scalar reference of :func:`text_hashes`; a stable key for exact duplicates that can be
    persisted between runs.

    Example:
        >>> text_hash("the quick brown") >> 32 == shingle_hash("the quick brown")
        True
    """
    poly = 0
    power = 1
    for byte in text.encode("utf-8"):
        poly = (poly + byte * power) & _MASK64
        power = (power * POLY_BASE) & _MASK64
    return _fmix64_int(poly)


def numpy_text_hashes(texts: pl.Series, *, batch_bytes: int = BATCH_BYTES) -> U64Array:
    """Hash every text to 64 bits as :func:`text_hash` does, in NumPy (the kernel's reference).

    Example:
        >>> [int(h) for h in numpy_text_hashes(pl.Series(["a b", ""]))] == [text_hash("a b"), 0]
        True
    """
    texts = texts.cast(pl.String).fill_null("")
    result = np.zeros(len(texts), dtype=np.uint64)
    if len(texts) == 0:
        return result
    byte_lengths = texts.str.len_bytes().to_numpy().astype(np.int64)
    bounds = _batch_bounds(byte_lengths, batch_bytes)
    longest = max(int(byte_lengths[a:b].sum()) + 1 for a, b in bounds)
    powers = _powers(POLY_BASE, longest)
    inverse_powers = _powers(_POLY_BASE_INVERSE, longest)
    for start, end in bounds:
        batch = texts.slice(start, end - start)
        raw = np.frombuffer(batch.str.join("").cast(pl.Binary).item(), dtype=np.uint8)
        prefix = np.zeros(len(raw) + 1, dtype=np.uint64)
        np.multiply(raw, powers[: len(raw)], out=prefix[1:])
        np.cumsum(prefix, out=prefix)
        ends = np.cumsum(byte_lengths[start:end])
        starts = ends - byte_lengths[start:end]
        poly = prefix[ends] - prefix[starts]
        poly *= inverse_powers[starts]
        result[start:end] = _fmix64(poly)
    return result


def text_hashes(texts: pl.Series, *, threads: int = 1) -> U64Array:
    """Hash every text to 64 bits as :func:`text_hash` does (compiled); a null hashes as "".

    Example:
        >>> [int(h) for h in text_hashes(pl.Series(["a b", ""]))] == [text_hash("a b"), 0]
        True
    """
    offsets, data, owner = string_buffers(texts)
    if not use_kernels(int(offsets[-1] - offsets[0])):
        del owner
        return numpy_text_hashes(texts)
    ranges = _doc_ranges(offsets, threads) if len(texts) else []
    parts = [_text_hash_kernel(offsets, data, first, last) for first, last in ranges]
    del owner
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
