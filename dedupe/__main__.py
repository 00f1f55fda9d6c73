"""Make ``python -m dedupe`` run the command-line interface (see `dedupe.cli.supervise`)."""

from dedupe.cli.supervise import main

if __name__ == "__main__":  # pragma: no cover
    main()
