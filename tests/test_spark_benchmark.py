"""Unit tests of the Spark benchmark's helpers: the process-tree memory and the table.

No corpus is generated and no engine runs: neither Spark nor ../shared/data is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks.common import tree_rss
from benchmarks.spark import format_table, readme_submit_command


def test_tree_rss_counts_the_children() -> None:
    pytest.importorskip("psutil")
    alone = tree_rss(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        with_child = max(tree_rss(os.getpid()) for _ in range(20))
    finally:
        child.kill()
        child.wait()
    assert alone > 0
    assert with_child > alone


def test_tree_rss_of_a_finished_process_is_zero() -> None:
    pytest.importorskip("psutil")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert tree_rss(child.pid) == 0


def test_format_table_rates_and_memory() -> None:
    rows = [
        {"engine": "dedupe (local)", "seconds": 40.0, "peak_rss_mib": 1100.4, "kept": 13314},
        {"engine": "dedupe (spark)", "seconds": 200.0, "peak_rss_mib": 6000.0, "kept": 13314},
    ]
    table = format_table(100_000, rows).splitlines()
    assert table[0].split() == ["engine", "docs", "seconds", "docs/s", "peak", "MiB", "kept"]
    assert table[2].split()[-4:] == ["40.0", "2,500", "1,100", "13,314"]
    assert table[3].split()[-4:] == ["200.0", "500", "6,000", "13,314"]


def test_readme_submit_command_targets_the_given_cluster() -> None:
    command = readme_submit_command("spark://127.0.0.1:41234", ["/data/a b.jsonl"], "/out/x")
    assert command.startswith("spark-submit --master spark://127.0.0.1:41234 ")
    assert "run '/data/a b.jsonl' --engine spark --output '/out/x'" in command
    assert "spark.pyspark.python" in command
