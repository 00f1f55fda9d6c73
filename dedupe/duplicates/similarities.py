"""The record of what verification measured: similarity histograms, near misses, other thresholds.

The near stage scores every plausible candidate pair on its true shingle sets; this keeps a
compact, capped summary of those scores for ``report.json`` and the review page, so a user can
see how close the rejected pairs came and how many documents other thresholds would drop,
without running again. Its size does not grow with the corpus: fixed histograms, a capped list.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.config import NearConfig

I64Array = npt.NDArray[np.int64]

# 50 bins of 0.02 over [0, 1]: fine enough to read a threshold to two decimals.
BINS = 50
# Near misses kept: the rejected pairs closest to a threshold (the page shows their diffs).
NEAR_MISSES = 50
# How far under a threshold a rejected pair still counts as a near miss.
NEAR_MISS_MARGIN = 0.2
JACCARD_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(13))  # 0.30 ... 0.90
CONTAINMENT_GRID = tuple(round(0.4 + 0.05 * i, 2) for i in range(13))  # 0.40 ... 1.00


def _histogram(values: npt.NDArray[np.float64]) -> list[int]:
    counts, _ = np.histogram(values, bins=BINS, range=(0.0, 1.0))
    return [int(n) for n in counts]


def _dropped_at(
    worse: I64Array,
    jaccard: npt.NDArray[np.float64],
    containment: npt.NDArray[np.float64],
    lead_ok: npt.NDArray[np.bool_],
    threshold: float,
    containment_threshold: float,
) -> int:
    """Documents with a better-ranked partner they pass against at these thresholds."""
    passing = (jaccard >= threshold) | ((containment >= containment_threshold) & lead_ok)
    return len(np.unique(worse[passing]))


def similarity_record(
    config: NearConfig,
    jaccard: npt.NDArray[np.float64],
    containment: npt.NDArray[np.float64],
    lead: npt.NDArray[np.float64],
    passed: npt.NDArray[np.bool_],
    *,
    left: I64Array,
    right: I64Array,
    ids: pl.Series,
    ranks: npt.NDArray[np.integer[Any]],
    lead_threshold: float,
) -> dict[str, Any]:
    """Summarize the scored candidate pairs ``(left, right)`` from their measures.

    ``jaccard``, ``containment`` and ``lead`` are what verification measured on each pair
    (``lead`` wherever containment reaches ``min(CONTAINMENT_GRID)``), ``passed`` its answer
    at ``config``'s thresholds; ``ids`` and ``ranks`` are each row's ``doc_id`` and canonical
    rank. Returns the histograms of Jaccard and containment for passed and rejected pairs,
    the near misses (up to ``NEAR_MISSES``), and the ``thresholds`` table: how many documents
    would be near duplicates at other Jaccard and containment thresholds (a document counts
    when it passes against a better-ranked candidate; the cluster guard may keep a few of
    them, so the row at the run's thresholds is given beside the actual count). Pairs LSH
    never proposed, or that the pre-filter dropped, are not here: below the run's thresholds
    the counts are lower bounds.
    """
    lead_values = np.where(containment >= min(CONTAINMENT_GRID), lead, 0.0)
    lead_ok = lead_values >= lead_threshold
    worse = np.where(ranks[left] > ranks[right], left, right).astype(np.int64)

    def dropped(threshold: float, containment_threshold: float) -> int:
        return _dropped_at(worse, jaccard, containment, lead_ok, threshold, containment_threshold)

    rejected = ~passed
    closeness = np.maximum(
        jaccard / config.threshold,
        np.where(lead_ok, containment, 0.0) / config.containment_threshold,
    )
    is_miss = rejected & (
        (jaccard >= config.threshold - NEAR_MISS_MARGIN)
        | (containment >= config.containment_threshold - NEAR_MISS_MARGIN)
    )
    misses = np.flatnonzero(is_miss)
    misses = misses[np.lexsort((misses, -closeness[misses]))][:NEAR_MISSES]
    return {
        "pairs": len(left),
        "bins": BINS,
        "jaccard": {
            "passed": _histogram(jaccard[passed]),
            "rejected": _histogram(jaccard[rejected]),
        },
        "containment": {
            "passed": _histogram(containment[passed]),
            "rejected": _histogram(containment[rejected]),
        },
        "near_misses": [
            {
                "left": ids[int(left[i])],
                "right": ids[int(right[i])],
                "jaccard": round(float(jaccard[i]), 4),
                "containment": round(float(containment[i]), 4),
                "lead": round(float(lead_values[i]), 4),
            }
            for i in misses
        ],
        "thresholds": {
            "current": dropped(config.threshold, config.containment_threshold),
            "jaccard": [
                {"threshold": t, "near_duplicates": dropped(t, config.containment_threshold)}
                for t in sorted({*JACCARD_GRID, config.threshold})
            ],
            "containment": [
                {"threshold": t, "near_duplicates": dropped(config.threshold, t)}
                for t in sorted({*CONTAINMENT_GRID, config.containment_threshold})
                if t <= 1.0
            ],
        },
    }
