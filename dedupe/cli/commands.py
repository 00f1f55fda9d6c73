"""The Typer command-line interface: parse options, build the config, call the library, render."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import polars as pl
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from dedupe.cli.supervise import tell, telling
from dedupe.cli.terminal import (
    progress_bars,
    render_clusters,
    render_removed_lines,
    render_summary,
    render_thresholds,
    summary_line,
)
from dedupe.config import CleanMode, KeepPolicy, OutputFormat, PipelineConfig
from dedupe.errors import ConfigError, DedupeError
from dedupe.io.write import check_output_file
from dedupe.pipeline import run
from dedupe.report import Report
from dedupe.review.clusters import describe_clusters
from dedupe.review.explain import explain, explanation_text
from dedupe.version import __version__

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Clean and deduplicate scraped news corpora: boilerplate, captions, duplicate articles.",
)
stderr = Console(stderr=True)
stdout = Console()

# Help panels, in the order a user meets the options.
INPUT = "Input"
CLEANING = "Cleaning"
NEAR = "Near duplicates"
CANONICAL = "Canonical copy"
OUTPUT = "Output"
PERFORMANCE = "Performance"
_DEFAULTS = PipelineConfig()


def _section_of(name: str) -> str:
    """The first config section with a field ``name`` (a flag and its field share one name)."""
    return next(
        section.name
        for section in dataclasses.fields(PipelineConfig)
        if name in {f.name for f in dataclasses.fields(getattr(_DEFAULTS, section.name))}
    )


def _default(name: str) -> str:
    """The config default of field ``name`` as --help shows it."""
    value = getattr(getattr(_DEFAULTS, _section_of(name)), name)
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _option(
    name: str,
    help: str,
    panel: str,
    *,
    metavar: str = "",
    default: str | None = None,
    decls: tuple[str, ...] = (),
) -> Any:
    """A config option: flag ``--name-with-dashes``, help rendered as written, default shown."""
    shown = default if default is not None else _default(name)
    # Typer would show a text default in parentheses; the help says it plainly.
    return typer.Option(
        *(decls or (f"--{name.replace('_', '-')}",)),
        help=escape(f"{help} [default: {shown}]" if shown else help),
        show_default=False,
        metavar=metavar,
        rich_help_panel=panel,
    )


# Options shared by several commands, declared once.
Inputs = Annotated[
    list[str],
    typer.Argument(
        help=escape(
            "Folders of .txt/.md/.html articles, .jsonl(.gz), .json, .parquet or .csv files "
            "(or a quoted glob); - is stdin."
        ),
        metavar="INPUT",
        show_default=False,
    ),
]
OutputDir = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="Output folder to create.", metavar="DIR", rich_help_panel=OUTPUT
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=escape("TOML file with [input], [clean], [exact], [near], [keep], [output] tables."),
        metavar="FILE",
        rich_help_panel=INPUT,
    ),
]
IdField = Annotated[
    str | None,
    _option(
        "id_column",
        "Field holding the document id.",
        INPUT,
        metavar="NAME",
        default="doc_id, else id, else FILE:LINE",
    ),
]
TextField = Annotated[
    str | None, _option("text_column", "Field holding the article text.", INPUT, metavar="NAME")
]
HtmlField = Annotated[
    str | None,
    _option(
        "html_column",
        "Field holding HTML pages, read as their text (html extra).",
        INPUT,
        metavar="NAME",
        default="",
    ),
]
Force = Annotated[bool | None, _option("force", "Replace an existing output.", OUTPUT, default="")]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress or table: errors and one summary line.",
        metavar="",
        rich_help_panel=OUTPUT,
    ),
]
BatchSize = Annotated[
    int | None,
    _option("batch_size", "Records per batch (memory follows it).", PERFORMANCE, metavar="N"),
]
Workers = Annotated[
    int | None,
    _option(
        "workers",
        "Batches cleaned and fingerprinted at once, on threads.",
        PERFORMANCE,
        metavar="N",
    ),
]
Against = Annotated[
    Path | None,
    typer.Option(
        help="An earlier --output folder: drop new copies of its documents too.",
        metavar="DIR",
        rich_help_panel=NEAR,
    ),
]
EngineName = Annotated[
    Literal["local", "spark"],
    typer.Option(
        help=escape("local, or spark to run on PySpark (pip install 'dedupe-corpus[spark]')."),
        metavar="local|spark",
        rich_help_panel=PERFORMANCE,
    ),
]
Verbose = Annotated[
    int,
    typer.Option(
        "--verbose",
        "-v",
        count=True,
        help="Log more (-vv: debug).",
        metavar="",
        show_default=False,
        rich_help_panel=OUTPUT,
    ),
]
AsJson = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the report as JSON on stdout.", metavar="", rich_help_panel=OUTPUT
    ),
]
Format = Annotated[
    OutputFormat | None,
    _option(
        "format", "Format of every table of the output folder.", OUTPUT, metavar="parquet|jsonl"
    ),
]
DropPattern = Annotated[
    list[str] | None,
    _option(
        "drop_pattern",
        "Regex: drop matching lines (repeatable).",
        CLEANING,
        metavar="REGEX",
        default="",
    ),
]
KeepPattern = Annotated[
    list[str] | None,
    _option(
        "keep_pattern",
        "Regex: never drop matching lines (repeatable).",
        CLEANING,
        metavar="REGEX",
        default="",
    ),
]
Mode = Annotated[
    CleanMode | None,
    _option(
        "mode", "article, or page for text of whole HTML pages.", CLEANING, metavar="article|page"
    ),
]
SourceColumn = Annotated[
    str | None,
    _option(
        "source_column",
        "Column naming each document's source.",
        CLEANING,
        metavar="NAME",
        default="source, site, ..., else the url host",
    ),
]
Threshold = Annotated[
    float | None,
    _option(
        "threshold",
        "Jaccard similarity of word shingles for a near duplicate.",
        NEAR,
        metavar="FLOAT",
    ),
]
ContainmentThreshold = Annotated[
    float | None,
    _option(
        "containment_threshold",
        "Share of the shorter text inside the longer (trimmed copy).",
        NEAR,
        metavar="FLOAT",
    ),
]
NgramSize = Annotated[int | None, _option("ngram_size", "Words per shingle.", NEAR, metavar="N")]
NumPerm = Annotated[int | None, _option("num_perm", "MinHash permutations.", NEAR, metavar="N")]
Bands = Annotated[
    int | None,
    _option("bands", "LSH bands (with --rows).", NEAR, metavar="N", default="from the thresholds"),
]
Rows = Annotated[
    int | None,
    _option(
        "rows",
        "LSH rows per band (with --bands).",
        NEAR,
        metavar="N",
        default="from the thresholds",
    ),
]
Verify = Annotated[
    bool | None,
    _option(
        "verify",
        "Check candidates on true shingles.",
        NEAR,
        default="verify",
        decls=("--verify/--no-verify",),
    ),
]
Keep = Annotated[
    KeepPolicy | None,
    _option(
        "keep",
        "Which copy of a duplicate to keep.",
        CANONICAL,
        metavar="longest|earliest|first|source-priority",
    ),
]
DateColumn = Annotated[
    str | None,
    _option(
        "date_column",
        "Date column for --keep earliest.",
        CANONICAL,
        metavar="NAME",
        default="published, date, ...",
    ),
]
SourcePriority = Annotated[
    list[str] | None,
    _option(
        "source_priority",
        "Sources or url hosts, best first (repeatable).",
        CANONICAL,
        metavar="NAME",
        default="",
    ),
]
Sample = Annotated[
    int | None,
    _option(
        "sample",
        "Run on a seeded random sample of N documents (quick tries).",
        INPUT,
        metavar="N",
        default="all",
    ),
]
DroppedText = Annotated[
    bool | None,
    _option(
        "dropped_text",
        "Keep dropped documents' cleaned text in the dropped table.",
        OUTPUT,
        decls=("--dropped-text/--no-dropped-text",),
    ),
]

# Library messages name parameters (``text_column=``); the CLI says the flag (``--text-column``).
_NOT_CONFIG_FLAGS = {"against": "--against", "output": "--output"}


def _flag(parameter: str) -> str:
    return _NOT_CONFIG_FLAGS.get(parameter, f"--{parameter.replace('_', '-')}")


def translate(message: str) -> str:
    """Say a library message in flags: ``text_column='body'`` becomes ``--text-column body``.

    Only names of config fields and ``against``/``output`` are translated.
    """
    known = {
        f.name
        for s in dataclasses.fields(PipelineConfig)
        for f in dataclasses.fields(getattr(_DEFAULTS, s.name))
    } | set(_NOT_CONFIG_FLAGS)

    def flag(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name not in known:
            return match.group(0)
        if not value or value == "True":
            return _flag(name)
        shown = shlex.quote(value[1:-1]) if value.startswith("'") else value
        return f"{_flag(name)} {shown}"

    return re.sub(r"\b([a-z][a-z_]*)=('[^']*'|[\w.-]+)?", flag, message)


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=stderr)], force=True
    )


def _settings(ctx: typer.Context, **fixed: dict[str, Any]) -> PipelineConfig:
    """Build the config from --config and the command's flags: flags win over the file.

    A bad value in the file is a data problem (exit 1, naming the file); a bad flag value is a
    usage error (exit 2, naming the flag and the value).
    """
    flags = dict(ctx.params)
    config_file: Path | None = flags.pop("config", None)
    overrides = _overrides(flags)
    for section, values in fixed.items():
        overrides.setdefault(section, {}).update(values)
    try:
        if config_file is not None:
            settings = PipelineConfig.from_toml(config_file, **overrides)
        else:
            settings = PipelineConfig.from_dict(overrides, origin="options")
    except ConfigError:
        base = PipelineConfig.from_toml(config_file) if config_file else _DEFAULTS
        for section, values in overrides.items():
            try:
                dataclasses.replace(getattr(base, section), **values)
            except ConfigError as flag_error:
                raise _usage_error(str(flag_error), section, values) from None
        raise
    tell("batch_size", settings.input.batch_size)
    return settings


def _overrides(flags: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Route each flag to the config sections with a field of the same name; ignore the rest."""
    overrides: dict[str, dict[str, Any]] = {}
    for section in dataclasses.fields(PipelineConfig):
        names = {f.name for f in dataclasses.fields(getattr(_DEFAULTS, section.name))}
        for name, value in flags.items():
            if name in names and value is not None and value not in ([], ()):
                overrides.setdefault(section.name, {})[name] = (
                    tuple(value) if isinstance(value, list) else value
                )
    return overrides


