"""The Typer command-line interface: parse options, build the config, call the library, render."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import polars as pl
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from dedupe import __version__
from dedupe.config import CleanMode, KeepPolicy, OutputFormat, PipelineConfig
from dedupe.errors import DedupeError
from dedupe.pipeline import run
from dedupe.report import Report

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Clean and deduplicate scraped news corpora: boilerplate, captions, duplicate articles.",
)
stderr = Console(stderr=True)
stdout = Console()

# Options shared by several commands, declared once.
Inputs = Annotated[
    list[str],
    typer.Argument(
        help="Folders of .txt/.md articles, .jsonl(.gz), .parquet or .csv files; - is stdin."
    ),
]
OutputDir = Annotated[Path, typer.Option("--output", "-o", help="Output folder to create.")]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="TOML file with [clean], [near], ... sections.")
]
IdField = Annotated[str | None, typer.Option(help="Field holding the document id.")]
TextField = Annotated[str | None, typer.Option(help="Field holding the article text.")]
Force = Annotated[bool | None, typer.Option("--force", help="Replace a non-empty output folder.")]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress or table: errors and one summary line.")
]
BatchSize = Annotated[int | None, typer.Option(help="Records per batch (memory follows it).")]
Workers = Annotated[
    int | None,
    typer.Option(help="Batches cleaned and fingerprinted at once, on threads (default 2)."),
]
Against = Annotated[
    Path | None,
    typer.Option(help="An earlier --output folder: drop new copies of its documents too."),
]
EngineName = Annotated[
    Literal["local", "spark"],
    typer.Option(help="local, or spark to run on PySpark (pip install 'dedupe-corpus[spark]')."),
]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="Log more (-vv: debug).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]
Format = Annotated[OutputFormat | None, typer.Option(help="Corpus file format.")]
DropPattern = Annotated[
    list[str] | None, typer.Option(help="Regex: drop matching lines (repeatable).")
]
KeepPattern = Annotated[
    list[str] | None, typer.Option(help="Regex: never drop matching lines (repeatable).")
]
Mode = Annotated[
    CleanMode | None, typer.Option(help="article, or page for text of whole HTML pages.")
]
SourceColumn = Annotated[str | None, typer.Option(help="Column naming each document's source.")]
Threshold = Annotated[
    float | None, typer.Option(help="Jaccard similarity of word shingles for a near duplicate.")
]
ContainmentThreshold = Annotated[
    float | None, typer.Option(help="Share of the shorter text inside the longer (trimmed copy).")
]
NgramSize = Annotated[int | None, typer.Option(help="Words per shingle.")]
NumPerm = Annotated[int | None, typer.Option(help="MinHash permutations.")]
Bands = Annotated[int | None, typer.Option(help="LSH bands (with --rows).")]
Rows = Annotated[int | None, typer.Option(help="LSH rows per band (with --bands).")]
Verify = Annotated[
    bool | None, typer.Option("--verify/--no-verify", help="Check candidates on true shingles.")
]
Keep = Annotated[KeepPolicy | None, typer.Option(help="Which copy of a duplicate to keep.")]
DateColumn = Annotated[str | None, typer.Option(help="Date column for --keep earliest.")]
SourcePriority = Annotated[
    list[str] | None, typer.Option(help="Sources or url hosts, best first (repeatable).")
]


def _configure_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    )
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=stderr)], force=True
    )


def _settings(ctx: typer.Context) -> PipelineConfig:
    """Build the config from --config and the command's flags: flags win over the file."""
    flags = dict(ctx.params)
    return _build_config(flags.pop("config", None), **flags)


