"""Fingerprints in memory and saved batch by batch give the same rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.config import NearConfig
from dedupe.duplicates.fingerprints import Fingerprints, SavedFingerprints, fingerprint
from dedupe.duplicates.lsh import find_candidate_pairs

WORDS = ["storm", "city", "river", "mayor", "said", "on", "the", "flood", "police", "court"]
CONFIG = NearConfig()


def _texts(seed: int, n: int) -> pl.Series:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 40, n)
    return pl.Series([" ".join(rng.choice(WORDS, size)) for size in lengths])


def _assert_same(left: Fingerprints, right: Fingerprints) -> None:
    for name in ("offsets", "hashes", "lead_offsets", "lead_hashes", "signatures"):
        np.testing.assert_array_equal(getattr(left, name), getattr(right, name), err_msg=name)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=4),
    picks=st.lists(st.integers(0, 10**6), max_size=30),
)
def test_saved_take_equals_take_in_memory(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], picks: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("prints")
    parts = [fingerprint(_texts(i, size), CONFIG) for i, size in enumerate(sizes)]
    for index, part in enumerate(parts):
        part.save(folder / str(index))
    whole = Fingerprints.concat(parts, CONFIG.num_perm)
    saved = SavedFingerprints.open([folder / str(i) for i in range(len(parts))], CONFIG.num_perm)
    assert len(saved) == len(whole)
    np.testing.assert_array_equal(saved.signatures, whole.signatures)
    np.testing.assert_array_equal(saved.set_sizes(), whole.set_sizes())
    # Unsorted rows with repeats, as well as every row in order.
    rows = np.array([p % len(whole) for p in picks] if len(whole) else [], dtype=np.int64)
    _assert_same(saved.take(rows), whole.take(rows))
    _assert_same(saved.take(np.arange(len(whole))), whole.take(np.arange(len(whole))))


def test_candidates_of_a_subset_are_numbered_in_the_subset() -> None:
    prints = fingerprint(_texts(7, 60), CONFIG)
    subset = np.arange(0, 60, 2, dtype=np.int64)
    copied = find_candidate_pairs(prints.signatures[subset], bands=42, rows=3)
    in_place = find_candidate_pairs(prints.signatures, bands=42, rows=3, subset=subset)
    assert in_place.equals(copied)
    assert copied.height > 0
