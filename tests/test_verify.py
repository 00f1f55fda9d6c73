import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe.duplicates import verify
from dedupe.duplicates.verify import score_pairs

sets_strategy = st.lists(st.frozensets(st.integers(0, 40), max_size=25), min_size=2, max_size=10)


def _layout(sets: list[frozenset[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in sets])
    hashes = np.concatenate([np.sort(np.fromiter(s, np.int64, len(s))) for s in sets])
    return offsets, hashes.astype(np.uint32)


@settings(deadline=None)
@given(sets=sets_strategy, data=st.data(), chunk=st.sampled_from([1, 10, 1 << 22]))
def test_score_pairs_matches_python_sets(
    sets: list[frozenset[int]], data: st.DataObject, chunk: int
) -> None:
    index = st.integers(0, len(sets) - 1)
    raw = data.draw(st.lists(st.tuples(index, index), max_size=20))
    pairs = pl.DataFrame(
        {"left": [a for a, _ in raw], "right": [b for _, b in raw]},
        schema={"left": pl.UInt32, "right": pl.UInt32},
    )
    offsets, hashes = _layout(sets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(verify, "CHUNK_SHINGLES", chunk)
        scored = score_pairs(pairs, offsets, hashes)
    for (left, right), jaccard, containment in zip(
        raw, scored["jaccard"], scored["containment"], strict=True
    ):
        a, b = sets[left], sets[right]
        common = len(a & b)
        assert jaccard == pytest.approx(common / len(a | b) if a and b else 0.0)
        smaller = min(len(a), len(b))
        assert containment == pytest.approx(common / smaller if smaller else 0.0)


@given(sets=sets_strategy, data=st.data())
def test_intersections_kernel_equals_the_numpy_reference(
    sets: list[frozenset[int]], data: st.DataObject
) -> None:
    index = st.integers(0, len(sets) - 1)
    raw = data.draw(st.lists(st.tuples(index, index), max_size=20))
    left = np.array([a for a, _ in raw], dtype=np.int64)
    right = np.array([b for _, b in raw], dtype=np.int64)
    offsets, hashes = _layout(sets)
    np.testing.assert_array_equal(
        verify.intersections(left, right, offsets, hashes),
        verify.numpy_intersections(left, right, offsets, hashes),
    )


def test_score_pairs_keeps_rows_and_types() -> None:
    offsets, hashes = _layout([frozenset({1, 2, 3}), frozenset({2, 3}), frozenset()])
    pairs = pl.DataFrame(
        {"left": [0, 1], "right": [1, 2]}, schema={"left": pl.UInt32, "right": pl.UInt32}
    )
    scored = score_pairs(pairs, offsets, hashes)
    assert scored.schema["jaccard"] == pl.Float64
    assert scored["jaccard"].to_list() == pytest.approx([2 / 3, 0.0])
    assert scored["containment"].to_list() == pytest.approx([1.0, 0.0])
