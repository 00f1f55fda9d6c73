import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.duplicates.minhash import compute_signatures
from dedupe.duplicates.shingles import (
    fingerprint_arrays,
    numpy_shingle_sets,
    numpy_text_hashes,
    shingle_hash,
    shingle_hashes,
    shingle_hashes_with_leads,
    shingle_strings,
    text_hash,
    text_hashes,
    words,
)

WORDS = ["a", "bb", "the", "naïve", "café", "日本", "x1", "2024", "ωmega", "e\u0301t\u00e9"]
SEPARATORS = [" ", ", ", ". ", " - ", "  ", "\u00bb ", "\u3002", "\t", "\n", "'"]


def _reference(text: str, ngram_size: int) -> list[int]:
    return sorted({shingle_hash(s) for s in shingle_strings(text, ngram_size)})


def _split(offsets: np.ndarray, hashes: np.ndarray) -> list[list[int]]:
    return [hashes[offsets[i] : offsets[i + 1]].tolist() for i in range(len(offsets) - 1)]


texts_strategy = st.lists(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=15).map(
        lambda parts: "".join(w + s for w, s in parts)
    ),
    max_size=20,
)


def test_shingle_hash_pinned_value() -> None:
    # A change here invalidates persisted signatures: bump the format, do not edit the number.
    assert shingle_hash("the quick brown") == 577368928
    assert shingle_hash(b"the quick brown") == 577368928
    assert shingle_hash("naïve café") == shingle_hash("naïve café".encode())


def test_words_split_on_punctuation_unicode_aware() -> None:
    assert words("it's 2024, naïve café—ok 日本語。next") == [
        "it",
        "s",
        "2024",
        "naïve",
        "café",
        "ok",
        "日本語",
        "next",
    ]


def test_shingle_strings_short_and_empty_docs() -> None:
    assert shingle_strings("", 3) == []
    assert shingle_strings("  ,. ", 3) == []
    assert shingle_strings("one two", 3) == ["one two"]
    assert shingle_strings("a b c d", 3) == ["a b c", "b c d"]


def test_shingle_hashes_offsets_and_empty_docs() -> None:
    offsets, hashes = shingle_hashes(pl.Series(["a b c d", "", None, "hi"]), ngram_size=3)
    assert offsets.tolist() == [0, 2, 2, 2, 3]
    assert offsets.dtype.name == "int64"
    assert hashes.dtype.name == "uint32"
    assert hashes[2] == shingle_hash("hi")


def test_shingle_hashes_dedups_within_doc_sorted() -> None:
    offsets, hashes = shingle_hashes(pl.Series(["a b a b a b", "x y"]), ngram_size=2)
    docs = _split(offsets, hashes)
    assert docs[0] == sorted({shingle_hash("a b"), shingle_hash("b a")})
    assert docs[1] == [shingle_hash("x y")]


def test_shingle_hashes_empty_series() -> None:
    offsets, hashes = shingle_hashes(pl.Series([], dtype=pl.String), ngram_size=3)
    assert offsets.tolist() == [0]
    assert len(hashes) == 0


def test_shingle_hashes_rejects_bad_ngram_size() -> None:
    with pytest.raises(ValueError, match="ngram_size"):
        shingle_hashes(pl.Series(["a"]), ngram_size=0)


@settings(deadline=None)
@given(texts=texts_strategy, ngram_size=st.integers(1, 5), threads=st.sampled_from([1, 2]))
def test_shingle_hashes_match_scalar_reference(
    texts: list[str], ngram_size: int, threads: int
) -> None:
    offsets, hashes = shingle_hashes(
        pl.Series(texts, dtype=pl.String), ngram_size=ngram_size, threads=threads
    )
    assert _split(offsets, hashes) == [_reference(text, ngram_size) for text in texts]


@settings(deadline=None)
@given(
    texts=texts_strategy,
    ngram_size=st.integers(1, 5),
    batch_bytes=st.sampled_from([1, 64, 1 << 20]),
)
def test_numpy_shingle_sets_match_scalar_reference(
    texts: list[str], ngram_size: int, batch_bytes: int
) -> None:
    offsets, hashes, _, _ = numpy_shingle_sets(
        pl.Series(texts, dtype=pl.String),
        ngram_size=ngram_size,
        lead_words=None,
        batch_bytes=batch_bytes,
    )
    assert _split(offsets, hashes) == [_reference(text, ngram_size) for text in texts]