def _build_config(config_file: Path | None, **flags: Any) -> PipelineConfig:
    """Route each flag to the config section with a field of the same name; ignore the rest."""
    sections = {f.name: f.type for f in dataclasses.fields(PipelineConfig)}
    overrides: dict[str, dict[str, Any]] = {}
    for name, value in flags.items():
        if value is None or value == []:
            continue
        owners = [
            section
            for section in sections
            if name in {f.name for f in dataclasses.fields(getattr(PipelineConfig(), section))}
        ]
        for section in owners:
            overrides.setdefault(section, {})[name] = (
                tuple(value) if isinstance(value, list) else value
            )
    if config_file is not None:
        return PipelineConfig.from_toml(config_file, **overrides)
    return PipelineConfig.from_dict(overrides, origin="options")


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Turn a DedupeError into one line on stderr and exit code 1; let bugs show tracebacks."""
    try:
        yield
    except DedupeError as error:
        stderr.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        stderr.print("interrupted; no output was published")
        raise typer.Exit(code=130) from None


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """Yield an on_progress callback drawing Rich bars, or None off a terminal or when quiet."""
    if quiet or not stderr.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:>11}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def _summary_line(report: Report, title: str) -> str:
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in report.dropped_by_reason.items())
    return (
        f"{title}: {report.documents_in:,} documents in, {report.kept:,} kept, "
        f"{report.dropped:,} dropped{f' ({reasons})' if reasons else ''}, "
        f"{report.lines_removed:,} lines removed, {report.seconds:.1f} s"
    )


def _render_summary(report: Report, *, title: str) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("documents in", f"{report.documents_in:,}")
    table.add_row("kept", f"{report.kept:,}")
    for reason, count in report.dropped_by_reason.items():
        table.add_row(f"dropped: {reason}", f"{count:,}")
    table.add_row("lines removed", f"{report.lines_removed:,}")
    for rule, count in list(report.lines_removed_by_rule.items())[:8]:
        table.add_row(f"  {rule}", f"{count:,}")
    table.add_row("seconds", f"{report.seconds:.2f}")
    stderr.print(table)


class _Reported(Protocol):
    @property
    def report(self) -> Report: ...


def _finish(result: _Reported, *, title: str, as_json: bool, quiet: bool) -> None:
    """Print the report: a table on a terminal, else (or with --quiet) one summary line."""
    if as_json:
        sys.stdout.write(json.dumps(result.report.to_dict(), indent=2, default=str) + "\n")
    if quiet or not stderr.is_terminal:
        stderr.print(_summary_line(result.report, title), highlight=False, soft_wrap=True)
    else:
        _render_summary(result.report, title=title)


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
        ),
    ] = False,
) -> None:
    """Clean and deduplicate scraped news corpora."""


@app.command("run")
def run_command(
    ctx: typer.Context,
    inputs: Inputs,
    output: OutputDir,
    config: ConfigFile = None,
    format: Format = None,
    force: Force = None,
    id_column: IdField = None,
    text_column: TextField = None,
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
    keep: Keep = None,
    date_column: DateColumn = None,
    source_priority: SourcePriority = None,
    batch_size: BatchSize = None,
    workers: Workers = None,
    against: Against = None,
    engine: EngineName = "local",
    as_json: AsJson = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Clean, deduplicate and write a canonical corpus with its ledger to --output.

    Example: dedupe run samples/news --output out/news
    """
    _configure_logging(verbose, quiet)
    result: _Reported
    with _errors_as_messages():
        settings = _settings(ctx)
        with _progress(quiet) as on_progress:
            if engine == "spark":
                from dedupe.engines.spark import run_spark

                result = run_spark(
                    inputs, settings, output=output, against=against, on_progress=on_progress
                )
            else:
                result = run(
                    inputs, settings, output=output, against=against, on_progress=on_progress
                )
    _finish(result, title=f"dedupe run -> {output}", as_json=as_json, quiet=quiet)


