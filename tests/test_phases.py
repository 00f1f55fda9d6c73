import itertools
import json
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dedupe.clean.phases import (
    CleanResult,
    apply_learned,
    clean_corpus,
    count_statistics,
    learn_lines,
    line_features,
    mark_lines,
    merge_learned_reports,
    rewrite_texts,
)
from dedupe.config import CleanConfig
from dedupe.errors import ConfigError
from dedupe.schema import REMOVED_LINES_SCHEMA

PARAGRAPHS = [
    "Russia has offered to host peace talks between Armenia and Azerbaijan this week.",
    "The landlocked nations have been in a dispute over the region for several decades.",
    "Turkey has traditionally backed Azerbaijan, and France is home to many Armenians.",
    "The Minsk Group of the OSCE was set up in 1992 to find a peaceful settlement.",
    "Officials said the talks could begin in Moscow as early as next week, if both agree.",
    "Aid convoys reached the border town on Thursday after two days of heavy shelling.",
]


def _corpus(texts: list[str], **columns: list[str]) -> pl.DataFrame:
    ids = [f"d{index}" for index in range(len(texts))]
    return pl.DataFrame({"doc_id": ids, "text": texts, **columns})


def _seed_corpus(samples_dir: Path) -> pl.DataFrame:
    files = sorted((samples_dir / "news").glob("*.txt"))
    return pl.DataFrame(
        {"doc_id": [f.stem for f in files], "text": [f.read_text("utf-8") for f in files]}
    )


def _labels(samples_dir: Path) -> pl.DataFrame:
    rows = (samples_dir / "news_lines.jsonl").read_text("utf-8").splitlines()
    return pl.DataFrame([json.loads(row) for row in rows]).with_columns(
        pl.col("line_no").cast(pl.Int32)
    )


def test_clean_corpus_removes_every_seed_boilerplate_line_and_keeps_content(
    samples_dir: Path,
) -> None:
    result = clean_corpus(_seed_corpus(samples_dir), CleanConfig())
    judged = _labels(samples_dir).join(result.removed_lines, on=["doc_id", "line_no"], how="left")
    lost = judged.filter((pl.col("label") == "content") & pl.col("rule").is_not_null())
    kept = judged.filter((pl.col("label") == "boilerplate") & pl.col("rule").is_null())
    assert lost.height == 0, lost.rows()
    assert kept.height == 0, kept.rows()
    assert result.removed_lines.height == judged.filter(pl.col("label") == "boilerplate").height


def test_clean_corpus_prints_seed_001_captions_once(samples_dir: Path) -> None:
    corpus = _seed_corpus(samples_dir)
    text = clean_corpus(corpus, CleanConfig()).corpus.item(1, "text")
    assert text.count("A long-running dispute between Armenia and Azerbaijan") == 1
    assert text.count("Russian Foreign Minister Sergei Lavrov has called ministers") == 1
    assert "\u00a0\n" not in text


def test_clean_corpus_keeps_rows_columns_and_order() -> None:
    corpus = _corpus(["Loading...\n" + PARAGRAPHS[0], "Show More"], url=["u1", "u2"])
    result = clean_corpus(corpus, CleanConfig())
    assert result.corpus.columns == corpus.columns
    assert result.corpus.get_column("doc_id").to_list() == ["d0", "d1"]
    assert result.corpus.get_column("text").to_list() == [PARAGRAPHS[0], ""]
    assert "reason" not in result.corpus.columns
    assert dict(result.removed_lines.schema) == REMOVED_LINES_SCHEMA


def test_clean_corpus_logs_whitespace_lines_but_not_empty_lines() -> None:
    corpus = _corpus([f"{PARAGRAPHS[0]}\n\n\u00a0\n \u200b\n{PARAGRAPHS[1]}"])
    removed = clean_corpus(corpus, CleanConfig()).removed_lines
    assert removed.select("line_no", "rule").rows() == [
        (3, "builtin:whitespace_only"),
        (4, "builtin:whitespace_only"),
    ]
    assert removed.get_column("line").to_list() == ["\u00a0", " \u200b"]


def test_clean_corpus_user_drop_pattern_sets_its_rule() -> None:
    corpus = _corpus([f"Subscribe to The Daily Post today\n{PARAGRAPHS[0]}"])
    config = CleanConfig(drop_pattern=(r"^Subscribe to The Daily",))
    removed = clean_corpus(corpus, config).removed_lines
    assert removed.get_column("rule").to_list() == ["user:^Subscribe to The Daily"]


