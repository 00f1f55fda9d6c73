import polars as pl

from dedupe.page import mark_page_lines, page_feature_rule, stop_word_share


def _features(keys: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"_key": keys})
    return frame.with_columns(
        pl.col("_key").str.len_chars().alias("_chars"),
        pl.col("_key").str.count_matches(r"\S+").alias("_words"),
        pl.col("_key").str.ends_with(".").alias("_sentence"),
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
    lines = (
        _features(keys)
        .with_columns(stop_word_share().alias("_stop"))
        .with_row_index("line_no", offset=1)
        .with_columns(
            pl.lit("a").alias("doc_id"),
            pl.lit(value=True).alias("_alive"),
            pl.lit(None, pl.String).alias("_learned"),
        )
    )
    marked = mark_page_lines(lines, max_chars=40)
    # Two good lines are too little text for a content run, and a one-word line is no headline.
    expected = ["page:short"] * 5 + [None, None, "page:short"]
    assert marked.get_column("_page").to_list() == expected
