"""What the CLI draws on a terminal: progress bars, the run's summary, dry-run and cluster tables.

Only `dedupe.cli.commands` imports it: the library reports progress through ``on_progress``
callbacks and never imports Rich.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from dedupe.report import Report


class _Count(ProgressColumn):
    def render(self, task: Task) -> Text:
        if not task.fields.get("counted"):
            return Text("")
        total = "" if task.total is None else f"/{task.total:,.0f}"
        return Text(f"{task.completed:,.0f}{total} docs", style="progress.download")


def _rate(task: Task) -> float | None:
    """Return the documents a second since the pass began, or None before the first batch.

    Batches finish in bursts (one per worker), so the rate over the whole pass is steadier than
    Rich's estimate over its last samples.
    """
    seconds = task.finished_time if task.finished else task.elapsed
    if not task.fields.get("counted") or not seconds or not task.completed:
        return None
    return task.completed / seconds


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        rate = _rate(task)
        return Text("" if rate is None else f"{rate:,.0f} docs/s", style="progress.data.speed")


class _Time(ProgressColumn):
    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if task.finished or rate is None or task.total is None:
            seconds = task.finished_time if task.finished else task.elapsed
            return Text(_clock(seconds or 0.0), style="progress.elapsed")
        left = max(task.total - task.completed, 0) / rate
        return Text(f"{_clock(left)} left", style="progress.remaining")


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{second:02d}"


class ProgressBars:
    """Draw the library's on_progress events: one bar per pass, no bar for instant steps.

    A task is shown only once it has run for ``delay`` seconds, so a pass over a small corpus
    draws nothing.
    """

    PASSES: ClassVar[dict[str, str]] = {
        "read": "Reading and cleaning lines",
        "clean": "Cleaning and hashing",
        "write": "Writing the corpus",
    }
    FINDING = "Finding duplicates"
    PUBLISH = "Writing the output files"

    def __init__(self, bars: Progress, delay: float = 0.3) -> None:
        self.bars = bars
        self.delay = delay
        self.tasks: dict[str, TaskID] = {}
        self.timers: list[threading.Timer] = []

    def start(self, key: str, description: str, total: float | None, counted: bool) -> TaskID:
        """Add a task, hidden until it has run for ``delay`` seconds."""
        task = self.bars.add_task(description, total=total, visible=False, counted=counted)
        self.tasks[key] = task
        timer = threading.Timer(self.delay, self._reveal, args=(task,))
        timer.daemon = True
        timer.start()
        self.timers.append(timer)
        return task

    def _reveal(self, task: TaskID) -> None:
        if not self.bars.tasks[task].finished:
            self.bars.update(task, visible=True)

    def finish(self, key: str) -> None:
        """Mark task ``key`` done at the count it reached."""
        if key in self.tasks:
            task = self.bars.tasks[self.tasks[key]]
            self.bars.update(task.id, total=task.completed or 1, completed=task.completed or 1)

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """Draw one ``on_progress`` event (see `dedupe.pipeline.run`)."""
        if stage in self.PASSES:
            for earlier in ("read", self.FINDING) if stage != "read" else ():
                self.finish(earlier)
            task = self.tasks.get(stage)
            if task is None:
                task = self.start(stage, self.PASSES[stage], total, counted=True)
            self.bars.update(task, completed=done, total=total)
            if stage == "clean" and done and total is not None and done >= total:
                self.start(self.FINDING, self.FINDING, None, counted=False)
        elif stage == "clusters" and done:
            self.finish(self.FINDING)
        elif stage == "publish" and not done:
            self.finish("write")
            self.start(self.PUBLISH, self.PUBLISH, None, counted=False)
        elif stage == "publish":
            self.finish(self.PUBLISH)

    def close(self) -> None:
        """Stop the timers of tasks not yet shown."""
        for timer in self.timers:
            timer.cancel()


@contextmanager
def progress_bars(console: Console, *, enabled: bool) -> Iterator[ProgressBars | None]:
    """Yield an on_progress callback drawing bars on ``console``, or None when not ``enabled``."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description:<28}"), BarColumn(), _Count(), _Rate(), _Time())
    with Progress(*columns, console=console) as bars:
        drawer = ProgressBars(bars)
        try:
            yield drawer
        finally:
            drawer.close()


# Rules listed by name in the summary table; the rest are counted in one line.
SUMMARY_RULES = 12


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _clusters(report: Report) -> int:
    return sum(report.cluster_sizes.values())


def _written(paths: list[Path]) -> str:
    shown = []
    for path in paths:
        if path.is_dir():
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())
            shown.append(f"{path}/ ({', '.join(names)})")
        else:
            shown.append(str(path))
    return "; ".join(shown)


