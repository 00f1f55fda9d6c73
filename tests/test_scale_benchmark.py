"""Unit tests of the scale benchmark's pure helpers: chunks, RSS parsing, passes and targets.

No corpus is generated and nothing is run: the real data under ../shared/data is not needed.
"""

from __future__ import annotations

from typing import Any

from benchmarks.scale import (
    add_ratios,
    chunk_sizes,
    current_rss_kib,
    evaluate_targets,
    format_table,
    phase_of,
    phase_summary,
)


def run(size: int, seconds: float, peak: float | None = 1.0, code: int = 0) -> dict[str, Any]:
    return {"size": size, "seconds": seconds, "peak_rss_gib": peak, "returncode": code}


def test_chunk_sizes_are_near_equal_and_sum_to_the_size() -> None:
    assert chunk_sizes(100_000, 50_000) == [50_000, 50_000]
    assert chunk_sizes(10, 4) == [4, 3, 3]
    assert chunk_sizes(0, 4) == []


def test_current_rss_kib_reads_vmrss_not_vmhwm() -> None:
    status = "Name:\tpython\nVmHWM:\t  900 kB\nVmRSS:\t  512 kB\n"
    assert current_rss_kib(status) == 512
    assert current_rss_kib("Name:\tzombie\n") is None


def test_phase_of_follows_the_spilled_parts() -> None:
    assert phase_of(None) == "start-up"
    assert phase_of({}) == "pass A"
    assert phase_of({"raw": 2, "lines": 2}) == "pass A"
    assert phase_of({"raw": 2, "removed": 1}) == "pass B"
    assert phase_of({"raw": 2, "clean": 1}) == "pass B"
    assert phase_of({"raw": 2, "clean": 2}) == "decide"
    assert phase_of({"raw": 2, "clean": 2, "corpus": 1}) == "pass C + write"


def test_phase_summary_never_goes_back_and_keeps_the_max_rss() -> None:
    samples = [
        {"t": 0.0, "rss_kib": 2**20, "spills": None},
        {"t": 1.0, "rss_kib": 3 * 2**20, "spills": {"raw": 1}},
        {"t": 2.0, "rss_kib": 2 * 2**20, "spills": {"raw": 1, "clean": 1}},
        # The workspace being removed at the end must not look like start-up again.
        {"t": 3.0, "rss_kib": 2**20, "spills": None},
    ]
    phases = phase_summary(samples)
    assert [p["phase"] for p in phases] == ["start-up", "pass A", "decide"]
    assert phases[1]["max_rss_gib"] == 3.0
    assert phases[1]["seconds"] == 1.0


def test_targets_pass_and_fail() -> None:
    rows = [run(100_000, 100.0), run(1_000_000, 1_000.0, peak=3.6)]
    add_ratios(rows)
    assert rows[1]["ratio"] == 1.0
    assert [t["status"] for t in evaluate_targets(rows)] == ["PASS", "PASS"]
    # 4 GB is 3.73 GiB; 0.8 of the 100,000-document rate is below 0.9.
    rows = [run(100_000, 100.0), run(1_000_000, 1_250.0, peak=3.8)]
    add_ratios(rows)
    assert [t["status"] for t in evaluate_targets(rows)] == ["FAIL", "FAIL"]


def test_a_failed_run_fails_both_targets_and_shows_in_the_table() -> None:
    rows = [run(100_000, 100.0), run(1_000_000, 300.0, peak=7.0, code=-9)]
    add_ratios(rows)
    assert rows[1]["docs_per_second"] is None
    assert [t["status"] for t in evaluate_targets(rows)] == ["FAIL", "FAIL"]
    assert "FAILED (exit -9)" in format_table(rows)
    assert [t["status"] for t in evaluate_targets(rows[:1])] == ["NOT RUN", "NOT RUN"]
