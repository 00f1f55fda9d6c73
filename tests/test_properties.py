"""Invariants of the whole pipeline on random corpora."""

import random
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe import PipelineResult, run

WORDS = [
    "harbor",
    "flood",
    "barrier",
    "council",
    "apple",
    "frost",
    "library",
    "rail",
    "night",
    "train",
    "market",
    "storm",
    "Loading...",
    "Show More",
    "\u00a0",
    "vote",
    "city",
]

line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
document = st.lists(line, min_size=0, max_size=8).map("\n".join)


@st.composite
def corpora(draw: st.DrawFn) -> pl.DataFrame:
    texts = draw(st.lists(document, min_size=1, max_size=12))
    # Plant copies so duplicates actually occur.
    copies = draw(st.lists(st.sampled_from(texts), max_size=4))
    nulls = draw(st.lists(st.none(), max_size=2))
    all_texts = texts + copies + nulls
    return pl.DataFrame(
        {"id": [f"d{i}" for i in range(len(all_texts))], "text": all_texts},
        schema={"id": pl.String, "text": pl.String},
    )


@settings(deadline=None)
@given(corpora())
def test_every_record_is_kept_or_dropped_exactly_once(corpus: pl.DataFrame) -> None:
    result = run(corpus)
    ids = result.corpus["doc_id"].to_list() + result.dropped["doc_id"].to_list()
    assert sorted(ids) == sorted(corpus["id"].to_list())
    assert result.dropped["reason"].null_count() == 0


@settings(deadline=None)
@given(corpora())
def test_identical_texts_share_a_cluster(corpus: pl.DataFrame) -> None:
    result = run(corpus)
    home = dict(zip(result.corpus["doc_id"], result.corpus["doc_id"], strict=True))
    home |= {
        d: t
        for d, t in zip(result.dropped["doc_id"], result.dropped["duplicate_of"], strict=True)
        if t is not None
    }
    by_text: dict[str, set[str]] = {}
    for doc_id, text in corpus.iter_rows():
        if text is not None and doc_id in home:
            by_text.setdefault(text, set()).add(home[doc_id])
    assert all(len(homes) == 1 for homes in by_text.values())


@settings(deadline=None)
@given(corpora(), st.randoms(use_true_random=False))
def test_shuffling_rows_does_not_change_clusters(corpus: pl.DataFrame, rng: random.Random) -> None:
    order = list(range(corpus.height))
    rng.shuffle(order)
    first, second = run(corpus), run(corpus[order])

    def partition(result: PipelineResult) -> set[frozenset[str]]:
        groups: dict[str, set[str]] = {d: {d} for d in result.corpus["doc_id"]}
        for d, t in zip(result.dropped["doc_id"], result.dropped["duplicate_of"], strict=True):
            groups.setdefault(t or d, {t or d}).add(d)
        return {frozenset(g) for g in groups.values()}

    assert partition(first) == partition(second)


@settings(deadline=None)
@given(corpora())
def test_running_twice_equals_running_once(corpus: pl.DataFrame) -> None:
    once = run(corpus)
    twice = run(once.corpus.select("doc_id", "text"))
    assert twice.dropped.height == 0
    assert twice.removed_lines.height == 0
    assert twice.corpus["text"].to_list() == once.corpus["text"].to_list()


@st.composite
def two_days(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A first scrape, and a second whose records repeat its ids, texts and invalid records."""
    first = draw(corpora())
    rows = first.rows()
    kinds = st.sampled_from(["same", "new-text", "new-id", "invalid", "invalid-id"])
    second = []
    for index, (row, kind) in enumerate(draw(st.lists(st.tuples(st.sampled_from(rows), kinds)))):
        doc_id, text = row
        if kind == "same":
            second.append((doc_id, text))
        elif kind == "new-text":
            second.append((doc_id, draw(document)))
        elif kind == "new-id":
            second.append((f"n{index}", text))
        elif kind == "invalid":
            second.append((f"v{index}", None))
        else:
            second.append((doc_id, None))
    second += [(f"f{i}", text) for i, text in enumerate(draw(st.lists(document, max_size=3)))]
    schema = {"id": pl.String, "text": pl.String}
    return first, pl.DataFrame(second or [("empty", "")], schema=schema, orient="row")


def state_ids(folder: Path) -> list[str]:
    return pl.read_parquet(folder / "state" / "documents-*.parquet")["doc_id"].to_list()


# Four runs an example, with outputs: a fifth of the profile's examples.
@settings(deadline=None, max_examples=max(5, settings().max_examples // 5))
@given(two_days())
def test_run_against_an_earlier_run_keeps_the_ledger_exact(
    days: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    first, second = days
    with tempfile.TemporaryDirectory() as folder:
        monday, tuesday = Path(folder) / "monday", Path(folder) / "tuesday"
        published = run(first, output=monday)
        result = run(second, output=tuesday, against=monday)
        ids = result.corpus["doc_id"].to_list() + result.dropped["doc_id"].to_list()
        assert sorted(ids) == sorted(second["id"].to_list())
        assert result.dropped["reason"].null_count() == 0
        kept = set(published.corpus["doc_id"]) | set(result.corpus["doc_id"])
        assert set(result.dropped["duplicate_of"].drop_nulls()) <= kept
        assert not set(result.corpus["doc_id"]) & set(published.corpus["doc_id"])
        for out in (monday, tuesday):
            assert len(state_ids(out)) == len(set(state_ids(out)))
        assert set(state_ids(tuesday)) == set(state_ids(monday)) | set(result.corpus["doc_id"])
