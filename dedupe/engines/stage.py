"""What a corpus-wide decision stage is: a name, a function and the config section it takes.

``dedupe.pipeline`` declares the stages once, in order, as a tuple of `Stage`; each engine
iterates that tuple and decides only where and when a stage runs, never what it computes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dedupe.duplicates.fingerprints import FingerprintSet


@dataclass(frozen=True, slots=True)
class Decision:
    """What one decision stage returns: the table with its columns added, and its details."""

    table: pl.DataFrame
    details: dict[str, Any] = field(default_factory=dict)


# (key table, the stage's config section, the table's fingerprints or None) -> Decision
DecisionFunction = Callable[[pl.DataFrame, Any, FingerprintSet | None], Decision]


@dataclass(frozen=True, slots=True)
class Stage:
    """One corpus-wide stage: ``function(table, getattr(config, section), fingerprints)``."""

    name: str
    function: DecisionFunction
    section: str
