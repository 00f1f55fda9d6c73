"""The corpus-wide decision stages, declared once, in order: rank, exact, near, clusters.

A `Stage` is a name, a function and the config section it takes. Both engines iterate
`DECISIONS` and decide only where and when a stage runs, never what it computes: the local
engine runs each stage once over the whole key table with its fingerprints; the Spark engine
runs them on each complete duplicate component, handing the near stage the candidates it
already found and scored (`ScoredCandidates`) instead of fingerprints alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dedupe.config import ExactConfig, KeepConfig, NearConfig
from dedupe.duplicates.canonical import rank_documents
from dedupe.duplicates.exact import mark_exact_duplicates
from dedupe.duplicates.fingerprints import FingerprintSet
from dedupe.duplicates.near import (
    FingerprintsAndTexts,
    ScoredCandidates,
    mark_near_duplicates,
    mark_scored_near_duplicates,
)
from dedupe.ledger import add_cluster_columns, resolve_chains


@dataclass(frozen=True, slots=True)
class Decision:
    """What one decision stage returns: the table with its columns added, and its details."""

    table: pl.DataFrame
    details: dict[str, Any] = field(default_factory=dict)


# What an engine hands the stages besides the table: its fingerprints (row i for row i), with
# where to read the table's texts, the candidates it already scored, or nothing (near
# duplicates off).
Evidence = FingerprintSet | FingerprintsAndTexts | ScoredCandidates | None
# (key table, the stage's config section, the evidence) -> Decision
DecisionFunction = Callable[[pl.DataFrame, Any, Evidence], Decision]


@dataclass(frozen=True, slots=True)
class Stage:
    """One corpus-wide stage: ``function(table, getattr(config, section), fingerprints)``."""

    name: str
    function: DecisionFunction
    section: str


def rank_stage(table: pl.DataFrame, config: KeepConfig, _: Evidence) -> Decision:
    """Rank every document so that the copy to keep comes first in its duplicate group."""
    return Decision(rank_documents(table, config))


def exact_stage(table: pl.DataFrame, config: ExactConfig, _: Evidence) -> Decision:
    """Drop every document whose normalized text equals a better-ranked one's."""
    return Decision(mark_exact_duplicates(table, config))


def near_stage(table: pl.DataFrame, config: NearConfig, evidence: Evidence) -> Decision:
    """Drop every document that nearly duplicates its cluster's canonical copy."""
    if isinstance(evidence, ScoredCandidates):
        found = mark_scored_near_duplicates(table, config, evidence) if config.enabled else None
        return Decision(table) if found is None else Decision(found.corpus, found.stats)
    if isinstance(evidence, FingerprintsAndTexts):
        found = mark_near_duplicates(
            table, config, fingerprints=evidence.fingerprints, texts=evidence.texts
        )
        return Decision(found.corpus, found.stats)
    found = mark_near_duplicates(table, config, fingerprints=evidence)
    return Decision(found.corpus, found.stats)


def clusters_stage(table: pl.DataFrame, config: KeepConfig, _: Evidence) -> Decision:
    """Point every copy at the kept document and give kept documents their cluster columns."""
    return Decision(add_cluster_columns(resolve_chains(table), config))


# The corpus-wide decisions, in order, over the key table and the fingerprints of pass B. The
# streaming stages before them (read, clean, normalize, fingerprint) are the engine's passes.
DECISIONS: tuple[Stage, ...] = (
    Stage("rank", rank_stage, "keep"),
    Stage("exact", exact_stage, "exact"),
    Stage("near", near_stage, "near"),
    Stage("clusters", clusters_stage, "keep"),
)
