import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from dedupe.clean.captions import (
    HISTOGRAM_BUCKETS,
    char_histograms,
    cluster_short_lines,
    find_repeated_captions,
    fuzzy_similarity,
    numpy_char_histograms,
    removed_repeats,
)
from dedupe.clean.captions import _removed_repeats_kernel as removed_repeats_kernel


def _lines(doc_lines: dict[str, list[str]]) -> pl.DataFrame:
    rows = [
        (doc_id, no, line.lower())
        for doc_id, lines in doc_lines.items()
        for no, line in enumerate(lines, 1)
    ]
    frame = pl.DataFrame(rows, schema=["doc_id", "line_no", "_key"], orient="row")
    return frame.with_columns(
        pl.col("line_no").cast(pl.Int32), pl.col("_key").str.len_chars().alias("_chars")
    )


CAPTION = "Russian Foreign Minister Sergei Lavrov has called ministers from both countries"


def test_fuzzy_similarity_scores_pairs_elementwise() -> None:
    scores = fuzzy_similarity(pl.Series(["abc", "abc"]), pl.Series(["abc", "xyz"]))
    assert scores.tolist() == [100.0, 0.0]


@given(keys=st.lists(st.text(max_size=30)))
def test_char_histograms_count_each_character_once(keys: list[str]) -> None:
    # The kernels are loaded for the tests (conftest), so char_histograms runs the kernel.
    expected = np.zeros((len(keys), HISTOGRAM_BUCKETS), dtype=np.int16)
    for row, key in enumerate(keys):
        for char in key:
            expected[row, char.encode("utf-8")[0] % HISTOGRAM_BUCKETS] += 1
    series = pl.Series(keys, dtype=pl.String)
    assert np.array_equal(numpy_char_histograms(series), expected)
    assert np.array_equal(char_histograms(series), expected)


def test_find_repeated_captions_keeps_first_of_exact_and_near_repeats() -> None:
    lines = _lines(
        {
            "a": [CAPTION + " /AFP", "A paragraph of the article in between.", CAPTION],
            "b": [CAPTION, "Something else entirely, long enough to count."],
        }
    )
    repeated = find_repeated_captions(lines, similarity=90.0)
    assert repeated.rows() == [("a", 3)]


PROSE = "The jury heard on the third day that the officers had followed him for an hour."


def test_prose_between_two_occurrences_keeps_the_repeat() -> None:
    """A timeline's recurring subheading stays; a caption printed twice in a row goes."""
    subheading = "What the inquest has been told"
    lines = _lines(
        {
            "timeline": [
                subheading,
                PROSE,
                subheading,
                "On Monday the court was shown the map of the route.",
            ],
            "caption": [CAPTION + " /AFP", CAPTION, PROSE],
            "repeated prose": [subheading, PROSE, subheading, PROSE, subheading],
        }
    ).with_columns(pl.col("_key").str.ends_with(".").alias("_prose"))
    repeated = find_repeated_captions(lines, similarity=90.0, separator="_prose")
    # The second copy of a prose line repeats, so it does not separate what surrounds it. The
    # caption's two copies stand above the first paragraph: the later one stays.
    assert repeated.rows() == [("caption", 1), ("repeated prose", 4), ("repeated prose", 5)]
    assert find_repeated_captions(lines, similarity=90.0).height == 5


def test_a_page_that_prints_its_article_twice_keeps_the_second_copy_whole() -> None:
    """Each paragraph of the second copy has the first copy's later paragraphs, or the second
    copy's earlier ones, between it and its first print; before, only its last paragraph went."""
    article = [
        PROSE,
        "On Monday the court was shown the map of the route he took that night.",
        "The hearing continues on Thursday, when the officers are expected to speak.",
    ]
    lines = _lines({"twice": [*article, *article, "Share this article"]}).with_columns(
        pl.col("_key").str.ends_with(".").alias("_prose")
    )
    assert find_repeated_captions(lines, similarity=90.0, separator="_prose").height == 0


