"""Line rules for boilerplate: built-in patterns, user patterns, learned frequent lines, page mode.

Every rule is a Polars expression or group-by over the line frame of `dedupe.lines`; rules name
themselves (``builtin:<name>``, ``user:<pattern>``, ``learned:<scope>``, ``page:<feature>``).

Learned frequent lines (the exact rule):

1. A line is *alive* when no text rule (whitespace, built-in, user, page feature, caption) removed
   it. Only alive lines are counted, and positions below are positions among alive lines.
2. Each document has an *article key*: its longest alive line longer than ``learn_max_chars`` (or
   its ``doc_id`` when it has none). Documents are counted as distinct article keys, so twenty
   copies of one wire story count once and their title is not mistaken for site chrome.
3. A *candidate* is an alive line with a letter and at most ``learn_max_chars`` normalized
   characters whose cluster (its normalized text, or its MinHash caption cluster from
   `dedupe.captions`) occurs in at least
   ``learn_min_docs`` articles and in at least ``learn_min_share`` of the articles of its scope:
   its source (rule ``learned:source``), else the whole corpus (rule ``learned:corpus``).
4. An *anchor* is an alive line that is longer than ``learn_max_chars`` or is sentence-like (ends
   with ``. ! ?`` or a closing quote after one, and has at least 6 words) and is not a candidate.
   The *body* is what lies between a document's first and last anchor.
5. A candidate is removed unless it is sentence-like (a recurring quote or standard sentence), or
   it is in the body directly between two content lines (anchors or sentence-like lines), like a
   recurring subheading. Elsewhere, notably in the top and bottom blocks, it is chrome.

Counts only fall and anchors only gain when a cleaned corpus is cleaned again, which makes the
rule idempotent (see ``tests/test_clean.py``).
"""

from __future__ import annotations

import logging

import polars as pl

from dedupe.errors import ConfigError
from dedupe.schema import DOC_ID, LINE, LINE_NO, RULE

logger = logging.getLogger(__name__)

# Internal columns of the line frame, shared with dedupe.clean and dedupe.captions.
KEY = "_key"
CHARS = "_chars"
WORDS = "_words"
SENTENCE = "_sentence"
ALIVE = "_alive"
SCOPE = "_scope"
CLUSTER = "_cluster"

# A sentence ends with . ! ? or an ellipsis, maybe followed by closing quotes or brackets.
_SENTENCE_END = r"[.!?\u2026][\"'\u201d\u2019)\]]*$"
SENTENCE_MIN_WORDS = 6