def unsupported_files(report: Report) -> str | None:
    """``3 (.pdf 2, .docx 1)``: the files of input folders left unread, or None."""
    counts: dict[str, int] = report.details.get("read", {}).get("unsupported_files", {})
    if not counts:
        return None
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in counts.items())
    return f"{sum(counts.values()):,} ({kinds})"


def summary_line(report: Report, title: str, written: list[Path]) -> str:
    """Return the one-line summary printed off a terminal and with --quiet."""
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in report.dropped_by_reason.items())
    wrote = f", wrote {', '.join(map(str, written))}" if written else ""
    unread = unsupported_files(report)
    return (
        f"{title}: {report.documents_in:,} documents in, {report.kept:,} kept "
        f"({_share(report.kept, report.documents_in)}), {report.dropped:,} dropped"
        f"{f' ({reasons})' if reasons else ''}, {_clusters(report):,} clusters, "
        f"{report.lines_removed:,} lines removed"
        f"{f', files not read {unread}' if unread else ''}{wrote}, {report.seconds:.1f} s"
    )


def render_summary(console: Console, report: Report, *, title: str, written: list[Path]) -> None:
    """Print the summary table: counts with their shares, every rule (or "and N more")."""
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(justify="right", style="dim")
    documents = report.documents_in
    table.add_row("documents in", f"{documents:,}", "")
    table.add_row("kept", f"{report.kept:,}", _share(report.kept, documents))
    for reason, count in report.dropped_by_reason.items():
        table.add_row(f"dropped: {reason}", f"{count:,}", _share(count, documents))
    table.add_row("clusters of 2 or more", f"{_clusters(report):,}", "")
    table.add_row("lines removed", f"{report.lines_removed:,}", "")
    rules = list(report.lines_removed_by_rule.items())
    shown = rules if len(rules) <= SUMMARY_RULES else rules[: SUMMARY_RULES - 1]
    for rule, count in shown:
        table.add_row(f"  {escape(rule)}", f"{count:,}", _share(count, report.lines_removed))
    if len(shown) < len(rules):
        rest = sum(count for _, count in rules[len(shown) :])
        table.add_row(
            f"  and {len(rules) - len(shown)} more rules",
            f"{rest:,}",
            _share(rest, report.lines_removed),
        )
    if (unread := unsupported_files(report)) is not None:
        table.add_row("files not read", unread, "")
    table.add_row("seconds", f"{report.seconds:.2f}", "")
    console.print(table)
    if written:
        console.print(f"wrote {escape(_written(written))}", highlight=False)


def render_removed_lines(console: Console, removed: pl.DataFrame, examples: int = 3) -> None:
    """Print what a dry run would remove: lines per rule, with a few examples each."""
    if removed.height == 0:
        console.print("nothing would be removed")
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
        table.add_row(escape(rule), f"{count:,}", escape(shown))
    console.print(table)


def render_clusters(console: Console, described: list[dict[str, Any]], total: int) -> None:
    """Print described clusters (``dedupe.review.clusters``): each member's role, title, url."""
    console.print(f"showing {len(described):,} of {total:,} clusters, largest first")
    for cluster in described:
        console.print(f"\ncluster {cluster['cluster_id']} ({cluster['size']} documents)")
        for m in cluster["members"]:
            role = "canonical"
            if not m["canonical"]:
                role = f"{m['reason']} of {m['matched']}, {m['measure']} {m['similarity']:.3f}"
            where = f"  <{m['where']}>" if m["where"] else ""
            line = f"  {m['doc_id']}  [{role}]  {m['label'][:70]}{where}"
            console.print(line, markup=False, highlight=False, soft_wrap=True)


def render_thresholds(console: Console, report: Report) -> None:
    """Print how many near duplicates other Jaccard and containment thresholds would give."""
    found = report.details.get("near", {}).get("similarities")
    if not found:
        console.print("no candidate pairs were verified: nothing to tabulate")
        return
    near = report.parameters["near"]
    actual = report.dropped_by_reason.get("near_duplicate", 0)
    console.print(
        f"near duplicates at other thresholds ({found['pairs']:,} verified pairs; "
        f"{actual:,} dropped at this run's, estimated {found['thresholds']['current']:,}; "
        "below this run's thresholds the counts are lower bounds)"
    )
    for measure, current, other in (
        ("jaccard", near["threshold"], f"containment {near['containment_threshold']}"),
        ("containment", near["containment_threshold"], f"jaccard {near['threshold']}"),
    ):
        table = Table(
            title=f"--{'threshold' if measure == 'jaccard' else 'containment-threshold'}"
            f" (with {other})",
            title_justify="left",
        )
        table.add_column(f"{measure} threshold", justify="right")
        table.add_column("near duplicates", justify="right")
        for row in found["thresholds"][measure]:
            mark = " (this run)" if row["threshold"] == current else ""
            table.add_row(f"{row['threshold']:.2f}{mark}", f"{row['near_duplicates']:,}")
        console.print(table)