def test_clean_corpus_keep_pattern_beats_every_drop_rule() -> None:
    text = f"Loading...\n{PARAGRAPHS[0]}\n{PARAGRAPHS[0]}\nShow More"
    config = CleanConfig(drop_pattern=("Russia",), keep_pattern=("Russia", "^Loading"))
    result = clean_corpus(_corpus([text]), config)
    assert result.removed_lines.get_column("line").to_list() == ["Show More"]
    assert result.corpus.item(0, "text").count(PARAGRAPHS[0]) == 2


def test_clean_corpus_catastrophic_pattern_finishes_fast() -> None:
    corpus = _corpus(["a" * 50_000 + "!\n" + PARAGRAPHS[0]] * 20)
    start = time.perf_counter()
    result = clean_corpus(corpus, CleanConfig(drop_pattern=(r"(a+)+$",)))
    assert time.perf_counter() - start < 10
    assert result.removed_lines.height == 0


def test_clean_corpus_rejects_pattern_the_regex_engine_lacks() -> None:
    with pytest.raises(ConfigError, match="look-around"):
        clean_corpus(_corpus(["x"]), CleanConfig(drop_pattern=(r"(?<!a)b",)))


def test_clean_corpus_rejects_missing_source_column() -> None:
    with pytest.raises(ConfigError, match="publisher"):
        clean_corpus(_corpus(["x"]), CleanConfig(source_column="publisher"))


def test_clean_corpus_disabled_changes_nothing() -> None:
    corpus = _corpus(["Loading...\nx"])
    result = clean_corpus(corpus, CleanConfig(enabled=False))
    assert result.corpus.equals(corpus)
    assert result.removed_lines.height == 0


def _site_corpus(chrome: str, docs: int, *, middle: str | None = None) -> pl.DataFrame:
    texts = []
    for index in range(docs):
        lead = f"Story {index}: {PARAGRAPHS[index % 6]} " * 2
        body = [lead, middle, PARAGRAPHS[(index + 1) % 6]] if middle else [lead]
        texts.append("\n".join([chrome, *body, "Contact the newsroom desk"]))
    return _corpus(texts, source=["site.example"] * docs)


def test_clean_corpus_learns_frequent_chrome_per_source() -> None:
    result = clean_corpus(_site_corpus("Daily Planet Weekly Digest", 6), CleanConfig())
    assert set(result.removed_lines.get_column("rule").to_list()) == {"learned:source"}
    assert result.removed_lines.height == 12
    learned = result.learned.filter(
        (pl.col("line") == "daily planet weekly digest") & (pl.col("rule") == "learned:source")
    ).row(0, named=True)
    assert learned["rule"] == "learned:source"
    assert learned["scope"] == "site.example"
    assert learned["line"] == "daily planet weekly digest"
    assert learned["documents"] == 6
    assert learned["removed_lines"] == 6


def test_clean_corpus_learns_corpus_wide_without_a_source() -> None:
    corpus = _site_corpus("Daily Planet Weekly Digest", 6).drop("source")
    result = clean_corpus(corpus, CleanConfig())
    assert set(result.removed_lines.get_column("rule").to_list()) == {"learned:corpus"}
    assert result.learned.item(0, "scope") is None


def test_clean_corpus_learned_lines_respect_min_docs_and_share() -> None:
    corpus = _site_corpus("Daily Planet Weekly Digest", 4)
    assert clean_corpus(corpus, CleanConfig()).removed_lines.height == 0
    assert clean_corpus(corpus, CleanConfig(learn_min_docs=4)).removed_lines.height == 8
    strict = CleanConfig(learn_min_docs=2, learn_min_share=1.0)
    padded = pl.concat(
        [
            corpus,
            _corpus([PARAGRAPHS[0] * 2], source=["site.example"]).with_columns(
                pl.lit("d9").alias("doc_id")
            ),
        ]
    )
    assert clean_corpus(padded, strict).removed_lines.height == 0


def test_clean_corpus_learned_lines_respect_max_chars() -> None:
    corpus = _site_corpus("Daily Planet Weekly Digest", 6)
    assert clean_corpus(corpus, CleanConfig(learn_max_chars=10)).removed_lines.height == 0