# Built-in rules, matched against the normalized line (NFKC, lower case, one space, stripped).
# Each is anchored on both ends, so it matches a whole short line and never an article sentence.
_SEP = r"\s*[|:/\-\u2013\u2014\u00b7\u2022,]?\s*"
_SHARE_WORDS = (
    r"(share|share this|share on \w+|tweet|tweet this|pin it|pin|email|e-mail|print|whatsapp|"
    r"facebook|twitter|x|linkedin|reddit|telegram|copy link|comment|comments|save|flipboard)"
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4})"
)
BUILTIN_RULES: dict[str, str] = {
    "widget": (
        r"^(loading|load more|show more|show less|see more|view more|read more|more stories|"
        r"more news|most popular|most read|most viewed|popular posts|trending|trending now|"
        r"related|related articles|related stories|related posts|related news|related content|"
        r"recommended|recommended for you|you may also like|you might also like|"
        r"also read|see also|top stories|latest news|latest posts|back to top|back to top button|"
        r"scroll to top|skip to content|skip to main content|toggle navigation|menu|main menu|"
        r"open menu|close menu|search|search for|close|next article|previous article|"
        r"next post|previous post|click here|click to expand|continue reading|"
        r"verified by monsterinsights|leave a comment|leave a reply|post a comment|"
        r"add comment|view comments|\d+ comments?|no comments|sign in|log in|login|register|"
        r"sign up|my account|subscribe|subscribe now|watch|listen|play video|watch video)"
        r"[\s.:!\u2026>\u00bb\u203a]*$"
    ),
    "share": (
        rf"^({_SHARE_WORDS}({_SEP}{_SHARE_WORDS})*|share (this|the) (article|story|post|page)"
        r"( on \w+)?|share via \w+|follow us( on [\w ,&]+)?|like us on facebook|"
        r"(sign up|subscribe) (for|to) (our|the) [\w ]{0,30}newsletters?( here)?|"
        r"get (our|the) [\w ]{0,30}newsletter|subscribe to our [\w ]{0,30}channel)[\s.:!]*$"
    ),
    "advertisement": (
        r"^[\[(]?(advertisement|advertisment|advertising|ad|ads|sponsored|sponsored content|"
        r"paid content|paid post|promoted|promoted content|story continues below"
        r"( advertisement)?|article continues below( advertisement)?|"
        r"scroll to continue with content|continue reading below|ad feedback)[\])]?[\s.:]*$"
    ),
    "cookie": (
        r"^((we use cookies|this (web)?site uses cookies|by (continuing|using) (to use )?"
        r"(this|our) (web)?site)\b.{0,300}\b(experience|consent|accept|agree|browsing|privacy|"
        r"cookie policy|learn more|more information|settings|analy[sz]e|personali[sz]e)\b.{0,200}|"
        r"(accept|reject|allow)( all)? cookies|cookie (policy|settings|preferences)|"
        r"manage cookies)$"
    ),
    "copyright": (
        r"^((\u00a9|\(c\))\s*.{0,150}|copyright\s*(\u00a9|\(c\)|\d{4}).{0,150}|"
        r".{0,100}all rights reserved\.?|this material may not be published, "
        r"broadcast, rewritten,? or redistributed\.?)$"
    ),
    "photo_credit": (
        r"^[\[(]?(photo|photos|photograph|image|images|picture|pictures|pic|file photo|"
        r"photo credit|image credit|credit|credits|image source|source)\s*[:\-\u2013]\s*"
        r"[^.!?]{1,80}[\])]?\.?$|"
        r"^[\[(]?(\w+ )?(ap|afp|reuters|epa|getty|anadolu|xinhua) ?(photo|images?)"
        r"( via getty images)?(\s*/\s*[^.!?]{1,60})?[\])]?$|"
        r"^[\[(]?(getty images|afp via getty images|shutterstock|/afp|\(afp\)|afp)[\])]?$"
    ),
    "image_url": r"^(https?://|www\.)\S+\.(jpe?g|png|gif|webp|svg|bmp|tiff?|avif)(\?\S*)?$",
    "byline": (
        rf"^by\s+[^\s.!?,;:][^.!?;:]{{0,50}}?\s*([-\u2013\u2014|,]|\s)\s*({_DATE})"
        r"(\s*(at\s+)?\d{1,2}:\d{2}\s*(am|pm)?( [a-z]{2,4})?)?$"
    ),
    "tag_list": r"^[^\s;][^;]{0,40}(;[^\s;][^;]{0,40})+$",
    "date_stamp": (
        rf"^((published|updated|last updated|posted)( on)?\s*:?\s*)?({_DATE})"
        r"(\s*(at\s+)?\d{1,2}:\d{2}\s*(am|pm)?( [a-z]{2,4})?)?$"
    ),
}


def is_sentence_like(key: str = KEY, words: str = WORDS) -> pl.Expr:
    """Whether a normalized line ends like a sentence and has enough words to be one."""
    return pl.col(key).str.contains(_SENTENCE_END) & (pl.col(words) >= SENTENCE_MIN_WORDS)


def builtin_rule(key: str = KEY) -> pl.Expr:
    """Return the ``builtin:<name>`` rule matching a normalized line, or null."""
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(BUILTIN_RULES.items()):
        rule = (
            pl.when(pl.col(key).str.contains(pattern))
            .then(pl.lit(f"builtin:{name}"))
            .otherwise(rule)
        )
    return rule


def validate_patterns(patterns: tuple[str, ...]) -> None:
    """Check that Polars' regex engine accepts every user pattern.

    Raises:
        ConfigError: a pattern uses what the linear-time engine lacks (look-around,
            back-references) or is otherwise invalid.
    """
    for pattern in patterns:
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except pl.exceptions.PolarsError as error:
            reason = str(error).strip().splitlines()
            detail = next((part for part in reason if part.startswith("error:")), reason[0])
            raise ConfigError(
                f"pattern {pattern!r} is not supported by the linear-time regex engine "
                f"({detail}); rewrite it without look-around or back-references"
            ) from None


def user_rule(patterns: tuple[str, ...], line: str = LINE) -> pl.Expr:
    """Return ``user:<pattern>`` for the first drop pattern that matches the original line."""
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for pattern in reversed(patterns):
        rule = (
            pl.when(pl.col(line).str.contains(pattern))
            .then(pl.lit(f"user:{pattern}"))
            .otherwise(rule)
        )
    return rule


def matches_any(patterns: tuple[str, ...], line: str = LINE) -> pl.Expr:
    """Whether the original line matches any of the patterns (used for keep patterns)."""
    if not patterns:
        return pl.lit(value=False)
    return pl.any_horizontal([pl.col(line).str.contains(pattern) for pattern in patterns])