def _usage_error(message: str, section: str, values: dict[str, Any]) -> typer.BadParameter:
    """Say a config section's complaint about flag values as a usage error naming the flags."""
    fields = [f.name for f in dataclasses.fields(getattr(_DEFAULTS, section))]
    named = [name for name in values if re.search(rf"\b{name}\b", message)] or list(values)
    pattern = r"(?<![-\w])(" + "|".join(fields) + r")\b"
    words = re.sub(pattern, lambda m: _flag(m.group(1)), translate(message))
    got = ", ".join(
        repr(values[n]) if len(named) == 1 else f"{_flag(n)} {values[n]!r}" for n in named
    )
    return typer.BadParameter(f"{words} (got {got})", param_hint=" / ".join(map(_flag, named)))


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that the workspace is removed."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Turn a DedupeError into one line on stderr and exit code 1; let bugs show tracebacks.

    SIGTERM is handled like Ctrl-C while the command runs: the library's cleanup runs, one line
    is printed, and the exit code is 128 + the signal's number.
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
    try:
        yield
    except DedupeError as error:
        message = escape(translate(str(error)))
        stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt as error:
        name = "terminated" if isinstance(error, _Terminated) else "interrupted"
        stderr.print(f"{name}; no output was published")
        code = 128 + (signal.SIGTERM if isinstance(error, _Terminated) else signal.SIGINT)
        raise typer.Exit(code=code) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Reported(Protocol):
    @property
    def report(self) -> Report: ...


