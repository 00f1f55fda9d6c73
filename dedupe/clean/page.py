"""Page mode: classify the lines of whole-page text by their own features and their neighbours.

For text converted from full HTML pages, where most lines are navigation (rules ``page:<feature>``).
"""

from __future__ import annotations

import polars as pl

from dedupe.clean.lines import ALIVE, CHARS, KEY, MARK, SENTENCE, STOP, WORDS
from dedupe.schema import DOC_ID, LINE_NO

# Page mode, after jusText (Pomikalek 2011, ch. 4), on plain text instead of DOM blocks: a line
# is *good* on its own features (long, or sentence-like, or wordy with many stop words), *bad*
# on its own features (a menu: rule page:menu), and otherwise *weak*; a weak line
# is kept only close to good lines, as jusText's context pass keeps short blocks between good
# ones. Stop words: jusText's insight that prose is dense in function words, which navigation and
# link lists are not. English and German cover the measured data; other languages fall back on
# length and punctuation.
STOP_WORDS = [
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "said",
    "says",
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einer",
    "eines",
    "einem",
    "einen",
    "und",
    "oder",
    "aber",
    "nicht",
    "ist",
    "sind",
    "war",
    "waren",
    "wird",
    "werden",
    "wurde",
    "hat",
    "haben",
    "hatte",
    "ich",
    "du",
    "er",
    "sie",
    "es",
    "wir",
    "ihr",
    "mit",
    "von",
    "zu",
    "zum",
    "zur",
    "im",
    "in",
    "auf",
    "an",
    "am",
    "aus",
    "bei",
    "nach",
    "vor",
    "für",
    "über",
    "unter",
    "auch",
    "als",
    "wie",
    "so",
    "dass",
    "daß",
    "noch",
    "nur",
    "schon",
    "sich",
    "dieser",
    "diese",
    "dieses",
    "man",
    "kann",
    "soll",
    "muss",
    "wenn",
    "um",
    "bis",
    "durch",
    "gegen",
    "ohne",
    "sein",
    "seine",
    "ihre",
]
# Separators of menus and breadcrumbs; a line with two of them and no sentence end is navigation.
MENU_SEPARATOR = r"(\s\|\s?|\s?\|\s|\s?\u00bb\s?|\s\u203a\s|\s\u00b7\s|\s\u2022\s|\s::\s|\s/\s)"
GOOD_MIN_WORDS = 10
GOOD_MIN_STOP_SHARE = 0.25
# How many alive lines a weak line may sit from a good line and still belong to the content.
CONTEXT_LINES = 3
# Runs of good lines: at most this many weak lines between two good lines of one run, and this
# many characters of good lines for a run to be content (measured on L3S-GN1, see benchmarks/).
RUN_GAP_LINES = 15
RUN_MIN_CHARS = 800
# The weak lines after a paragraph are a table when at least this share of them hold digits.
TAIL_DIGIT_SHARE = 0.4


def stop_word_share(key: str = KEY, words: str = WORDS) -> pl.Expr:
    """Share of a normalized line's words that are stop words (0 for an empty line)."""
    tokens = pl.col(key).str.extract_all(r"[\p{L}']+")
    count = tokens.list.eval(pl.element().is_in(STOP_WORDS)).list.sum()
    return pl.when(pl.col(words) > 0).then(count / pl.col(words)).otherwise(0.0)