@app.command("clean")
def clean_command(
    ctx: typer.Context,
    inputs: Inputs,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output folder to create (not needed with --dry-run)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be removed; write nothing.")
    ] = False,
    config: ConfigFile = None,
    format: Format = None,
    force: Force = None,
    id_column: IdField = None,
    text_column: TextField = None,
    drop_pattern: DropPattern = None,
    keep_pattern: KeepPattern = None,
    mode: Mode = None,
    source_column: SourceColumn = None,
    as_json: AsJson = False,
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Remove boilerplate lines and repeated captions only, without deduplication.

    Example: dedupe clean samples/news --dry-run
    """
    _configure_logging(verbose, quiet)
    with _errors_as_messages():
        if output is None and not dry_run:
            raise typer.BadParameter("give --output DIR, or --dry-run to only look")
        settings = _settings(ctx)
        settings = dataclasses.replace(
            settings,
            exact=dataclasses.replace(settings.exact, enabled=False),
            near=dataclasses.replace(settings.near, enabled=False),
        )
        result = run(inputs, settings, output=None if dry_run else output)
    if dry_run:
        _render_removed_lines(result.removed_lines)
    _finish(result, title="dedupe clean", as_json=as_json, quiet=quiet)


def _render_removed_lines(removed: pl.DataFrame, examples: int = 3) -> None:
    if removed.height == 0:
        stdout.print("nothing would be removed")
        return
    grouped = (
        removed.group_by("rule")
        .agg(pl.len().alias("lines"), pl.col("line").unique(maintain_order=True).head(examples))
        .sort(["lines", "rule"], descending=[True, False])
    )
    table = Table(title="lines that would be removed, by rule", title_justify="left")
    table.add_column("rule")
    table.add_column("lines", justify="right")
    table.add_column("examples", overflow="fold")
    for rule, count, lines in grouped.iter_rows():
        shown = " | ".join(repr(line[:60]) for line in lines)
        table.add_row(rule, f"{count:,}", shown)
    stdout.print(table)


@app.command("dups")
def dups_command(
    ctx: typer.Context,
    inputs: Inputs,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the clusters as a table (.parquet, .jsonl or .csv)."
        ),
    ] = None,
    config: ConfigFile = None,
    id_column: IdField = None,
    text_column: TextField = None,
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
    source_column: SourceColumn = None,
    limit: Annotated[int, typer.Option(help="Clusters to print (0: all).")] = 20,
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Find duplicate clusters and print them, without writing a corpus.

    Example: dedupe dups samples/syndicated.jsonl
    """
    _configure_logging(verbose, quiet)
    with _errors_as_messages():
        settings = _settings(ctx)
        result = run(inputs, settings)
        if output is not None:
            _write_clusters(result.clusters, output)
    if not quiet:
        _render_clusters(result.clusters, limit)


def _write_clusters(clusters: pl.DataFrame, output: Path) -> None:
    suffix = output.suffix.lower()
    writers: dict[str, Callable[[Path], object]] = {
        ".parquet": clusters.write_parquet,
        ".jsonl": clusters.write_ndjson,
        ".csv": clusters.write_csv,
    }
    if suffix not in writers:
        raise typer.BadParameter(f"--output must end in {', '.join(writers)}, got '{output}'")
    try:
        writers[suffix](output)
    except OSError as error:
        raise DedupeError(f"cannot write '{output}': {error.strerror}") from None


def _render_clusters(clusters: pl.DataFrame, limit: int) -> None:
    sizes = clusters.group_by("cluster_id", maintain_order=True).len()
    stdout.print(f"{sizes.height:,} clusters with more than one document")
    shown = sizes if limit == 0 else sizes.head(limit)
    for cluster_id, size in shown.iter_rows():
        table = Table(title=f"cluster {cluster_id} ({size} documents)", title_justify="left")
        table.add_column("doc_id")
        table.add_column("role")
        table.add_column("similarity", justify="right")
        members = clusters.filter(pl.col("cluster_id") == cluster_id)
        for doc_id, canonical, reason, similarity in members.select(
            "doc_id", "canonical", "reason", "similarity"
        ).iter_rows():
            role = "canonical" if canonical else reason
            table.add_row(doc_id, role, "" if similarity is None else f"{similarity:.3f}")
        stdout.print(table)
