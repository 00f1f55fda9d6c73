import numpy as np
import polars as pl
import pytest
from datasketch.lsh import _optimal_param

from dedupe.duplicates.lsh import (
    band_key_matrix,
    band_keys,
    find_candidate_pairs,
    optimal_bands_rows,
)
from dedupe.duplicates.minhash import compute_signatures
from dedupe.duplicates.shingles import shingle_hashes


def _corpus(rng: np.random.Generator, n_docs: int, n_words: int = 200) -> list[str]:
    vocab = np.array([f"w{i}" for i in range(5000)])
    return [" ".join(rng.choice(vocab, n_words)) for _ in range(n_docs)]


def _signatures(texts: list[str], num_perm: int = 128) -> np.ndarray:
    offsets, hashes = shingle_hashes(pl.Series(texts), ngram_size=3)
    return compute_signatures(offsets, hashes, num_perm=num_perm, seed=1)


def test_optimal_bands_rows_fits_num_perm_and_favours_recall() -> None:
    bands, rows = optimal_bands_rows(0.5, 128)
    assert bands * rows <= 128
    balanced_bands, balanced_rows = optimal_bands_rows(0.5, 128, 0.5, 0.5)
    # Weighting misses more gives an S-curve that starts at a lower similarity.
    assert (1 / bands) ** (1 / rows) <= (1 / balanced_bands) ** (1 / balanced_rows)


@pytest.mark.parametrize("num_perm", [2, 7, 64, 128, 256])
@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.25, 0.75)])
def test_optimal_bands_rows_is_datasketchs_choice(
    num_perm: int, weights: tuple[float, float]
) -> None:
    for threshold in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0):
        expected = _optimal_param(threshold, num_perm, *weights)
        assert optimal_bands_rows(threshold, num_perm, *weights) == tuple(expected)


def test_find_candidate_pairs_finds_planted_near_duplicate() -> None:
    rng = np.random.default_rng(0)
    texts = _corpus(rng, 100)
    words = texts[10].split()
    words[50] = "edited"
    texts.append(" ".join(words))
    pairs = find_candidate_pairs(_signatures(texts), bands=26, rows=4)
    assert (10, 100) in set(pairs.iter_rows())


def test_find_candidate_pairs_sorted_unique_ordered() -> None:
    rng = np.random.default_rng(1)
    base = _corpus(rng, 30)
    texts = base + base[:10] + base[:5]
    pairs = find_candidate_pairs(_signatures(texts), bands=16, rows=8)
    assert pairs.schema == {"left": pl.UInt32, "right": pl.UInt32}
    assert pairs.equals(pairs.unique().sort("left", "right"))
    assert (pairs["left"] < pairs["right"]).all()
    assert {(i, i + 30) for i in range(10)} <= set(pairs.iter_rows())


def test_find_candidate_pairs_skips_empty_docs() -> None:
    pairs = find_candidate_pairs(_signatures(["", "", "", "a b c"]), bands=16, rows=8)
    assert pairs.height == 0


@pytest.mark.parametrize("copies", [2, 4, 100])
def test_find_candidate_pairs_links_a_bucket_to_its_first_member(copies: int) -> None:
    pairs = find_candidate_pairs(_signatures(["same words here"] * copies), bands=16, rows=8)
    assert set(pairs.iter_rows()) == {(0, i) for i in range(1, copies)}


def test_find_candidate_pairs_rejects_too_many_rows() -> None:
    with pytest.raises(ValueError, match="bands x rows"):
        find_candidate_pairs(np.zeros((2, 8), dtype=np.uint32), bands=3, rows=3)


def test_band_key_matrix_equals_band_keys() -> None:
    rng = np.random.default_rng(3)
    signatures = rng.integers(0, 2**32 - 1, size=(50, 12), dtype=np.uint32)
    docs = np.array([0, 3, 7, 49, 10], dtype=np.int64)
    matrix = band_key_matrix(signatures, docs, 4, 3)
    for band in range(4):
        assert (matrix[band] == band_keys(signatures, docs, band, 3)).all()