def article_keys(lines: pl.DataFrame, *, max_chars: int) -> pl.DataFrame:
    """Return each document's article key: its longest alive line above ``max_chars``, or its id."""
    longest = (
        lines.lazy()
        .filter(pl.col(ALIVE) & (pl.col(CHARS) > max_chars))
        .sort([DOC_ID, CHARS, LINE_NO], descending=[False, True, False])
        .group_by(DOC_ID)
        .agg(pl.col(KEY).first().alias("_article"))
    )
    return (
        lines.lazy()
        .select(DOC_ID, SCOPE)
        .unique(DOC_ID)
        .join(longest, on=DOC_ID, how="left")
        .with_columns(pl.coalesce("_article", pl.lit("\x00id:") + pl.col(DOC_ID)))
        .collect()
    )


def _learned_clusters(
    lines: pl.DataFrame, articles: pl.DataFrame, *, by_source: bool, min_docs: int, share: float
) -> pl.DataFrame:
    scope = [SCOPE] if by_source else []
    totals = articles.group_by(scope or pl.lit(1)).agg(
        pl.col("_article").n_unique().alias("_total")
    )
    counted = (
        lines.filter(pl.col("_eligible"))
        .join(articles.select(DOC_ID, "_article"), on=DOC_ID)
        .group_by([*scope, CLUSTER])
        .agg(
            pl.col("_article").n_unique().alias("documents"),
            pl.col(KEY).n_unique().alias("variants"),
            pl.col(KEY).mode().min().alias("line"),
        )
    )
    if by_source:
        counted = counted.join(totals, on=SCOPE)
    else:
        counted = counted.with_columns(pl.lit(totals.item(0, "_total")).alias("_total"))
    return counted.with_columns((pl.col("documents") / pl.col("_total")).alias("share")).filter(
        (pl.col("documents") >= min_docs) & (pl.col("share") >= share)
    )


