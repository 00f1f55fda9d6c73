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