@settings(deadline=None)
@given(
    texts=st.lists(st.text(max_size=60), max_size=20),
    ngram_size=st.integers(1, 4),
    lead_words=st.integers(1, 6),
    threads=st.sampled_from([1, 3]),
)
def test_fingerprint_arrays_equal_the_numpy_reference_on_any_text(
    texts: list[str], ngram_size: int, lead_words: int, threads: int
) -> None:
    series = pl.Series(texts, dtype=pl.String)
    *sets, signatures = fingerprint_arrays(
        series, ngram_size=ngram_size, lead_words=lead_words, num_perm=16, threads=threads
    )
    reference = numpy_shingle_sets(series, ngram_size=ngram_size, lead_words=lead_words)
    for ours, theirs in zip(sets, reference, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    expected = compute_signatures(reference[0], reference[1], num_perm=16, seed=1)
    np.testing.assert_array_equal(signatures, expected)


def test_fingerprint_arrays_read_sliced_and_chunked_columns() -> None:
    texts = ["a b c d", "", "naïve café x", "e f g", "日本 語 z"]
    whole = fingerprint_arrays(pl.Series(texts), ngram_size=2, lead_words=2, num_perm=8)
    sliced = fingerprint_arrays(
        pl.Series(["x y", *texts]).slice(1), ngram_size=2, lead_words=2, num_perm=8
    )
    chunked = pl.concat([pl.Series(texts[:2]), pl.Series(texts[2:])], rechunk=False)
    assert chunked.n_chunks() == 2
    for other in (sliced, fingerprint_arrays(chunked, ngram_size=2, lead_words=2, num_perm=8)):
        for ours, theirs in zip(whole, other, strict=True):
            np.testing.assert_array_equal(ours, theirs)


def test_fingerprint_arrays_of_no_texts() -> None:
    offsets, hashes, lead_offsets, lead_hashes, signatures = fingerprint_arrays(
        pl.Series([], dtype=pl.String), ngram_size=3, lead_words=5, num_perm=8
    )
    assert offsets.tolist() == lead_offsets.tolist() == [0]
    assert len(hashes) == len(lead_hashes) == 0
    assert signatures.shape == (0, 8)


@given(st.lists(st.text(max_size=40), max_size=30), st.sampled_from([1, 2]))
def test_text_hashes_match_the_scalar_reference(texts: list[str], threads: int) -> None:
    hashed = text_hashes(pl.Series(texts, dtype=pl.String), threads=threads)
    assert [int(h) for h in hashed] == [text_hash(t) for t in texts]


@given(st.lists(st.text(max_size=40), max_size=30), st.integers(16, 200))
def test_numpy_text_hashes_match_the_scalar_reference(texts: list[str], batch_bytes: int) -> None:
    hashed = numpy_text_hashes(pl.Series(texts, dtype=pl.String), batch_bytes=batch_bytes)
    assert [int(h) for h in hashed] == [text_hash(t) for t in texts]


def _lead(text: str, lead_words: int) -> str:
    return " ".join(text.split(" ")[:lead_words])


@settings(deadline=None)
@given(
    texts=texts_strategy,
    ngram_size=st.integers(1, 4),
    lead_words=st.integers(1, 6),
    batch_bytes=st.sampled_from([None, 1, 64, 1 << 20]),
)
def test_shingle_hashes_with_leads_match_shingles_of_the_lead(
    texts: list[str], ngram_size: int, lead_words: int, batch_bytes: int | None
) -> None:
    series = pl.Series(texts, dtype=pl.String)
    if batch_bytes is None:
        offsets, hashes, lead_offsets, lead_hashes = shingle_hashes_with_leads(
            series, ngram_size=ngram_size, lead_words=lead_words
        )
    else:
        offsets, hashes, lead_offsets, lead_hashes = numpy_shingle_sets(
            series, ngram_size=ngram_size, lead_words=lead_words, batch_bytes=batch_bytes
        )
    assert _split(offsets, hashes) == [_reference(text, ngram_size) for text in texts]
    expected = [_reference(_lead(text, lead_words), ngram_size) for text in texts]
    assert _split(lead_offsets, lead_hashes) == expected


def test_shingle_hashes_with_leads_counts_empty_tokens_and_nulls() -> None:
    texts = pl.Series(["a  b c d e", None, " x y z"])
    _, _, lead_offsets, lead_hashes = shingle_hashes_with_leads(texts, ngram_size=2, lead_words=3)
    assert _split(lead_offsets, lead_hashes) == [
        [shingle_hash("a b")],
        [],
        [shingle_hash("x y")],
    ]


@pytest.mark.parametrize("implementation", ["kernel", "numpy"])
def test_shingle_hashes_with_leads_of_a_text_opening_with_spaces_are_empty(
    implementation: str,
) -> None:
    texts = pl.Series([" 0", "  a b"])
    if implementation == "kernel":
        _, _, lead_offsets, _ = shingle_hashes_with_leads(texts, ngram_size=1, lead_words=1)
    else:
        _, _, lead_offsets, _ = numpy_shingle_sets(texts, ngram_size=1, lead_words=1)
    assert lead_offsets.tolist()[-1] == 0


def test_shingle_hashes_with_leads_rejects_bad_lead_words() -> None:
    with pytest.raises(ValueError, match="lead_words"):
        shingle_hashes_with_leads(pl.Series(["a"]), ngram_size=1, lead_words=0)


def test_shingle_hashes_split_on_non_ascii_separators() -> None:
    texts = pl.Series(["café » naïve— 日本語 © x", "\u00e9t\u0301e \u00a0 ok"])
    offsets, hashes = shingle_hashes(texts, ngram_size=2)
    assert _split(offsets, hashes) == [_reference(text, 2) for text in texts]
