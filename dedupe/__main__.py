"""Make ``python -m dedupe`` run the command-line interface."""

from dedupe.cli import app

if __name__ == "__main__":  # pragma: no cover
    app()