def test_above_the_first_paragraph_the_later_copy_stays() -> None:
    """The page's title bar goes and the headline that opens the article stays. A lead that
    repeats the deck word for word goes, as below the first paragraph: the first copy stays."""
    title = "Health minister's sex scandal stuns the government"
    deck = PROSE
    body = [
        "On Monday the court was shown the map of the route he took that night.",
        "The hearing continues on Thursday, when the officers are expected to speak.",
    ]
    lines = _lines(
        {
            "title": [title + " - News.com", "Home", "World", title, *body, title],
            "deck": [title, deck, "Print", "Jan 17, 2008 04:05 PM", deck, *body],
        }
    ).with_columns(pl.col("_key").str.ends_with(".").alias("_prose"))
    repeated = find_repeated_captions(lines, similarity=85.0, separator="_prose")
    # The title printed again after the text began is part of the article (prose between).
    assert repeated.rows() == [("deck", 5), ("title", 1)]


def test_a_caption_printed_after_its_paragraph_repeats_it() -> None:
    """A line that is not prose, printed right after the paragraph it was cut from, goes,
    wherever the first print of its own text stands (a found idempotence case: a second pass
    found it once an earlier copy of the caption was gone)."""
    caption = PROSE.removesuffix(".") + " /AFP"
    lines = _lines(
        {"after": [caption, PROSE, caption, "The hearing continues on Thursday as planned."]}
    ).with_columns(pl.col("_key").str.ends_with(".").alias("_prose"))
    repeated = find_repeated_captions(lines, similarity=90.0, separator="_prose")
    assert repeated.rows() == [("after", 3)]


@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=-1, max_value=12)), max_size=40))
def test_removed_repeats_kernel_equals_its_python_reference(
    lines: list[tuple[bool, int]],
) -> None:
    prose = np.array([is_prose for is_prose, _ in lines], dtype=np.bool_)
    # A partner is an earlier row or -1.
    partner = np.array(
        [earlier if earlier < row else -1 for row, (_, earlier) in enumerate(lines)],
        dtype=np.int64,
    )
    first = np.zeros(len(lines), dtype=np.bool_)
    first[:1] = True
    repeated = np.zeros(len(lines), dtype=np.bool_)
    repeated[partner[partner >= 0]] = True
    for opens in (np.zeros(len(lines), np.bool_), prose & (np.arange(len(lines)) % 3 == 0)):
        for same in (np.zeros(len(lines), np.bool_), partner % 2 == 0):
            expected = removed_repeats(prose, partner, same, repeated, opens, first)
            compiled = removed_repeats_kernel(prose, partner, same, repeated, opens, first)
            assert np.array_equal(compiled, expected)
    # Without a head, a removed line is a repeat.
    expected = removed_repeats(prose, partner, same, repeated, np.ones(len(lines), np.bool_), first)
    assert not (expected & (partner < 0)).any()


def test_find_repeated_captions_ignores_short_lines() -> None:
    lines = _lines({"a": ["He said.", "He said.", "Russia", "Russia"]})
    assert find_repeated_captions(lines, similarity=90.0).height == 0


def test_cluster_short_lines_joins_credit_variants_only() -> None:
    keys = _lines(
        {
            "k": [
                "a fighter fires near the front line in nagorno-karabakh on sunday /afp",
                "a fighter fires near the front line in nagorno-karabakh on sunday (afp)",
                "the minsk group is chaired by russia, france and the united states",
                "photo: ap",
            ]
        }
    ).select("_key", "_chars")
    clusters = dict(cluster_short_lines(keys).iter_rows())
    first, second, other, short = keys.get_column("_key").to_list()
    assert clusters[first] == clusters[second]
    assert clusters[other] == other
    assert clusters[short] == short


def test_find_repeated_captions_keeps_a_lead_and_table_rows() -> None:
    """A lead sentence below the headline cut from it is no repeat, nor are two table rows
    whose numbers differ, nor a command and its undo (a word put in another's place); a caption
    printed twice still is."""
    headline = "Jef Raskin, head of the team behind the first Macintosh computer"
    command = "netsh interface tcp set global autotuninglevel="
    lines = _lines(
        {
            "lead": [headline, headline + ", has died."],
            "table": ["Oper shr 16 cts vs nine cts", "Year", "Oper shr 13 cts vs six cts"],
            "commands": [command + "disabled", "To switch it on again:", command + "normal"],
            "caption": ["Home", CAPTION + " /AFP", CAPTION],
        }
    ).with_columns(pl.col("_key").str.ends_with(".").alias("_prose"))
    repeated = find_repeated_captions(lines, similarity=85.0, separator="_prose")
    assert repeated.rows() == [("caption", 3)]