def test_clean_corpus_keeps_recurring_line_inside_article_text() -> None:
    corpus = _site_corpus("Daily Planet Weekly Digest", 6, middle="What happens next")
    removed = clean_corpus(corpus, CleanConfig()).removed_lines
    assert "What happens next" not in removed.get_column("line").to_list()
    assert removed.height == 12


def test_clean_corpus_keeps_recurring_quote() -> None:
    quote = '"We will not accept this," the minister told reporters.'
    texts = [f"{PARAGRAPHS[i % 6]} Story {i}.\n{quote}" for i in range(6)]
    removed = clean_corpus(_corpus(texts), CleanConfig()).removed_lines
    assert removed.height == 0


def test_clean_corpus_counts_wire_copies_of_one_article_once() -> None:
    article = "Russia offers talks\n" + " ".join(PARAGRAPHS)
    corpus = _corpus([article] * 8, source=["wire.example"] * 8)
    assert clean_corpus(corpus, CleanConfig()).removed_lines.height == 0


def test_clean_corpus_counts_caption_clusters_not_exact_strings() -> None:
    credits = [
        "Fighters fire near the front line in Nagorno-Karabakh on Sunday /AFP",
        "Fighters fire near the front line in Nagorno-Karabakh on Sunday (AFP)",
        "Fighters fire near the front line in Nagorno-Karabakh on Sunday. AFP",
    ]
    texts = [
        f"{PARAGRAPHS[i % 6]} Story {i}. {PARAGRAPHS[(i + 2) % 6]}\n{credits[i % 3]}"
        for i in range(6)
    ]
    result = clean_corpus(_corpus(texts), CleanConfig())
    assert result.removed_lines.height == 6
    assert result.learned.item(0, "variants") == 3
    assert result.learned.item(0, "documents") == 6


def test_clean_corpus_page_mode_removes_navigation_with_page_rules() -> None:
    nav = ["Home", "World | Business | Sport | Culture", "Log in to comment now please"]
    body = "\n".join(PARAGRAPHS)
    corpus = _corpus(["\n".join([*nav, "Russia offers talks", body, "Terms", "Jobs"])])
    result = clean_corpus(corpus, CleanConfig(mode="page"))
    rules = dict(result.removed_lines.select("line", "rule").iter_rows())
    assert rules["World | Business | Sport | Culture"] == "page:menu"
    assert rules["Home"] == "page:short"
    assert rules["Terms"] == "page:short"
    assert "Russia offers talks" in result.corpus.item(0, "text")
    assert all(paragraph in result.corpus.item(0, "text") for paragraph in PARAGRAPHS)


LINES = st.sampled_from(
    [
        *PARAGRAPHS,
        "",
        "\u00a0",
        "Loading...",
        "Most Popular",
        "Daily Planet Weekly Digest",
        "What happens next",
        '"We will not accept this," the minister told reporters.',
        PARAGRAPHS[0] + " /AFP",
        "Home",
        "News | Sport | Weather",
        "Jobs",
    ]
)
CORPORA = st.lists(st.lists(LINES, max_size=12), min_size=1, max_size=10)


# Cleaning runs MinHash over short lines, whose first call is slow: no deadline.
@settings(deadline=None)
@given(CORPORA, st.sampled_from(["article", "page"]), st.booleans())
def test_clean_corpus_is_idempotent(docs: list[list[str]], mode: str, sourced: bool) -> None:
    columns = {"source": ["a" if i % 2 else "b" for i in range(len(docs))]} if sourced else {}
    corpus = _corpus(["\n".join(doc) for doc in docs], **columns)
    config = CleanConfig(mode=mode, learn_min_docs=2)  # type: ignore[arg-type]
    once = clean_corpus(corpus, config)
    twice = clean_corpus(once.corpus, config)
    assert twice.removed_lines.height == 0, twice.removed_lines.rows()
    assert twice.corpus.equals(once.corpus)


def test_clean_corpus_is_idempotent_when_a_learned_caption_opens_the_document() -> None:
    caption = PARAGRAPHS[0] + " /AFP"
    docs = [[caption], [caption, PARAGRAPHS[0], caption, PARAGRAPHS[1]]]
    corpus = _corpus(["\n".join(doc) for doc in docs])
    config = CleanConfig(learn_min_docs=2)
    once = clean_corpus(corpus, config)
    twice = clean_corpus(once.corpus, config)
    assert twice.removed_lines.height == 0, twice.removed_lines.rows()


