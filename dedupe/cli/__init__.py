"""The command line: the Typer app (``app``) and how it draws progress and summaries.

``dedupe.cli.app`` parses options, builds the config, calls one library function per command
and renders its report; ``dedupe.cli.terminal`` draws progress bars, summaries and tables on
the terminal. The library never imports this package.
"""

from dedupe.cli.app import app, translate

__all__ = ["app", "translate"]
