"""Unit tests of the speed benchmark's pure helpers: shingles, kept documents, rates and tables.

No corpus is generated and no method is timed: the real data under ../shared/data is not needed.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.common import peak_rss_kib
from benchmarks.speed import (
    add_rates,
    format_stages,
    format_table,
    kept_indices,
    summarize,
    word_shingles,
)


def row(method: str, size: int, docs: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {"method": method, "size": size, "docs": docs, "seconds": seconds, **extra}


# --- shingles and kept documents -----------------------------------------------------------


def test_word_shingles_lowercases_and_joins_word_trigrams() -> None:
    assert word_shingles("The Cat  sat\non the mat", 3) == {
        "the cat sat",
        "cat sat on",
        "sat on the",
        "on the mat",
    }


def test_word_shingles_short_text_is_one_shingle_and_empty_is_none() -> None:
    assert word_shingles("Breaking news", 3) == {"breaking news"}
    assert word_shingles("  \n ", 3) == set()


def test_word_shingles_is_a_set() -> None:
    assert word_shingles("a b a b a b", 2) == {"a b", "b a"}


def test_kept_indices_keeps_smallest_of_each_component() -> None:
    # 0-3-5 chain through 3, 1-4, and 2 alone.
    assert kept_indices(6, [(3, 5), (0, 3), (4, 1)]) == [0, 1, 2]


def test_kept_indices_without_pairs_keeps_everything() -> None:
    assert kept_indices(3, []) == [0, 1, 2]
    assert kept_indices(0, []) == []


# --- rates, ratios and tables ---------------------------------------------------------------


def test_summarize_is_the_median() -> None:
    assert summarize([3.0, 1.0, 2.0]) == 2.0


def test_add_rates_divides_by_the_baseline_rate_at_the_same_size() -> None:
    rows = add_rates(
        [
            row("datasketch", 100, 100, 10.0),
            row("fast", 100, 100, 1.0),
            row("datasketch", 1000, 100, 10.0),  # sampled: 100 of 1000 documents
            row("fast", 1000, 1000, 2.0),
        ],
        "datasketch",
    )
    assert [r["docs_per_second"] for r in rows] == [10.0, 100.0, 10.0, 500.0]
    assert [r["ratio"] for r in rows] == [1.0, 10.0, 1.0, 50.0]


def test_add_rates_without_baseline_leaves_ratio_empty() -> None:
    rows = add_rates([row("fast", 10, 10, 2.0), row("broken", 10, 10, 0.0)], "datasketch")
    assert rows[0]["docs_per_second"] == 5.0
    assert rows[1]["docs_per_second"] is None
    assert all(r["ratio"] is None for r in rows)


def test_format_table_extrapolates_a_sampled_row_and_says_so() -> None:
    rows = add_rates(
        [
            row("datasketch", 1000, 100, 10.0, peak_rss_mib=50.0, kept=60, note="1 run"),
            row("fast", 1000, 1000, 2.0, peak_rss_mib=None),
        ],
        "datasketch",
    )
    lines = format_table(rows).splitlines()
    assert lines[0].split()[:4] == ["size", "method", "seconds", "docs/s"]
    sampled, fast = lines[2].split(), lines[3].split()
    # 1000 docs at 10 docs/s: 100 s for the whole size.
    assert sampled[:7] == ["1,000", "datasketch", "100.00", "10", "1.00", "50", "60"]
    assert "sampled 100 docs, seconds extrapolated; 1 run" in lines[2]
    assert fast == ["1,000", "fast", "2.00", "500", "50.00", "-", "-"]


def test_format_stages_adds_the_rest_as_read_and_write() -> None:
    text = format_stages([("clean", 2.0), ("near", 1.0)], 4.0)
    lines = text.splitlines()
    assert lines[1].split() == ["clean", "2.00", "50%"]
    assert lines[3].split() == ["read", "+", "write", "+", "other", "1.00", "25%"]
    assert lines[-1].split() == ["total", "4.00"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("Name:\tpython\nVmPeak:\t 900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n", 123456), ("", None)],
)
def test_peak_rss_kib_reads_vmhwm(status: str, expected: int | None) -> None:
    assert peak_rss_kib(status) == expected
