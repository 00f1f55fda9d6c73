"""The run report: parameters, versions, counts per stage and reason, timings. Never prints."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import polars as pl

from dedupe.schema import DROP_REASON, RULE
from dedupe.version import __version__

_DEPENDENCIES = ("polars", "numpy", "rapidfuzz")
SIZE_BUCKETS = ((2, 2), (3, 5), (6, 10), (11, 100), (101, None))


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    """Return the Python, dedupe and dependency versions of this run."""
    found = {name: _version(name) for name in _DEPENDENCIES}
    return {"dedupe": __version__, "python": platform.python_version(), **found}


@dataclass(frozen=True, slots=True)
class StageRecord:
    """One stage's documents alive before and after it, and its wall time."""

    name: str
    alive_in: int
    alive_out: int
    seconds: float


@dataclass(slots=True)
class Report:
    """What a run did: the durable record written to report.json.

    ``details`` holds stage-specific findings (LSH bands and rows, candidate and verified pair
    counts, learned lines) keyed by stage name.
    """

    parameters: dict[str, Any]
    inputs: list[str]
    documents_in: int = 0
    kept: int = 0
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    lines_removed_by_rule: dict[str, int] = field(default_factory=dict)
    cluster_sizes: dict[str, int] = field(default_factory=dict)
    stages: list[StageRecord] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        """Documents not kept, whatever the reason."""
        return sum(self.dropped_by_reason.values())

    @property
    def lines_removed(self) -> int:
        """Lines removed from all documents, whatever the rule."""
        return sum(self.lines_removed_by_rule.values())

    @property
    def seconds(self) -> float:
        """Wall time of all stages."""
        return sum(stage.seconds for stage in self.stages)

    def count_outcome(self, kept: int, dropped: pl.DataFrame, removed_lines: pl.LazyFrame) -> None:
        """Fill the counts from the final tables."""
        self.kept = kept
        self.documents_in = kept + dropped.height
        self.dropped_by_reason = _counts(dropped.lazy(), DROP_REASON)
        self.lines_removed_by_rule = _counts(removed_lines, RULE)

    def count_clusters(self, sizes: pl.Series) -> None:
        """Record a histogram of the sizes of clusters with more than one member."""
        histogram: dict[str, int] = {}
        for low, high in SIZE_BUCKETS:
            label = str(low) if low == high else f"{low}+" if high is None else f"{low}-{high}"
            in_bucket = (sizes >= low) if high is None else sizes.is_between(low, high)
            histogram[label] = int(in_bucket.sum())
        self.cluster_sizes = histogram

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "versions": versions(),
            "parameters": self.parameters,
            "inputs": self.inputs,
            "counts": {
                "documents_in": self.documents_in,
                "kept": self.kept,
                "dropped": self.dropped,
                "dropped_by_reason": self.dropped_by_reason,
                "lines_removed": self.lines_removed,
                "lines_removed_by_rule": self.lines_removed_by_rule,
                "cluster_sizes": self.cluster_sizes,
            },
            "stages": [
                {
                    "name": s.name,
                    "alive_in": s.alive_in,
                    "alive_out": s.alive_out,
                    "seconds": round(s.seconds, 4),
                }
                for s in self.stages
            ],
            "details": self.details,
            "seconds": round(self.seconds, 4),
        }


def _counts(frame: pl.LazyFrame, column: str) -> dict[str, int]:
    counted = frame.group_by(column).len().sort(["len", column], descending=[True, False]).collect()
    return {str(key): int(n) for key, n in counted.iter_rows()}