def page_feature_rule(max_chars: int) -> pl.Expr:
    """Return the ``page:<feature>`` rule a line earns on its own features alone, or null."""
    sentence = pl.col(SENTENCE)
    menu = pl.col(KEY).str.count_matches(MENU_SEPARATOR) >= 2
    return (
        pl.when(menu & ~sentence & (pl.col(CHARS) <= max_chars))
        .then(pl.lit("page:menu"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def is_good(max_chars: int) -> pl.Expr:
    """Whether a line reads as content on its own: long, sentence-like, or wordy prose."""
    return (
        (pl.col(CHARS) > max_chars)
        | pl.col(SENTENCE)
        | ((pl.col(WORDS) >= GOOD_MIN_WORDS) & (pl.col(STOP) >= GOOD_MIN_STOP_SHARE))
    )


def is_prose() -> pl.Expr:
    """Whether a line is article prose: a sentence of `GOOD_MIN_WORDS` words, rich in stop words.

    Stricter than `is_good`: a long line of a footer or a link list is good, not prose.
    """
    return (
        pl.col(SENTENCE) & (pl.col(WORDS) >= GOOD_MIN_WORDS) & (pl.col(STOP) >= GOOD_MIN_STOP_SHARE)
    )


def mark_page_lines(lines: pl.DataFrame, *, max_chars: int) -> pl.DataFrame:
    """Add ``_page``: the ``page:<feature>`` rule of a weak line outside the content.

    Good lines separated by at most `RUN_GAP_LINES` weak lines form a run; a run holding at least
    `RUN_MIN_CHARS` characters of good lines is content, with every weak line inside it (a table,
    a subheading, a short quote). Elsewhere a weak line is kept when good lines lie at most
    `CONTEXT_LINES` alive lines above and below it, or when it is headline-like (at least three
    words) at most that far above a good line.

    Body span: the article body runs from the first to the last prose line of the page (see
    `is_prose`). Inside it, a weak line is also kept, however far its good neighbours are, when
    no line between the good line above and the good line below it was removed by another rule
    (built-in, user, menu, repeated caption, learned): a score table, a line-up or a list of names
    in an article. Site chrome between two stretches of prose almost always holds such a line (a
    menu, a share bar, an advertisement slot), and then the gap is judged as above.

    Tables: the weak lines right after a prose line, up to the first line another rule of the
    document removed (built-in, user, menu, repeated caption), are a table and kept up to the last
    of them that holds a digit, when at least `TAIL_DIGIT_SHARE` of those lines hold one: the
    results, schedule or scoreboard that often follows a sports or events article.

    Removing lines only shortens gaps, merges runs and leaves the prose lines and the other
    rules' lines where they are, so a second pass keeps what the first kept.
    """
    good_pos = pl.when(pl.col("_good")).then(pl.col("_pos"))
    # How many non-empty lines up to each line another rule removed: two lines have none of
    # those between them when the counts are equal. `_marked` counts only the rules of one
    # document (built-in, user, menu, repeated caption), not learned lines.
    other_rule = pl.col(MARK).is_not_null() | pl.col("_learned").is_not_null()
    removed_before = lines.filter(pl.col(CHARS) > 0).select(
        DOC_ID,
        LINE_NO,
        other_rule.cast(pl.Int32).cum_sum().over(DOC_ID).alias("_removed"),
        pl.col(MARK).is_not_null().cast(pl.Int32).cum_sum().over(DOC_ID).alias("_marked"),
    )
    # Lines the learned rule removed are gone already: they neither count as good nor as distance.
    alive = (
        lines.filter(pl.col(ALIVE) & pl.col("_learned").is_null())
        .select(
            DOC_ID,
            LINE_NO,
            CHARS,
            WORDS,
            STOP,
            SENTENCE,
            pl.col(KEY).str.contains(r"\d").fill_null(value=False).alias("_digit"),
        )
        .join(removed_before, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
        .with_columns(
            pl.int_range(pl.len()).over(DOC_ID).alias("_pos"),
            is_good(max_chars).alias("_good"),
            pl.when(is_prose()).then(pl.int_range(pl.len())).over(DOC_ID).alias("_prose_pos"),
        )
        .with_columns(
            good_pos.forward_fill().over(DOC_ID).alias("_above"),
            good_pos.backward_fill().over(DOC_ID).alias("_below"),
            good_pos.shift(1).over(DOC_ID).alias("_previous_good"),
            pl.col("_prose_pos").min().over(DOC_ID).alias("_body_start"),
            pl.col("_prose_pos").max().over(DOC_ID).alias("_body_end"),
        )
    )
    # A new run starts at a good line whose previous good line is too far above.
    previous_good = pl.col("_previous_good").forward_fill().over(DOC_ID)
    starts_run = pl.col("_good") & (
        previous_good.is_null() | (pl.col("_pos") - previous_good - 1 > RUN_GAP_LINES)
    )
    removed_at_good = pl.when(pl.col("_good")).then(pl.col("_removed"))
    alive = alive.with_columns(
        starts_run.cast(pl.Int32).cum_sum().over(DOC_ID).alias("_run"),
        removed_at_good.forward_fill().over(DOC_ID).alias("_removed_above"),
        removed_at_good.backward_fill().over(DOC_ID).alias("_removed_below"),
    )
    alive = alive.with_columns(
        pl.when(pl.col("_good"))
        .then(pl.col(CHARS))
        .otherwise(0)
        .sum()
        .over(DOC_ID, "_run")
        .alias("_run_chars")
    )
    near_above = ((pl.col("_pos") - pl.col("_above")) <= CONTEXT_LINES).fill_null(value=False)
    near_below = ((pl.col("_below") - pl.col("_pos")) <= CONTEXT_LINES).fill_null(value=False)
    in_run = (
        (pl.col("_below") - pl.col("_above") - 1 <= RUN_GAP_LINES)
        & (pl.col("_run_chars") >= RUN_MIN_CHARS)
    ).fill_null(value=False)
    in_body = (
        pl.col("_pos").is_between(pl.col("_body_start"), pl.col("_body_end"))
        & (pl.col("_removed_above") == pl.col("_removed_below"))
    ).fill_null(value=False)
    # A table after a paragraph (results, a schedule, a scoreboard): the weak lines that follow
    # a prose line with no built-in, user or menu line between, up to the last of them holding
    # a digit, when at least TAIL_DIGIT_SHARE of those lines hold one.
    pos = pl.col("_pos")
    at_good = pl.when(pl.col("_good"))
    after_prose = (
        ~pl.col("_good")
        & at_good.then(is_prose()).forward_fill().over(DOC_ID)
        & (pl.col("_marked") == at_good.then(pl.col("_marked")).forward_fill().over(DOC_ID))
    ).fill_null(value=False)
    alive = alive.with_columns(after_prose.alias("_after_prose"))
    block = [DOC_ID, "_above"]
    last_digit = pl.when(pl.col("_after_prose") & pl.col("_digit")).then(pos).max().over(block)
    alive = alive.with_columns(
        (pl.col("_after_prose") & (pos <= last_digit)).fill_null(value=False).alias("_table")
    )
    digit_share = pl.col("_digit").filter(pl.col("_table")).mean().over(block)
    table = (pl.col("_table") & (digit_share >= TAIL_DIGIT_SHARE)).fill_null(value=False)
    headline = (pl.col(WORDS) >= 3) & near_below
    feature = (
        pl.when(pl.col(WORDS) < 4)
        .then(pl.lit("page:short"))
        .when(pl.col(STOP) < 0.15)
        .then(pl.lit("page:low_stopwords"))
        .otherwise(pl.lit("page:no_sentence"))
    )
    kept = pl.col("_good") | in_run | in_body | table | (near_above & near_below) | headline
    decided = alive.select(DOC_ID, LINE_NO, pl.when(~kept).then(feature).alias("_page"))
    return lines.join(decided, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