@settings(deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=6))
def test_clean_corpus_is_idempotent_on_arbitrary_text(texts: list[str]) -> None:
    once = clean_corpus(_corpus(texts), CleanConfig(learn_min_docs=2))
    twice = clean_corpus(once.corpus, CleanConfig(learn_min_docs=2))
    assert twice.removed_lines.height == 0, twice.removed_lines.rows()
    assert twice.corpus.equals(once.corpus)


def _clean_in_batches(corpus: pl.DataFrame, config: CleanConfig, cuts: list[int]) -> CleanResult:
    """Clean as a streaming pipeline does: mark and count per batch, learn once, finish each."""
    bounds = [0, *sorted(set(cuts)), corpus.height]
    batches = [corpus[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    marked = [mark_lines(batch, config) for batch in batches]
    learned = learn_lines(pl.concat([count_statistics(lines, config) for lines in marked]), config)
    results = [
        rewrite_texts(batch, apply_learned(lines, learned, config), learned)
        for batch, lines in zip(batches, marked, strict=True)
    ]
    return CleanResult(
        pl.concat([result.corpus for result in results]),
        pl.concat([result.removed_lines for result in results]),
        merge_learned_reports(result.learned for result in results),
    )


@settings(deadline=None)
@given(
    CORPORA,
    st.lists(st.integers(min_value=0, max_value=10), max_size=4),
    st.sampled_from(["article", "page"]),
    st.booleans(),
)
def test_clean_corpus_in_batches_equals_one_batch(
    docs: list[list[str]], cuts: list[int], mode: str, sourced: bool
) -> None:
    columns = {"source": ["a" if i % 3 else "b" for i in range(len(docs))]} if sourced else {}
    corpus = _corpus(["\n".join(doc) for doc in docs], **columns)
    config = CleanConfig(mode=mode, learn_min_docs=2)  # type: ignore[arg-type]
    whole = clean_corpus(corpus, config)
    batched = _clean_in_batches(corpus, config, [min(cut, corpus.height) for cut in cuts])
    assert_frame_equal(batched.corpus, whole.corpus)
    assert_frame_equal(batched.removed_lines, whole.removed_lines)
    assert_frame_equal(batched.learned, whole.learned)


def test_clean_corpus_in_batches_learns_chrome_split_over_batches() -> None:
    corpus = _site_corpus("Daily Planet Weekly Digest", 6)
    batched = _clean_in_batches(corpus, CleanConfig(), [1, 3, 5])
    assert batched.removed_lines.height == 12
    by_source = batched.learned.filter(pl.col("rule") == "learned:source")
    assert by_source.get_column("removed_lines").to_list() == [6, 6]
    assert_frame_equal(batched.learned, clean_corpus(corpus, CleanConfig()).learned)


def test_mark_lines_frame_holds_no_line_text() -> None:
    lines = mark_lines(_site_corpus("Daily Planet Weekly Digest", 2), CleanConfig())
    assert "line" not in lines.columns
    long_keys = lines.filter(pl.col("_chars") > 120).get_column("_key")
    assert long_keys.null_count() == long_keys.len()


@given(st.lists(st.text(st.sampled_from(" \t\u00a0\u00a8ab.\u2019Z"), max_size=12), max_size=20))
def test_line_features_counts_words_as_the_regex_does(lines: list[str]) -> None:
    frame = pl.DataFrame({"line": lines}, schema={"line": pl.String})
    features = line_features(frame, CleanConfig())
    expected = features.get_column("_key").str.count_matches(r"\S+")
    assert features.get_column("_words").to_list() == expected.to_list()


def _template_corpus(lines: list[str], *, source: str = "site.example") -> pl.DataFrame:
    texts = [
        "\n".join(
            [
                "Loading...",
                line,
                "Advertisement",
                f"Story {index}: {PARAGRAPHS[index % 6]}",
                PARAGRAPHS[(index + 1) % 6],
            ]
        )
        for index, line in enumerate(lines)
    ]
    return _corpus(texts, source=[source] * len(lines))


def test_clean_corpus_learns_templates_of_varying_chrome() -> None:
    lines = [f"Issue {index * 389 + 12}, vol. {index * 17 + 3}" for index in range(6)]
    result = clean_corpus(_template_corpus(lines), CleanConfig())
    removed = result.removed_lines.filter(pl.col("line").str.starts_with("Issue"))
    assert removed.height == 6
    assert set(removed.get_column("rule").to_list()) == {"learned:template"}
    learned = result.learned.filter(
        (pl.col("rule") == "learned:template") & (pl.col("scope") == "site.example")
    ).row(0, named=True)
    assert learned["line"] == "issue #, vol. #"
    assert learned["variants"] == 6
    assert learned["documents"] == 6
    assert learned["removed_lines"] == 6
    assert learned["examples"] == ["issue 1179, vol. 54", "issue 12, vol. 3", "issue 1568, vol. 71"]


def test_clean_corpus_learns_templates_corpus_wide_without_a_source() -> None:
    lines = [f"Issue {index * 389 + 12}, vol. {index * 17 + 3}" for index in range(6)]
    result = clean_corpus(_template_corpus(lines).drop("source"), CleanConfig())
    removed = result.removed_lines.filter(pl.col("line").str.starts_with("Issue"))
    assert set(removed.get_column("rule").to_list()) == {"learned:template"}
    learned = result.learned.filter(pl.col("rule") == "learned:template")
    assert learned.get_column("scope").to_list() == [None]
    assert learned.item(0, "removed_lines") == 6


def test_clean_corpus_template_masks_month_and_day_names() -> None:
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    lines = [f"{day} briefing from the desk" for day in days]
    result = clean_corpus(_template_corpus(lines), CleanConfig())
    learned = result.learned.filter(pl.col("rule") == "learned:template")
    assert "<name> briefing from the desk" in learned.get_column("line").to_list()


def test_clean_corpus_template_respects_min_docs() -> None:
    lines = [f"Ranked {index + 2} of 40 in the league table" for index in range(4)]
    result = clean_corpus(_template_corpus(lines), CleanConfig())
    assert result.removed_lines.filter(pl.col("rule") == "learned:template").height == 0


def test_clean_corpus_template_never_hits_prose() -> None:
    lines = [
        f"The council voted {index + 2} to 3 on the plan for the harbour." for index in range(6)
    ]
    result = clean_corpus(_template_corpus(lines), CleanConfig())
    assert result.removed_lines.filter(pl.col("rule") == "learned:template").height == 0


def test_clean_corpus_template_needs_two_distinct_lines() -> None:
    lines = ["Ranked 2 of 40 in the league table"] * 6
    result = clean_corpus(_template_corpus(lines), CleanConfig())
    removed = result.removed_lines.filter(pl.col("line").str.starts_with("Ranked"))
    assert set(removed.get_column("rule").to_list()) == {"learned:source"}
    assert result.learned.filter(pl.col("rule") == "learned:template").height == 0


def test_clean_corpus_template_keeps_table_rows_next_to_content() -> None:
    texts = [
        "\n".join(
            [
                f"Story {index}: {PARAGRAPHS[index % 6]}",
                f"Revs {index * 37 + 100}.4 mln vs {index * 11 + 90}.1 mln",
                PARAGRAPHS[(index + 1) % 6],
            ]
        )
        for index in range(6)
    ]
    result = clean_corpus(_corpus(texts, source=["site.example"] * 6), CleanConfig())
    assert result.removed_lines.height == 0
    learned = result.learned.filter(pl.col("rule") == "learned:template")
    assert learned.get_column("line").to_list() == ["revs # mln vs # mln"] * 2


def test_clean_corpus_keeps_a_recurring_subheading_of_a_results_table() -> None:
    """ "Nine mths" recurs in every earnings report, between table rows: content, not chrome."""
    texts = [
        "\n".join(
            [
                f"COMPANY {index} 3RD QTR NET",
                f"Shr {index + 20} cts vs {index + 10} cts",
                f"Net {index * 7 + 100} mln vs {index * 3 + 90} mln",
                "Nine mths",
                f"Shr {index + 60} cts vs {index + 40} cts",
                f"Net {index * 9 + 300} mln vs {index * 5 + 200} mln",
                PARAGRAPHS[index % 6],
            ]
        )
        for index in range(6)
    ]
    result = clean_corpus(_corpus(texts, source=["wire.example"] * 6), CleanConfig())
    assert "Nine mths" not in result.removed_lines.get_column("line").to_list()
