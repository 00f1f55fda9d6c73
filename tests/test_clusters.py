import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from dedupe.duplicates.clusters import (
    IndexArray,
    assign_canonicals,
    closest_canonicals,
    connected_components,
)


def edges(pairs: list[tuple[int, int]]) -> tuple[IndexArray, IndexArray]:
    array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def test_connected_components_labels_by_smallest_member() -> None:
    left, right = edges([(4, 2), (2, 0), (5, 6)])
    assert connected_components(7, left, right).tolist() == [0, 1, 0, 3, 0, 5, 5]


@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=40))
def test_connected_components_matches_union_find(pairs: list[tuple[int, int]]) -> None:
    parent = list(range(20))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    expected = [find(x) for x in range(20)]
    left, right = edges(pairs)
    labels = connected_components(20, left, right)
    for x in range(20):
        for y in range(20):
            assert (labels[x] == labels[y]) == (expected[x] == expected[y])


def test_assign_canonicals_splits_a_chain_at_the_canonical() -> None:
    # a~b and b~c, but a and c are unlike: with b canonical all join; with a canonical c leaves.
    similar = {frozenset({0, 1}), frozenset({1, 2})}

    def check(
        members: IndexArray, heads: IndexArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        ok = np.array(
            [frozenset({int(m), int(h)}) in similar for m, h in zip(members, heads, strict=True)],
            dtype=bool,
        )
        return ok, np.where(ok, 0.9, 0.1)

    left, right = edges([(0, 1), (1, 2)])
    canonical, similarity = assign_canonicals(3, left, right, np.array([1, 0, 2]), check)
    assert canonical.tolist() == [1, 1, 1]
    canonical, similarity = assign_canonicals(3, left, right, np.array([0, 1, 2]), check)
    assert canonical.tolist() == [0, 0, 2]
    assert np.isnan(similarity[2])


def test_closest_canonicals_moves_a_brief_to_the_original_of_as_many_copies() -> None:
    # 0, an update, ranks best; 1, the original, no longer matches it; 2, a brief, lies inside
    # both, and more of it inside the original: it joins the original (a cluster as large).
    canonical = np.array([0, 1, 0])
    current = (np.array([0.0, 0.0, 0.78]), np.array([0.0, 0.0, 0.23]))
    left, right = edges([(2, 0), (2, 1)])
    pairs = (np.array([0.78, 1.0]), np.array([0.23, 0.49]))
    moved = closest_canonicals(canonical, current, left, right, pairs, np.array([0, 1, 2]))
    assert moved.tolist() == [0, 1, 1]


def test_closest_canonicals_keeps_a_copy_in_the_larger_cluster() -> None:
    # 3 passes against 4 too (a singleton it is closer to), but its own cluster holds more.
    canonical = np.array([0, 0, 0, 0, 4])
    current = (np.array([0.0, 0.9, 0.9, 0.7, 0.0]), np.array([0.0, 0.8, 0.8, 0.3, 0.0]))
    left, right = edges([(1, 0), (2, 0), (3, 0), (3, 4)])
    pairs = (np.array([0.9, 0.9, 0.7, 1.0]), np.array([0.8, 0.8, 0.3, 0.6]))
    moved = closest_canonicals(canonical, current, left, right, pairs, np.arange(5))
    assert moved.tolist() == [0, 0, 0, 0, 4]
