"""Clusters: connected components over verified pairs, split so each member matches its canonical.

Transitive closure alone chains documents that are not alike (A~B and B~C put A with C even
when A and C share little); text-dedup and Marin both lost real documents that way. The rule
here: a cluster's members must each pass verification against the cluster's canonical copy
(its best-ranked member). Members that fail are taken out and grouped again among
themselves (per component), until every member passes. Everything is vectorized over NumPy
edge arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

IndexArray = npt.NDArray[np.int64]
# Given member and canonical row indices, say which pairs pass and with what similarity.
PairCheck = Callable[
    [IndexArray, IndexArray], tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]
]


def connected_components(n_nodes: int, left: IndexArray, right: IndexArray) -> IndexArray:
    """Label each node with the smallest node index of its connected component.

    Min-label propagation with pointer jumping: each round takes the smaller label across
    every edge, then follows label chains to their root, so rounds grow with the log of the
    component diameter rather than the diameter.

    Example:
        >>> import numpy as np
        >>> connected_components(5, np.array([0, 3]), np.array([1, 4])).tolist()
        [0, 0, 2, 3, 3]
    """
    labels = np.arange(n_nodes, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        smaller = np.minimum(labels[left], labels[right])
        updated = labels.copy()
        np.minimum.at(updated, left, smaller)
        np.minimum.at(updated, right, smaller)
        while True:
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def _regroup(failed: IndexArray, labels: IndexArray) -> tuple[IndexArray, IndexArray]:
    """Edges joining each component's failed members into one group again (a star, by label)."""
    order = np.lexsort((failed, labels))
    failed, labels = failed[order], labels[order]
    first = np.ones(len(failed), dtype=bool)
    first[1:] = labels[1:] != labels[:-1]
    group_first = failed[np.maximum.accumulate(np.where(first, np.arange(len(failed)), 0))]
    others = ~first
    return group_first[others], failed[others]


def assign_canonicals(
    n_nodes: int,
    left: IndexArray,
    right: IndexArray,
    ranks: npt.NDArray[np.integer],
    check: PairCheck,
) -> tuple[IndexArray, npt.NDArray[np.float64]]:
    """Return each node's canonical node (itself if kept) and its similarity to it.

    ``ranks`` orders the nodes (lowest is kept); they must be distinct so the result does not
    depend on row order. ``check`` verifies (member, canonical) pairs.

    Each round checks every member of a component against its canonical, once: the members
    that pass join it; those that fail form one group per component for the next round, with
    the best-ranked of them as its canonical, until no group is left. A component of ``k``
    copies costs ``k - 1`` checks when its copies all match the canonical, whatever edges
    joined them.
    """
    canonical = np.arange(n_nodes, dtype=np.int64)
    similarity = np.full(n_nodes, np.nan, dtype=np.float64)
    rounds = 0
    while len(left):
        rounds += 1
        labels = connected_components(n_nodes, left, right)
        nodes = np.unique(np.concatenate([left, right]))
        order = np.lexsort((ranks[nodes], labels[nodes]))
        sorted_nodes = nodes[order]
        sorted_labels = labels[sorted_nodes]
        is_head = np.ones(len(sorted_nodes), dtype=bool)
        is_head[1:] = sorted_labels[1:] != sorted_labels[:-1]
        head_of_label = np.empty(n_nodes, dtype=np.int64)
        head_of_label[sorted_labels[is_head]] = sorted_nodes[is_head]
        heads = head_of_label[labels[nodes]]
        members = nodes[heads != nodes]
        member_heads = heads[heads != nodes]
        passed, scores = check(members, member_heads)
        canonical[members[passed]] = member_heads[passed]
        similarity[members[passed]] = scores[passed]
        left, right = _regroup(members[~passed], labels[members[~passed]])
    logger.debug("assigned canonicals in %d rounds", rounds)
    return canonical, similarity


Closeness = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def closest_canonicals(
    canonical: IndexArray,
    closeness: Closeness,
    left: IndexArray,
    right: IndexArray,
    pair_closeness: Closeness,
    ranks: npt.NDArray[np.integer],
) -> IndexArray:
    """Move each copy to the largest cluster whose canonical it passes against.

    ``canonical`` is `assign_canonicals`' answer and ``closeness`` the (containment, Jaccard)
    of each copy and its canonical; ``left``/``right`` are passing pairs, ``pair_closeness``
    theirs. The guard keeps a cluster's members passing against its canonical, which it picks
    by rank alone, so a copy that passes against the canonicals of two clusters (a brief that
    lies inside both the original story and an update the original no longer matches) stays
    in the better-ranked one, however few copies it holds. A copy joins instead the kept
    document of a pair it passed whose cluster holds more documents than its own (without
    it), or as many and is closer (by containment: how much of the shorter lies in the
    longer, then Jaccard): the largest such, then the closest, then the best-ranked. Only
    copies move, so every member still passes against its canonical.
    """
    sizes = np.bincount(canonical, minlength=len(canonical))
    member = np.concatenate([left, right])
    other = np.concatenate([right, left])
    contained = np.concatenate([pair_closeness[0], pair_closeness[0]])
    jaccard = np.concatenate([pair_closeness[1], pair_closeness[1]])
    own = sizes[canonical[member]] - 1
    current_contained, current_jaccard = closeness[0][member], closeness[1][member]
    closer = (contained > current_contained) | (
        (contained == current_contained) & (jaccard > current_jaccard)
    )
    is_move = (
        (canonical[member] != member)
        & (canonical[other] == other)
        & (canonical[member] != other)
        & ((sizes[other] > own) | ((sizes[other] == own) & closer))
    )
    member, other = member[is_move], other[is_move]
    contained, jaccard = contained[is_move], jaccard[is_move]
    if len(member) == 0:
        return canonical
    order = np.lexsort((ranks[other], -jaccard, -contained, -sizes[other], member))
    member, other = member[order], other[order]
    first = np.ones(len(member), dtype=bool)
    first[1:] = member[1:] != member[:-1]
    moved = canonical.copy()
    moved[member[first]] = other[first]
    logger.debug("moved %d copies to a larger cluster", int(first.sum()))
    return moved
