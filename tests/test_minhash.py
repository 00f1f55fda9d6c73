import math

import numpy as np
import polars as pl
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.duplicates.minhash import EMPTY_HASH, compute_signatures, permutations
from dedupe.duplicates.shingles import shingle_hash, shingle_hashes, shingle_strings

VOCAB = [f"w{i}" for i in range(40)]


def _datasketch(text: str, ngram_size: int, num_perm: int, seed: int) -> np.ndarray:
    minhash = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    minhash.update_batch(shingle_strings(text, ngram_size))
    return np.asarray(minhash.hashvalues)


@settings(deadline=None)
@given(
    docs=st.lists(st.lists(st.sampled_from(VOCAB), max_size=30), min_size=1, max_size=12),
    num_perm=st.sampled_from([2, 16, 128, 129]),
    seed=st.integers(0, 2**31 - 1),
    ngram_size=st.integers(1, 4),
    chunk_size=st.sampled_from([1, 7, 1 << 15]),
    threads=st.sampled_from([1, 2]),
)
def test_compute_signatures_equal_datasketch(
    docs: list[list[str]], num_perm: int, seed: int, ngram_size: int, chunk_size: int, threads: int
) -> None:
    texts = [" ".join(doc) for doc in docs]
    offsets, hashes = shingle_hashes(pl.Series(texts), ngram_size=ngram_size)
    signatures = compute_signatures(
        offsets, hashes, num_perm=num_perm, seed=seed, chunk_size=chunk_size, threads=threads
    )
    assert signatures.shape == (len(texts), num_perm)
    assert signatures.dtype == np.uint32
    for row, text in zip(signatures, texts, strict=True):
        np.testing.assert_array_equal(row, _datasketch(text, ngram_size, num_perm, seed))


@pytest.mark.parametrize("num_perm", [2, 128, 1024])
@pytest.mark.parametrize("seed", [0, 1, 2**31 - 1])
def test_permutations_are_datasketchs(num_perm: int, seed: int) -> None:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = permutations(num_perm, seed)
    np.testing.assert_array_equal(ours[0], a)
    np.testing.assert_array_equal(ours[1], b)


def test_compute_signatures_empty_and_short_docs() -> None:
    texts = ["", "one", "one two", "", "one two three four"]
    offsets, hashes = shingle_hashes(pl.Series(texts), ngram_size=3)
    signatures = compute_signatures(offsets, hashes, num_perm=64, seed=1, chunk_size=1)
    assert (signatures[0] == EMPTY_HASH).all()
    assert (signatures[3] == EMPTY_HASH).all()
    for row, text in zip(signatures, texts, strict=True):
        np.testing.assert_array_equal(row, _datasketch(text, 3, 64, 1))


def test_compute_signatures_no_docs() -> None:
    offsets = np.zeros(1, dtype=np.int64)
    signatures = compute_signatures(offsets, np.empty(0, np.uint32), num_perm=8, seed=1)
    assert signatures.shape == (0, 8)


def test_compute_signatures_reports_progress() -> None:
    offsets, hashes = shingle_hashes(pl.Series(["a b c d"] * 50), ngram_size=2)
    seen: list[int] = []
    compute_signatures(offsets, hashes, num_perm=8, seed=1, chunk_size=10, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 50


def test_estimate_jaccard_within_four_sigma() -> None:
    rng = np.random.default_rng(7)
    num_perm = 256
    for true_overlap in (0.2, 0.5, 0.8):
        shared = rng.choice(10**6, size=int(400 * true_overlap), replace=False)
        only = rng.choice(np.arange(10**6, 2 * 10**6), size=2 * (400 - len(shared)), replace=False)
        set_a = np.sort(np.concatenate([shared, only[: len(only) // 2]])).astype(np.uint32)
        set_b = np.sort(np.concatenate([shared, only[len(only) // 2 :]])).astype(np.uint32)
        offsets = np.array([0, len(set_a), len(set_a) + len(set_b)], dtype=np.int64)
        signatures = compute_signatures(
            offsets, np.concatenate([set_a, set_b]), num_perm=num_perm, seed=3
        )
        jaccard = len(shared) / (len(set_a) + len(set_b) - len(shared))
        sigma = math.sqrt(jaccard * (1 - jaccard) / num_perm)
        assert abs(float(np.mean(signatures[0] == signatures[1])) - jaccard) <= 4 * sigma