def mark_learned_lines(
    lines: pl.DataFrame,
    *,
    min_docs: int,
    min_share: float,
    max_chars: int,
    has_source: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Find frequent short lines and decide which occurrences are chrome (see the module docstring).

    Args:
        lines: the line frame with ``_key``, ``_chars``, ``_words``, ``_sentence``, ``_alive``,
            ``_scope`` and ``_cluster``, in line order within each document.
        min_docs: fewest distinct articles a learned line occurs in.
        min_share: smallest share of its scope's articles a learned line occurs in.
        max_chars: longest normalized line that can be learned.
        has_source: whether ``_scope`` holds a source; without one only the corpus is a scope.

    Returns:
        ``lines`` with a ``_learned`` rule column (null where kept), and the learned lines with
        ``rule``, ``scope``, ``line``, ``variants``, ``documents``, ``share``, ``removed_lines``.
    """
    lines = lines.with_columns(
        (
            pl.col(ALIVE)
            & (pl.col(CHARS) <= max_chars)
            # Numbers and punctuation alone ("12", "---") are table cells and rules, not chrome.
            & pl.col(KEY).str.contains(r"\p{L}")
        ).alias("_eligible")
    )
    articles = article_keys(lines, max_chars=max_chars)
    found = []
    if has_source:
        found.append(
            _learned_clusters(
                lines, articles, by_source=True, min_docs=min_docs, share=min_share
            ).with_columns(pl.lit("learned:source").alias(RULE))
        )
    found.append(
        _learned_clusters(
            lines, articles, by_source=False, min_docs=min_docs, share=min_share
        ).with_columns(pl.lit("learned:corpus").alias(RULE), pl.lit(None, pl.String).alias(SCOPE))
    )
    columns = [RULE, SCOPE, CLUSTER, "line", "variants", "documents", "share"]
    learned = pl.concat([frame.select(columns) for frame in found])
    by_source_rule = learned.filter(pl.col(RULE) == "learned:source").select(
        SCOPE, CLUSTER, pl.col(RULE).alias("_rule_source")
    )
    by_corpus_rule = learned.filter(pl.col(RULE) == "learned:corpus").select(
        CLUSTER, pl.col(RULE).alias("_rule_corpus")
    )
    lines = (
        lines.join(by_source_rule, on=[SCOPE, CLUSTER], how="left", maintain_order="left")
        .join(by_corpus_rule, on=CLUSTER, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("_eligible"))
            .then(pl.coalesce("_rule_source", "_rule_corpus"))
            .alias("_candidate_rule")
        )
    )
    sentence = pl.col(SENTENCE)
    candidate = pl.col("_candidate_rule").is_not_null()
    anchor = (pl.col(CHARS) > max_chars) | (sentence & ~candidate)
    alive = lines.filter(pl.col(ALIVE)).select(DOC_ID, LINE_NO, SENTENCE, CHARS, "_candidate_rule")
    anchors = pl.col("_anchor").cast(pl.Int32)
    alive = alive.with_columns(anchor.alias("_anchor")).with_columns(
        (
            (anchors.cum_sum().over(DOC_ID) > anchors)
            & (anchors.cum_sum(reverse=True).over(DOC_ID) > anchors)
        ).alias("_body")
    )
    content = pl.col("_anchor") | sentence
    alive = alive.with_columns(content.alias("_content")).with_columns(
        pl.col("_content").shift(1).over(DOC_ID).fill_null(value=False).alias("_before"),
        pl.col("_content").shift(-1).over(DOC_ID).fill_null(value=False).alias("_after"),
    )
    protected = sentence | (pl.col("_body") & pl.col("_before") & pl.col("_after"))
    decided = alive.select(
        DOC_ID, LINE_NO, pl.when(~protected).then(pl.col("_candidate_rule")).alias("_learned")
    )
    lines = lines.join(decided, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
    removed = (
        lines.filter(pl.col("_learned").is_not_null())
        .group_by(pl.col("_learned").alias(RULE), SCOPE, CLUSTER)
        .len("removed_lines")
    )
    learned = (
        learned.join(
            removed.with_columns(
                pl.when(pl.col(RULE) == "learned:corpus")
                .then(None)
                .otherwise(pl.col(SCOPE))
                .alias(SCOPE)
            )
            .group_by(RULE, SCOPE, CLUSTER)
            .agg(pl.col("removed_lines").sum()),
            on=[RULE, SCOPE, CLUSTER],
            how="left",
            nulls_equal=True,
        )
        .with_columns(pl.col("removed_lines").fill_null(0).cast(pl.UInt32))
        .rename({SCOPE: "scope"})
        .sort(["rule", "scope", "documents", "line"], descending=[False, False, True, False])
        .drop(CLUSTER)
    )
    logger.info("learned %d frequent lines", learned.height)
    helper = ["_eligible", "_rule_source", "_rule_corpus", "_candidate_rule"]
    return lines.drop(helper), learned


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
STOP = "_stop"
GOOD_MIN_WORDS = 10
GOOD_MIN_STOP_SHARE = 0.25
# How many alive lines a weak line may sit from a good line and still belong to the content.
CONTEXT_LINES = 3
# Runs of good lines: at most this many weak lines between two good lines of one run, and this
# many characters of good lines for a run to be content (measured on L3S-GN1, see benchmarks/).
RUN_GAP_LINES = 15
RUN_MIN_CHARS = 800


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


def mark_page_lines(lines: pl.DataFrame, *, max_chars: int) -> pl.DataFrame:
    """Add ``_page``: the ``page:<feature>`` rule of a weak line outside the content.

    Good lines separated by at most `RUN_GAP_LINES` weak lines form a run; a run holding at least
    `RUN_MIN_CHARS` characters of good lines is content, with every weak line inside it (a table,
    a subheading, a short quote). Elsewhere a weak line is kept when good lines lie at most
    `CONTEXT_LINES` alive lines above and below it, or when it is headline-like (at least three
    words) at most that far above a good line. Removing lines only shortens gaps and merges runs,
    so a second pass keeps what the first kept.
    """
    good_pos = pl.when(pl.col("_good")).then(pl.col("_pos"))
    # Lines the learned rule removed are gone already: they neither count as good nor as distance.
    alive = (
        lines.filter(pl.col(ALIVE) & pl.col("_learned").is_null())
        .select(DOC_ID, LINE_NO, CHARS, WORDS, STOP, SENTENCE, KEY)
        .with_columns(
            pl.int_range(pl.len()).over(DOC_ID).alias("_pos"), is_good(max_chars).alias("_good")
        )
        .with_columns(
            good_pos.forward_fill().over(DOC_ID).alias("_above"),
            good_pos.backward_fill().over(DOC_ID).alias("_below"),
            good_pos.shift(1).over(DOC_ID).alias("_previous_good"),
        )
    )
    # A new run starts at a good line whose previous good line is too far above.
    previous_good = pl.col("_previous_good").forward_fill().over(DOC_ID)
    starts_run = pl.col("_good") & (
        previous_good.is_null() | (pl.col("_pos") - previous_good - 1 > RUN_GAP_LINES)
    )
    alive = alive.with_columns(starts_run.cast(pl.Int32).cum_sum().over(DOC_ID).alias("_run"))
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
    headline = (pl.col(WORDS) >= 3) & near_below
    feature = (
        pl.when(pl.col(WORDS) < 4)
        .then(pl.lit("page:short"))
        .when(pl.col(STOP) < 0.15)
        .then(pl.lit("page:low_stopwords"))
        .otherwise(pl.lit("page:no_sentence"))
    )
    kept = pl.col("_good") | in_run | (near_above & near_below) | headline
    decided = alive.select(DOC_ID, LINE_NO, pl.when(~kept).then(feature).alias("_page"))
    return lines.join(decided, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
