"""The command line: the Typer app (``app``) and how it draws progress and summaries.

``dedupe.cli.commands`` parses options, builds the config, calls one library function per command
and renders its report; ``dedupe.cli.terminal`` draws progress bars, summaries and tables on
the terminal; ``dedupe.cli.supervise`` is the process entry that turns a native memory abort
into one line. The library never imports this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dedupe.cli.commands import app, translate

__all__ = ["app", "translate"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the supervising parent (dedupe.cli.supervise) never imports Typer or Polars.
    if name in __all__:
        return getattr(importlib.import_module("dedupe.cli.commands"), name)
    raise AttributeError(f"module 'dedupe.cli' has no attribute {name!r}")