def _finish(
    result: _Reported,
    *,
    title: str,
    as_json: bool,
    quiet: bool,
    written: list[Path],
    extra: dict[str, Any] | None = None,
) -> None:
    """Print the report: a table on a terminal, else (or with --quiet) one summary line."""
    if as_json:
        data = result.report.to_dict() | (extra or {})
        sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    if quiet or not stderr.is_terminal:
        line = summary_line(result.report, title, written)
        stderr.print(escape(line), highlight=False, soft_wrap=True)
    else:
        render_summary(stderr, result.report, title=title, written=written)


def _version_callback(value: bool) -> None:
    if value:
        stdout.print(f"dedupe {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
            metavar="",
        ),
    ] = False,
) -> None:
    """Clean and deduplicate scraped news corpora."""


@app.command("run")
def run_command(
    ctx: typer.Context,
    inputs: Inputs,
    *,
    config: ConfigFile = None,
    id_column: IdField = None,
    text_column: TextField = None,
    html_column: HtmlField = None,
    drop_pattern: DropPattern = None,
    keep_pattern: KeepPattern = None,
    mode: Mode = None,
    source_column: SourceColumn = None,
    threshold: Threshold = None,
    containment_threshold: ContainmentThreshold = None,
    ngram_size: NgramSize = None,
    num_perm: NumPerm = None,
    bands: Bands = None,
    rows: Rows = None,
    verify: Verify = None,
    against: Against = None,
    keep: Keep = None,
    date_column: DateColumn = None,
    source_priority: SourcePriority = None,
    output: OutputDir,
    format: Format = None,
    force: Force = None,
    sample: Sample = None,
    dropped_text: DroppedText = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    batch_size: BatchSize = None,
    workers: Workers = None,
    engine: EngineName = "local",
) -> None:
    """Clean, deduplicate and write a canonical corpus with its ledger to --output.

    Example: dedupe run samples/news --output out/news
    """
    _configure_logging(verbose, quiet)
    result: _Reported
    with _errors_as_messages():
        settings = _settings(ctx)
        with progress_bars(stderr, enabled=not quiet and stderr.is_terminal) as on_progress:
            if engine == "spark":
                from dedupe.engines.spark import run_spark

                result = run_spark(
                    inputs,
                    settings,
                    output=output,
                    against=against,
                    on_progress=telling(on_progress),
                )
            else:
                result = run(
                    inputs,
                    settings,
                    output=output,
                    against=against,
                    on_progress=telling(on_progress),
                )
    _finish(result, title=f"dedupe run -> {output}", as_json=as_json, quiet=quiet, written=[output])


