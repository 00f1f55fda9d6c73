import polars as pl
import pytest

from dedupe.clean.page import (
    mark_page_lines,
    page_feature_rule,
    stop_word_hits,
    with_prompt_levels,
    with_stop_share,
)


def _features(keys: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame({"_key": keys})
    return frame.with_columns(
        pl.col("_key").str.len_chars().alias("_chars"),
        pl.col("_key").str.count_matches(r"\S+").alias("_words"),
        pl.col("_key").str.ends_with(".").alias("_sentence"),
    )


def _stop_shares(keys: list[str], doc_ids: list[str] | None = None) -> list[float]:
    frame = _features(keys).with_columns(pl.Series("doc_id", doc_ids or ["a"] * len(keys)))
    return with_stop_share(stop_word_hits(frame)).get_column("_stop").to_list()


def _page_lines(keys: list[str], marks: dict[int, str] | None = None) -> pl.DataFrame:
    """A one-document line frame as `mark_page_lines` sees it; `marks` maps line_no to a rule."""
    marks = marks or {}
    frame = _features(keys).with_columns(pl.lit("a").alias("doc_id"))
    return (
        with_stop_share(stop_word_hits(frame))
        .with_row_index("line_no", offset=1)
        .with_columns(
            pl.Series("_mark", [marks.get(i + 1) for i in range(len(keys))], pl.String),
            pl.lit(None, pl.String).alias("_learned"),
        )
        .with_columns(pl.col("_mark").is_null().alias("_alive"))
        .pipe(with_prompt_levels, max_chars=40)
        .sort("line_no")
    )


def test_stop_word_share_counts_function_words() -> None:
    shares = _stop_shares(["the cat and the dog", "cat dog bird", ""])
    assert shares == [0.6, 0.0, 0.0]


@pytest.mark.parametrize(
    ("line", "share"),
    [
        ("der Hund und die Katze", 0.6),
        ("le chien et le chat", 0.6),
        ("el perro y el gato", 0.6),
        ("il cane e il gatto", 0.6),
        ("o cão e o gato", 0.6),
        ("de hond en de kat", 0.6),
        ("pies i kot oraz on", 0.6),
        ("собака и кошка и он", 0.6),
    ],
    ids=["de", "fr", "es", "it", "pt", "nl", "pl", "ru"],
)
def test_stop_word_share_uses_the_documents_language(line: str, share: float) -> None:
    assert _stop_shares([line]) == [share]


def test_stop_word_share_guesses_the_language_per_document() -> None:
    # "die" is an English word too, but the German document's lines decide its language.
    keys = ["die katze und der hund", "die", "the cat and the dog", "die"]
    shares = _stop_shares(keys, ["de", "de", "en", "en"])
    assert shares == [0.6, 1.0, 0.6, 0.0]


def test_stop_word_share_falls_back_on_all_lists() -> None:
    # Too few hits for any one language: the union of the lists counts.
    keys = ["xyzzy plugh quux frob blorb zork grue", "blorb zork grue und the"]
    shares = _stop_shares(keys)
    assert shares == [0.0, 0.4]


def test_page_feature_rule_names_menus() -> None:
    frame = _features(["home | news | sport", "he said | she said."])
    rules = frame.select(page_feature_rule(120)).to_series().to_list()
    assert rules == ["page:menu", None]


def test_mark_page_lines_removes_weak_lines_outside_content() -> None:
    body = "this is a long sentence of the article that the reader came for, and it goes on."
    keys = ["home", "news", "sport", "weather", "login", body, body, "share", "contact"]
    marked = mark_page_lines(_page_lines(keys, {8: "builtin:share"}), max_chars=40)
    # A one-word line is no headline, and chrome after the share bar is no tail of the article.
    expected = ["page:short"] * 5 + [None, None, None, "page:short"]
    assert marked.get_column("_page").to_list() == expected


def test_mark_page_lines_keeps_the_tail_of_the_content() -> None:
    body = "this is a long sentence of the article that the reader came for, and it goes on."
    keys = ["home", body, body, "CONTACT:", "Jane Doe, +1-212-555-0100", "more news", "share"]
    marked = mark_page_lines(_page_lines(keys, {7: "builtin:share"}), max_chars=40)
    # Details after the article stay; a link to another article does not.
    expected = ["page:short", None, None, None, None, "page:short", None]
    assert marked.get_column("_page").to_list() == expected


def test_mark_page_lines_removes_an_isolated_sentence_outside_the_content() -> None:
    body = "this is a long sentence of the article that the reader came for, and it goes on."
    prompt = "sign up and we will send you the best stories of the week, every week"
    weak = [f"menu item {index}" for index in range(8)]
    keys = [body, body, body, "share", *weak, prompt, *weak]
    marked = mark_page_lines(_page_lines(keys, {4: "builtin:share"}), max_chars=40)
    rules = marked.get_column("_page").to_list()
    assert rules[:3] == [None, None, None]
    assert rules[12] == "page:isolated"


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


LONG = (
    "the council met on tuesday and voted on the new budget, which the mayor had sent to them "
    "in the spring, and most of the members said that they would support it in the end."
)


def test_mark_page_lines_removes_prompts_below_the_article() -> None:
    """A sign-up sentence after the article goes; a sentence about comments inside it stays."""
    inside = "the mayor would not comment on the vote, and his office said it had no plans to."
    prompt = "subscribe to our newsletter and we will send you the best stories of every week."
    keys = [LONG, inside, LONG, prompt]
    rules = mark_page_lines(_page_lines(keys), max_chars=40).get_column("_page").to_list()
    assert rules == [None, None, None, "page:prompt"]


def test_mark_page_lines_removes_a_short_prompt_above_the_articles_end() -> None:
    """A short sentence with a prompt word goes wherever it stands outside the paragraphs (here
    above a paragraph of the content); between two paragraphs it stays."""
    login = "log in to post your comments."
    inside = "his comments on the plan were short."
    keys = [LONG, LONG, inside, LONG, login, "12 january 2024", LONG]
    rules = mark_page_lines(_page_lines(keys), max_chars=40).get_column("_page").to_list()
    assert rules[:5] == [None, None, None, None, "page:prompt"]


def test_mark_page_lines_needs_half_the_article_below_it() -> None:
    """A run below the longest one is content only with half its characters; above, 700 do.

    Teasers of other articles below it (long lines, not prose) go; above it they would stay.
    """
    menu = [f"menu item {index}" for index in range(7)]
    teaser = LONG.rstrip(".")
    keys = [*[teaser] * 5, "share", *menu, *[LONG] * 12, "share", *menu, *[teaser] * 5]
    marks = {6: "builtin:share", 26: "builtin:share"}
    rules = mark_page_lines(_page_lines(keys, marks), max_chars=40).get_column("_page").to_list()
    assert rules[:5] == [None] * 5  # before the longest run: 875 characters are enough
    assert rules[13:25] == [None] * 12
    assert rules[-5:] == ["page:isolated"] * 5  # below it: under half of 2,112 characters


def test_mark_page_lines_removes_a_short_chrome_heading_inside_the_content() -> None:
    """A weak line naming page furniture goes even between paragraphs; a subheading stays."""
    keys = [LONG, "more from relationships", LONG, "the vote in detail", LONG]
    keys += ["mit freunden teilen", LONG]
    rules = mark_page_lines(_page_lines(keys), max_chars=40).get_column("_page").to_list()
    assert rules == [None, "page:prompt", None, None, None, "page:prompt", None]


def test_mark_page_lines_removes_the_comment_section_below_the_article() -> None:
    """Below a comment thread's heading, readers' sentences go; above the article it is a
    sidebar's heading, and the article below it stays."""
    comment = "i really liked this piece and i hope that the council will listen to you all."
    keys = [*[LONG] * 4, "2 comments on the budget", "anna says:", comment, comment + " yes"]
    marks = {5: "builtin:comment_thread"}
    rules = mark_page_lines(_page_lines(keys, marks), max_chars=40).get_column("_page").to_list()
    assert rules == [None] * 5 + ["page:comments"] * 3
    sidebar = ["2 comments on the budget", *[LONG] * 4]
    rules = mark_page_lines(_page_lines(sidebar, {1: "builtin:comment_thread"}), max_chars=40)
    assert rules.get_column("_page").to_list() == [None] * 5


def test_mark_page_lines_removes_the_section_below_a_chrome_heading_after_the_article() -> None:
    """Below a chrome heading that lies below the article's last prose line, teasers go even
    when they are long and wordy; a heading inside the article keeps the prose below it."""
    teaser = "the mayor says that the new budget will be the best one the city has had in years"
    keys = [*[LONG] * 4, "related articles", teaser, "more local news", teaser + " again"]
    marks = {5: "builtin:widget"}
    rules = mark_page_lines(_page_lines(keys, marks), max_chars=40).get_column("_page").to_list()
    assert rules == [None] * 5 + ["page:section"] * 3
    inside = [*[LONG] * 2, "related articles", *[LONG] * 2]
    rules = mark_page_lines(_page_lines(inside, {3: "builtin:widget"}), max_chars=40)
    assert rules.get_column("_page").to_list() == [None] * 5


def test_mark_page_lines_keeps_a_table_after_a_paragraph_ending_in_a_link() -> None:
    """A schedule after a wordy paragraph that does not end like a sentence is a table too."""
    paragraph = LONG.rstrip(".") + " at www.example.org"
    schedule = ["tuesday, january 15", "66 main street", "3:30 to 8:00 pm", "saturday, january 19"]
    keys = [LONG, paragraph, *schedule, "9 new deals", "print this story"]
    marked = mark_page_lines(_page_lines(keys, {8: "builtin:share"}), max_chars=40)
    assert marked.get_column("_page").to_list()[2:6] == [None] * 4
