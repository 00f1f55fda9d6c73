"""Duplicate chains, published ids and the checks that prove the ledger."""

import random
import subprocess
import sys
import textwrap

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dedupe import run
from dedupe.ledger import (
    LedgerError,
    check_unique_ids,
    cluster_rows,
    cluster_table,
    mark_published_ids,
    resolve_chains,
)

SCHEMA = {
    "doc_id": pl.String,
    "reason": pl.String,
    "duplicate_of": pl.String,
    "similarity": pl.Float64,
}


def table(rows: list[tuple[str, str | None, str | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def resolve_guarded(rows: list[tuple[str, str | None, str | None, float | None]]) -> str:
    """Run resolve_chains in a subprocess under 2 GB and 60 s: a loop fails, never eats memory."""
    code = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        import polars as pl
        from dedupe.ledger import LedgerError, resolve_chains
        schema = dict(doc_id=pl.String, reason=pl.String, duplicate_of=pl.String,
                      similarity=pl.Float64)
        frame = pl.DataFrame({rows!r}, schema=schema, orient="row")
        try:
            print(resolve_chains(frame).rows())
        except LedgerError as error:
            print("LedgerError:", error)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_resolve_chains_points_each_copy_at_the_kept_document() -> None:
    chained = resolve_chains(
        table(
            [
                ("a", None, None, None),
                ("b", "near_duplicate", "a", 0.8),
                ("c", "exact_duplicate", "b", 1.0),
                ("d", "near_duplicate", "c", 0.9),
            ]
        )
    )
    expected = table(
        [
            ("a", None, None, None),
            ("b", "near_duplicate", "a", 0.8),
            ("c", "exact_duplicate", "a", 1.0),
            ("d", "near_duplicate", "a", 0.9),
        ]
    )
    # Only duplicate_of moves: similarity stays against the document compared with.
    assert_frame_equal(chained, expected)


def test_resolve_chains_ends_at_a_kept_id_that_a_dropped_row_shares() -> None:
    # A re-scraped document has the id of the published one it duplicates (issue 11.1): the
    # self-join used to square its rows each round until the machine ran out of memory.
    rows = [
        ("a", None, None, None),
        ("a", "exact_duplicate", "a", 1.0),
        ("b", "near_duplicate", "a", 0.7),
    ]
    assert resolve_guarded(rows) == repr(rows)


@pytest.mark.parametrize(
    "rows",
    [
        [("a", "near_duplicate", "a", 0.9)],
        [("a", "near_duplicate", "b", 0.9), ("b", "near_duplicate", "a", 0.9)],
        [
            ("x", None, None, None),
            ("c", "near_duplicate", "a", 0.9),
            ("a", "near_duplicate", "b", 0.9),
            ("b", "near_duplicate", "c", 0.9),
        ],
    ],
    ids=["self", "two", "three"],
)
def test_resolve_chains_reports_a_cycle_instead_of_looping(rows: list[tuple]) -> None:
    assert resolve_guarded(rows).startswith("LedgerError: duplicate_of links form a cycle")


def test_resolve_chains_keeps_long_chains_in_few_rounds() -> None:
    rows = [("d0", None, None, None)] + [
        (f"d{i}", "near_duplicate", f"d{i - 1}", 0.9) for i in range(1, 2000)
    ]
    chained = resolve_chains(table(rows))
    assert set(chained["duplicate_of"].drop_nulls()) == {"d0"}
    assert chained.height == 2000


def published_case() -> tuple[pl.DataFrame, pl.DataFrame]:
    new = pl.DataFrame(
        {
            "doc_id": ["a", "b", "c", "e"],
            "_content_key": [1, 22, 3, 5],
            "reason": [None, None, None, "empty_after_cleaning"],
            "duplicate_of": [None, None, None, None],
            "similarity": [None, None, None, None],
            "detail": [None, None, None, None],
        },
        schema_overrides={"_content_key": pl.UInt64, **SCHEMA, "detail": pl.String},
    )
    published = pl.DataFrame(
        {"doc_id": ["a", "b", "e"], "_content_key": [1, 2, 9]},
        schema_overrides={"_content_key": pl.UInt64},
    )
    return new, published


def test_mark_published_ids_same_text_is_an_exact_duplicate_of_itself() -> None:
    new, published = published_case()
    marked = mark_published_ids(new, published, origin="out/monday")
    row = marked.row(0, named=True)
    assert (row["reason"], row["duplicate_of"], row["similarity"]) == ("exact_duplicate", "a", 1.0)


def test_mark_published_ids_other_text_is_an_invalid_record_naming_the_output() -> None:
    new, published = published_case()
    row = mark_published_ids(new, published, origin="out/monday").row(1, named=True)
    assert row["reason"] == "invalid_record"
    assert row["duplicate_of"] is None
    assert "doc_id 'b' is already published in --against 'out/monday'" in row["detail"]


def test_mark_published_ids_leaves_new_ids_and_earlier_reasons_alone() -> None:
    new, published = published_case()
    marked = mark_published_ids(new, published, origin="m")
    assert marked["reason"].to_list()[2:] == [None, "empty_after_cleaning"]
    assert marked.columns == new.columns


def test_check_unique_ids_refuses_a_repeated_id() -> None:
    check_unique_ids(pl.Series(["a", "b"]), what="state/")
    with pytest.raises(LedgerError, match=r"state/ would hold repeated ids: \['a'\]"):
        check_unique_ids(pl.Series(["a", "b", "a"]), what="state/")


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
            "reason": [None, "near_duplicate", "exact_duplicate"],
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


def test_cluster_rows_of_groups_of_clusters_sort_into_the_cluster_table() -> None:
    # What the Spark engine does: cluster_rows on groups of complete clusters, then one sort.
    table = pl.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d", "e", "f", "g"],
            "reason": [None, "near_duplicate", None, "exact_duplicate", None, None, "empty"],
            "matched": [None, "a", None, "c", None, None, None],
            "measure": [None, "jaccard", None, None, None, None, None],
            "similarity": [None, 0.8, None, None, None, None, None],
            "duplicate_of": [None, "a", None, "c", None, None, None],
            "cluster_size": [2, 2, 3, 3, 1, 1, None],
            "_row": [5, 0, 1, 2, 3, 4, 6],
        }
    ).with_columns(
        pl.when(pl.col("doc_id") == "e")
        .then(pl.lit("c"))
        .otherwise("duplicate_of")
        .alias("duplicate_of"),
        pl.when(pl.col("doc_id") == "e")
        .then(pl.lit("near_duplicate"))
        .otherwise("reason")
        .alias("reason"),
    )
    whole = cluster_table(table)
    assert whole["cluster_id"].to_list() == ["c", "c", "c", "a", "a"]
    assert whole["doc_id"].to_list() == ["c", "d", "e", "a", "b"]
    cluster = pl.coalesce("duplicate_of", "doc_id")
    groups = [table.filter(cluster.is_in(ids)) for ids in (["a"], ["c", "f", "g"])]
    merged = pl.concat([cluster_rows(group) for group in groups]).sort("_order", "_position")
    assert_frame_equal(merged.drop("_order", "_position"), whole)