@app.command("clean")
def clean_command(
    ctx: typer.Context,
    inputs: Inputs,
    *,
    config: ConfigFile = None,
    id_column: IdField = None,
    text_column: TextField = None,
    html_column: HtmlField = None,
    drop_pattern: DropPattern = None,
    keep_pattern: KeepPattern = None,
    mode: Mode = None,
    source_column: SourceColumn = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Output folder to create (not needed with --dry-run).",
            metavar="DIR",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print what would be removed; write nothing.",
            metavar="",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    format: Format = None,
    force: Force = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    batch_size: BatchSize = None,
    workers: Workers = None,
) -> None:
    """Remove boilerplate lines and repeated captions only, without deduplication.

    Example: dedupe clean samples/news --dry-run
    """
    _configure_logging(verbose, quiet)
    if output is None and not dry_run:
        raise typer.BadParameter(
            "give --output DIR, or --dry-run to only look", param_hint="'--output'"
        )
    with _errors_as_messages():
        settings = _settings(ctx, exact={"enabled": False}, near={"enabled": False})
        with progress_bars(stderr, enabled=not quiet and stderr.is_terminal) as on_progress:
            result = run(
                inputs,
                settings,
                output=None if dry_run else output,
                on_progress=telling(on_progress),
            )
    if dry_run and not (as_json and quiet):
        # The dry run's answer: on stdout, unless stdout is the JSON's.
        render_removed_lines(stderr if as_json else stdout, result.removed_lines)
    _finish(
        result,
        title="dedupe clean",
        as_json=as_json,
        quiet=quiet,
        written=[] if output is None or dry_run else [output],
    )


# The table formats `dups --output` writes, by file extension.
CLUSTER_WRITERS: dict[str, Callable[[pl.DataFrame, Path], object]] = {
    ".parquet": pl.DataFrame.write_parquet,
    ".jsonl": pl.DataFrame.write_ndjson,
    ".csv": pl.DataFrame.write_csv,
}


