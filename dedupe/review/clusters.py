"""Clusters as a reviewer reads them: each member with its title (or first words) and url."""

from __future__ import annotations

from typing import Any

import polars as pl

from dedupe.review.explain import label_of, where_from
from dedupe.schema import CLUSTER_ID, DOC_ID, TEXT


def describe_clusters(
    clusters: pl.DataFrame, documents: pl.DataFrame, *, limit: int = 0
) -> list[dict[str, Any]]:
    """Return the clusters, largest first, each member with ``label`` and ``where``.

    ``clusters`` is a run's clusters table (canonical first in each), ``documents`` any frame
    holding the members' rows (the corpus and the dropped table together); ``limit`` caps the
    clusters returned (0: all). Ties in size keep the clusters' order.
    """
    sizes = clusters.group_by(CLUSTER_ID, maintain_order=True).len()
    sizes = sizes.with_row_index("_order").sort(["len", "_order"], descending=[True, False])
    if limit:
        sizes = sizes.head(limit)
    wanted = clusters.filter(pl.col(CLUSTER_ID).is_in(sizes.get_column(CLUSTER_ID).implode()))
    columns = [c for c in documents.columns if c != TEXT] + (
        [TEXT] if TEXT in documents.columns else []
    )
    rows = {
        row[DOC_ID]: row
        for row in documents.select(columns)
        .filter(pl.col(DOC_ID).is_in(wanted.get_column(DOC_ID).implode()))
        .iter_rows(named=True)
    }
    described = []
    for cluster_id, size in sizes.select(CLUSTER_ID, "len").iter_rows():
        members = []
        for member in wanted.filter(pl.col(CLUSTER_ID) == cluster_id).iter_rows(named=True):
            row = rows.get(member[DOC_ID], {})
            members.append({**member, "label": label_of(row), "where": where_from(row)})
        described.append({"cluster_id": cluster_id, "size": size, "members": members})
    return described
