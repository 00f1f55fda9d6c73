import io
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from dedupe.cli.terminal import ProgressBars, render_summary, summary_line
from dedupe.report import Report


def test_render_summary_lists_every_rule_or_says_how_many_more() -> None:
    buffer = io.StringIO()
    rules = {f"builtin:rule{i:02d}": 20 - i for i in range(20)}
    report = Report(parameters={}, inputs=[], documents_in=8, kept=6, lines_removed_by_rule=rules)
    report.dropped_by_reason = {"near_duplicate": 2}
    report.cluster_sizes = {"2": 2, "3-5": 0}
    render_summary(Console(file=buffer, width=200), report, title="t", written=[])
    text = buffer.getvalue()
    assert "builtin:rule10" in text
    assert "builtin:rule11" not in text
    assert "and 9 more rules" in text
    assert "75.0%" in text
    assert "25.0%" in text
    assert "clusters of 2 or more" in text


def test_progress_bars_draw_one_bar_per_pass_and_hide_instant_steps() -> None:
    progress = Progress(console=Console(file=io.StringIO()))
    quick = ProgressBars(progress, delay=60.0)
    for event in [("read", 5, None), ("read", 10, None), ("clean", 10, 10), ("rank", 1, 1),
                  ("near", 1, 1), ("clusters", 1, 1), ("write", 8, 8), ("publish", 0, None),
                  ("publish", 1, 1)]:  # fmt: skip
        quick(*event)
    quick.close()
    tasks = {task.description: task for task in progress.tasks}
    assert list(tasks) == [
        "Reading and cleaning lines",
        "Cleaning and hashing",
        "Finding duplicates",
        "Writing the corpus",
        "Writing the output files",
    ]
    assert tasks["Reading and cleaning lines"].completed == 10
    assert all(task.finished for task in tasks.values())
    assert not any(task.visible for task in tasks.values())

    slow = Progress(console=Console(file=io.StringIO()))
    drawer = ProgressBars(slow, delay=0.0)
    drawer("clean", 3, 10)
    time.sleep(0.2)
    drawer.close()
    assert slow.tasks[0].visible


def test_summary_line_has_shares_clusters_and_paths(tmp_path: Path) -> None:
    report = Report(parameters={}, inputs=[], documents_in=4, kept=3)
    report.dropped_by_reason = {"exact_duplicate": 1}
    report.cluster_sizes = {"2": 1}
    line = summary_line(report, "dedupe run -> out", [tmp_path])
    assert line.startswith("dedupe run -> out: 4 documents in, 3 kept (75.0%), 1 dropped")
    assert "1 clusters" in line
    assert f"wrote {tmp_path}" in line
