"""The ledger names what each dropped document was compared with, and the final canonical."""

import random

import polars as pl
import pytest

from dedupe import run
from dedupe.ledger import resolve_chains


def words(seed: int, n: int) -> str:
    rng = random.Random(seed)
    vocabulary = [f"w{seed}x{i}" for i in range(400)]
    return " ".join(rng.choice(vocabulary) for _ in range(n))


@pytest.fixture
def twins() -> pl.DataFrame:
    """``long`` is kept, ``short`` its near copy, ``short-twin`` an exact copy of ``short``."""
    base = words(1, 200)
    return pl.DataFrame(
        {
            "doc_id": ["long", "short", "short-twin", "other", "trimmed-of-other"],
            "title": ["Long", "Short", "Short twin", "Other", "Trimmed"],
            "text": [
                base + " " + words(2, 30),
                base,
                base,
                words(3, 400),
                " ".join(words(3, 400).split()[:180]),
            ],
        }
    )


def test_resolve_chains_moves_only_duplicate_of() -> None:
    table = pl.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "duplicate_of": [None, "a", "b"],
            "matched": [None, "a", "b"],
            "similarity": [None, 0.8, 1.0],
        }
    )
    resolved = resolve_chains(table)
    assert resolved["duplicate_of"].to_list() == [None, "a", "a"]
    assert resolved["matched"].to_list() == [None, "a", "b"]
    assert resolved["similarity"].to_list() == [None, 0.8, 1.0]


def test_exact_twin_of_a_near_duplicate_names_its_twin_as_matched(twins: pl.DataFrame) -> None:
    dropped = run(twins).dropped
    row = dropped.filter(pl.col("doc_id") == "short-twin").row(0, named=True)
    assert row["reason"] == "exact_duplicate"
    assert row["matched"] == "short"
    assert row["measure"] == "exact"
    assert row["similarity"] == 1.0
    assert row["duplicate_of"] == "long"
    near = dropped.filter(pl.col("doc_id") == "short").row(0, named=True)
    assert (near["matched"], near["duplicate_of"], near["measure"]) == ("long", "long", "jaccard")
    assert 0.5 <= near["similarity"] < 1.0


def test_trimmed_copy_is_matched_by_containment(twins: pl.DataFrame) -> None:
    dropped = run(twins).dropped
    row = dropped.filter(pl.col("doc_id") == "trimmed-of-other").row(0, named=True)
    assert row["reason"] == "near_duplicate"
    assert row["measure"] == "containment"
    assert row["matched"] == "other"
    assert row["similarity"] >= 0.6


def test_dropped_carries_pass_through_columns_and_text(twins: pl.DataFrame) -> None:
    dropped = run(twins).dropped
    assert dropped.columns[:7] == [
        "doc_id",
        "reason",
        "duplicate_of",
        "matched",
        "measure",
        "similarity",
        "detail",
    ]
    row = dropped.filter(pl.col("doc_id") == "short").row(0, named=True)
    assert row["title"] == "Short"
    assert row["text"] == twins["text"][1]


def test_dropped_text_false_leaves_the_text_out(twins: pl.DataFrame) -> None:
    from dedupe import PipelineConfig
    from dedupe.config import OutputConfig

    config = PipelineConfig(output=OutputConfig(dropped_text=False))
    dropped = run(twins, config).dropped
    assert "text" not in dropped.columns
    assert "title" in dropped.columns
