"""Clustering quality metrics over pairs of documents, computed from a contingency table.

A pair of documents is *true* when both carry the same true label and *predicted* when both end
in the same predicted cluster. Pair counts come from the contingency table of (true, predicted)
labels, ``sum C(n_ij, 2)`` and the marginals' ``sum C(a_i, 2)`` / ``sum C(b_j, 2)``, so no O(n^2)
enumeration of pairs is ever made.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import NamedTuple

import polars as pl

Labels = Sequence[Hashable] | pl.Series


class PairScores(NamedTuple):
    """Precision, recall and F1 over pairs of documents placed in one cluster."""

    precision: float
    recall: float
    f1: float


class PairCounts(NamedTuple):
    """Numbers of pairs: sharing a true label, a predicted cluster, and both."""

    true_pairs: int
    predicted_pairs: int
    agreeing_pairs: int
    n_docs: int


def _pairs(count: pl.Expr) -> pl.Expr:
    return (count * (count - 1) // 2).cast(pl.Int64)


def _contingency(true_labels: Labels, predicted_labels: Labels) -> pl.DataFrame:
    true_series = pl.Series(
        "true", list(true_labels) if not isinstance(true_labels, pl.Series) else true_labels
    )
    predicted_series = pl.Series(
        "predicted",
        list(predicted_labels) if not isinstance(predicted_labels, pl.Series) else predicted_labels,
    )
    if true_series.len() != predicted_series.len():
        raise ValueError(
            f"true and predicted labels differ in length ({true_series.len()} vs "
            f"{predicted_series.len()}); give one label of each per document"
        )
    # Strings make mixed label types (ints in one, strings in the other) comparable per side.
    frame = pl.DataFrame(
        [
            true_series.cast(pl.String).alias("true"),
            predicted_series.cast(pl.String).alias("predicted"),
        ]
    )
    if frame.select(pl.all().null_count().sum()).row(0) != (0, 0):
        raise ValueError("labels contain nulls; give every document a label")
    return frame.group_by("true", "predicted").len("n")


def pair_counts(true_labels: Labels, predicted_labels: Labels) -> PairCounts:
    """Count true, predicted and agreeing pairs from the contingency table.

    Raises:
        ValueError: the label sequences differ in length or contain nulls.
    """
    table = _contingency(true_labels, predicted_labels)
    n = pl.col("n")
    sums = table.select(
        agreeing=_pairs(n).sum(),
        n_docs=n.sum().cast(pl.Int64),
    ).row(0, named=True)
    true_pairs = table.group_by("true").agg(n.sum()).select(_pairs(n).sum()).item()
    predicted_pairs = table.group_by("predicted").agg(n.sum()).select(_pairs(n).sum()).item()
    return PairCounts(
        true_pairs=int(true_pairs or 0),
        predicted_pairs=int(predicted_pairs or 0),
        agreeing_pairs=int(sums["agreeing"] or 0),
        n_docs=int(sums["n_docs"] or 0),
    )


def pair_scores(true_labels: Labels, predicted_labels: Labels) -> PairScores:
    """Return pair precision, recall and F1 of a predicted clustering against true labels.

    With no predicted pairs precision is 1 (nothing was wrongly merged); with no true pairs
    recall is 1 (nothing was missed).

    Example:
        >>> pair_scores(["a", "a", "b"], [1, 1, 2])
        PairScores(precision=1.0, recall=1.0, f1=1.0)
    """
    counts = pair_counts(true_labels, predicted_labels)
    precision = counts.agreeing_pairs / counts.predicted_pairs if counts.predicted_pairs else 1.0
    recall = counts.agreeing_pairs / counts.true_pairs if counts.true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1)


def adjusted_rand_index(true_labels: Labels, predicted_labels: Labels) -> float:
    """Return the adjusted Rand index (Hubert and Arabie 1985) of two labellings.

    Two labellings that are both all-singletons or both one cluster score 1, as in scikit-learn.

    Example:
        >>> adjusted_rand_index(["a", "a", "b", "b"], [0, 0, 1, 1])
        1.0
    """
    counts = pair_counts(true_labels, predicted_labels)
    total = counts.n_docs * (counts.n_docs - 1) // 2
    if total == 0:
        return 1.0
    expected = counts.true_pairs * counts.predicted_pairs / total
    maximum = (counts.true_pairs + counts.predicted_pairs) / 2
    if maximum == expected:
        return 1.0
    return (counts.agreeing_pairs - expected) / (maximum - expected)


def predicted_clusters_from_result(corpus: pl.DataFrame, dropped: pl.DataFrame) -> pl.DataFrame:
    """Give every input document the cluster the pipeline put it in.

    A kept document is in its ``cluster_id`` (or its own ``doc_id`` without that column); a
    dropped duplicate is in the cluster of the document named by ``duplicate_of``, followed
    through chains of dropped documents; a document dropped without ``duplicate_of`` (invalid,
    empty after cleaning) is a singleton.

    Returns:
        Columns ``doc_id`` and ``predicted_cluster`` (strings), kept documents first.
    """
    if "cluster_id" in corpus.columns:
        kept = corpus.select(
            pl.col("doc_id").cast(pl.String),
            ("kept:" + pl.col("cluster_id").cast(pl.String)).alias("predicted_cluster"),
        )
    else:
        kept = corpus.select(
            pl.col("doc_id").cast(pl.String),
            ("kept:" + pl.col("doc_id").cast(pl.String)).alias("predicted_cluster"),
        )
    cluster_of = dict(kept.iter_rows())
    parent_of = {
        str(doc_id): (str(parent) if parent is not None else None)
        for doc_id, parent in dropped.select("doc_id", "duplicate_of").iter_rows()
    }
    resolved: dict[str, str] = {}
    for doc_id in parent_of:
        chain = [doc_id]
        cluster = None
        while cluster is None:
            parent = parent_of.get(chain[-1])
            if parent is None:
                cluster = f"dropped:{chain[-1]}"
            elif parent in cluster_of:
                cluster = cluster_of[parent]
            elif parent in resolved:
                cluster = resolved[parent]
            elif parent in chain or parent not in parent_of:
                # A cycle or an id outside the output: keep the group together, named by it.
                cluster = f"dropped:{parent}"
            else:
                chain.append(parent)
        for member in chain:
            resolved[member] = cluster
    dropped_clusters = pl.DataFrame(
        {"doc_id": list(resolved), "predicted_cluster": list(resolved.values())},
        schema={"doc_id": pl.String, "predicted_cluster": pl.String},
    )
    return pl.concat([kept, dropped_clusters])
