import polars as pl

from dedupe.clean.page import mark_page_lines, page_feature_rule, stop_word_share


def _features(keys: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"_key": keys})
    return frame.with_columns(
        pl.col("_key").str.len_chars().alias("_chars"),
        pl.col("_key").str.count_matches(r"\S+").alias("_words"),
        pl.col("_key").str.ends_with(".").alias("_sentence"),
    )


def _page_lines(keys: list[str], marks: dict[int, str] | None = None) -> pl.DataFrame:
    """A one-document line frame as `mark_page_lines` sees it; `marks` maps line_no to a rule."""
    marks = marks or {}
    return (
        _features(keys)
        .with_columns(stop_word_share().alias("_stop"))
        .with_row_index("line_no", offset=1)
        .with_columns(
            pl.lit("a").alias("doc_id"),
            pl.Series("_mark", [marks.get(i + 1) for i in range(len(keys))], pl.String),
            pl.lit(None, pl.String).alias("_learned"),
        )
        .with_columns(pl.col("_mark").is_null().alias("_alive"))
    )


def test_stop_word_share_counts_function_words() -> None:
    frame = _features(["the cat and the dog", "home news sport", ""])
    shares = frame.select(stop_word_share()).to_series().to_list()
    assert shares == [0.6, 0.0, 0.0]


def test_page_feature_rule_names_menus() -> None:
    frame = _features(["home | news | sport", "he said | she said."])
    rules = frame.select(page_feature_rule(120)).to_series().to_list()
    assert rules == ["page:menu", None]


def test_mark_page_lines_removes_weak_lines_outside_content() -> None:
    body = "this is a long sentence of the article that the reader came for, and it goes on."
    keys = ["home", "news", "sport", "weather", "login", body, body, "contact"]
    marked = mark_page_lines(_page_lines(keys), max_chars=40)
    # Two good lines are too little text for a content run, and a one-word line is no headline.
    expected = ["page:short"] * 5 + [None, None, "page:short"]
    assert marked.get_column("_page").to_list() == expected


BODY = "the match was over before the break, and it was the best of the season for them."
TABLE = ["Scoreboard", "Tamim Iqbal", "13", "Junaid Siddique", "1", "Total", "93"] * 3


def test_mark_page_lines_keeps_a_table_inside_the_body_span() -> None:
    keys = ["home", "news", BODY, *TABLE, BODY, "contact"]
    marked = mark_page_lines(_page_lines(keys), max_chars=40)
    expected = ["page:short"] * 2 + [None] * (len(TABLE) + 2) + ["page:short"]
    assert marked.get_column("_page").to_list() == expected


def test_mark_page_lines_judges_a_gap_holding_another_rule_as_chrome() -> None:
    keys = [BODY, "sport", "weather", "jobs", "advertisement", *TABLE, BODY]
    marked = mark_page_lines(_page_lines(keys, {5: "builtin:advertisement"}), max_chars=40)
    rules = marked.get_column("_page").to_list()
    # The advertisement line keeps its own rule (in ``_mark``), so page mode names it nothing.
    assert [rules[0], rules[4], rules[-1]] == [None, None, None]
    assert set(rules[1:4] + rules[5:-1]) == {"page:short"}


def test_mark_page_lines_keeps_a_table_after_the_last_paragraph() -> None:
    """Results after the article stay; the chrome after a built-in line, or a table's
    trailing non-digit lines, do not."""
    results = ["1. bayliss (ducati) 1'32.2", "2. kagayama (suzuki)", "3. haga (yamaha) 1'32.4"]
    keys = [BODY, *results, "superstore deals", "print this story", "helmets", "9 new deals"]
    marked = mark_page_lines(_page_lines(keys, {6: "builtin:share"}), max_chars=40)
    rules = marked.get_column("_page").to_list()
    assert rules[:4] == [None] * 4
    assert rules[4] == "page:short"  # after the table's last digit line
    assert rules[5] is None  # the built-in rule's own line
    assert rules[6:] == ["page:short", "page:short"]  # past the built-in line: chrome


def test_mark_page_lines_needs_digits_in_a_table() -> None:
    links = ["more news", "latest sport", "weather today", "in pictures 2"]
    marked = mark_page_lines(_page_lines([BODY, *links]), max_chars=40)
    assert marked.get_column("_page").to_list()[1:] == ["page:short"] * 4