@app.command("dups")
def dups_command(
    ctx: typer.Context,
    inputs: Inputs,
    *,
    config: ConfigFile = None,
    id_column: IdField = None,
    text_column: TextField = None,
    html_column: HtmlField = None,
    source_column: SourceColumn = None,
    threshold: Threshold = None,
    containment_threshold: ContainmentThreshold = None,
    ngram_size: NgramSize = None,
    num_perm: NumPerm = None,
    bands: Bands = None,
    rows: Rows = None,
    verify: Verify = None,
    keep: Keep = None,
    date_column: DateColumn = None,
    source_priority: SourcePriority = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the clusters as a table (.parquet, .jsonl or .csv).",
            metavar="FILE",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(help="Clusters to print (0: all).", metavar="N", rich_help_panel=OUTPUT),
    ] = 20,
    thresholds: Annotated[
        bool,
        typer.Option(
            "--thresholds",
            help="Print the drops other thresholds would give instead of the clusters.",
            metavar="",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    force: Force = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
    batch_size: BatchSize = None,
    workers: Workers = None,
) -> None:
    """Find duplicate clusters and print them, without writing a corpus.

    Example: dedupe dups samples/syndicated.jsonl
    """
    _configure_logging(verbose, quiet)
    with _errors_as_messages():
        settings = _settings(ctx)
        if output is not None:
            check_output_file(output, inputs)
            _check_table_path(output, force=settings.output.force)
        with progress_bars(stderr, enabled=not quiet and stderr.is_terminal) as on_progress:
            result = run(inputs, settings, on_progress=telling(on_progress))
        if output is not None:
            _write_clusters(result.clusters, output)
        documents = pl.concat([result.corpus, result.dropped], how="diagonal_relaxed")
        described = describe_clusters(result.clusters, documents, limit=0 if as_json else limit)
    if thresholds and not as_json:
        render_thresholds(stdout, result.report)
    elif not quiet and not as_json:
        render_clusters(stdout, described, result.clusters.get_column("cluster_id").n_unique())
    _finish(
        result,
        title="dedupe dups",
        as_json=as_json,
        quiet=quiet,
        written=[] if output is None else [output],
        extra={"clusters": described},
    )


def _check_table_path(output: Path, *, force: bool) -> None:
    """Refuse a clusters table of an unknown format, or one that exists, before any work."""
    if output.suffix.lower() not in CLUSTER_WRITERS:
        raise typer.BadParameter(
            f"must end in {', '.join(CLUSTER_WRITERS)}, got '{output}'", param_hint="'--output'"
        )
    if output.exists() and not force:
        raise DedupeError(f"'{output}' exists; pass --force to replace it or choose another")
    if not output.parent.is_dir():
        raise DedupeError(f"cannot write '{output}': folder '{output.parent}' does not exist")


def _write_clusters(clusters: pl.DataFrame, output: Path) -> None:
    try:
        CLUSTER_WRITERS[output.suffix.lower()](clusters, output)
    except OSError as error:
        reason = error.strerror or str(error).split(" (os error")[0]
        raise DedupeError(f"cannot write '{output}': {reason}") from None


@app.command("explain")
def explain_command(
    output: Annotated[
        Path, typer.Argument(help="An output folder of dedupe run.", metavar="OUTPUT")
    ],
    doc_ids: Annotated[
        list[str], typer.Argument(help="Document ids to explain.", metavar="DOC_ID...")
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the explanations as JSON.", metavar="", rich_help_panel=OUTPUT
        ),
    ] = False,
) -> None:
    """Say why documents were kept or dropped, from an output folder alone.

    After dedupe run samples/syndicated.jsonl --output out/syndicated:

    Example: dedupe explain out/syndicated post-harbor-edited
    """
    with _errors_as_messages():
        explanations = explain(output, doc_ids)
    if as_json:
        data = [e.to_dict() for e in explanations]
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    for explanation in explanations:
        stdout.print(explanation_text(explanation), markup=False, highlight=False, soft_wrap=True)
