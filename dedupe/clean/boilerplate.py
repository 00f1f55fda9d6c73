"""Line rules for boilerplate: built-in patterns, user patterns and sentence shape.

Every rule is a Polars expression over the line frame of `dedupe.clean.lines` and names itself
(``builtin:<name>``, ``user:<pattern>``); learned lines are in `dedupe.clean.learned`, page mode in
`dedupe.clean.page`.
"""

from __future__ import annotations

import polars as pl

from dedupe.clean.lines import CHARS, KEY, SENTENCE, WORDS
from dedupe.errors import ConfigError
from dedupe.schema import DOC_ID, LINE

# A sentence ends with . ! ? or an ellipsis, maybe followed by closing quotes or brackets.
_SENTENCE_END = r"[.!?\u2026][\"'\u201d\u2019)\]]*$"
SENTENCE_MIN_WORDS = 6

# Built-in rules, matched against the normalized line (NFKC, lower case, one space, stripped).
# Each is anchored on both ends, so it matches a whole short line and never an article sentence.
_SEP = r"\s*[|:/\-\u2013\u2014\u00b7\u2022,]?\s*"
_SHARE_WORDS = (
    r"(share|share this|share on \w+|share via \w+|tweet|tweet this|pin it|pin|email|e-mail|"
    r"print|whatsapp|facebook|twitter|x|linkedin|reddit|telegram|copy link|comment|comments|"
    r"save|flipboard)"
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|"
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4})"
)
# An optional clock time after a date, as in "March 3, 2023 10:15 am est".
_TIME = r"(\s*(at\s+)?\d{1,2}:\d{2}\s*(am|pm)?( [a-z]{2,4})?)?"
# A person's or desk's name: one to four words of letters, with ' . - inside.
_NAME = r"\p{L}[\w'.\-]*( \p{L}[\w'.\-]*){0,3}"
# Separators that join a name and a date on one line; a plain comma or space is too weak there.
_STRONG_SEP = r"(\s*[|\u2013\u2014\u00b7\u2022]\s*|\s+-\s+)"
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
    # A byline or dateline: "by"/"posted by" a name with a date, or a short name and a date
    # joined by a strong separator ("News Desk | March 25 2004"), or a news desk alone.
    "byline": (
        rf"^(((posted|written|published|reported) )?by\s+[^\s.!?,;:][^.!?;:]{{0,50}}?"
        rf"\s*([-\u2013\u2014|,]|\s|\s+on)\s*({_DATE}){_TIME}|"
        rf"(published|posted|updated)( on)?:?\s*({_DATE}){_TIME},?\s+by\s+{_NAME}|"
        rf"{_NAME}{_STRONG_SEP}({_DATE}){_TIME}|({_DATE}){_TIME}{_STRONG_SEP}{_NAME}|"
        r"(news|web|city|foreign|metro|online|digital|staff|wire|sports?|business) "
        r"(desk|reporter|reporters|correspondent|writer|services?))$"
    ),
    "tag_list": r"^[^\s;][^;]{0,40}(;[^\s;][^;]{0,40})+$",
    "date_stamp": rf"^((published|updated|last updated|posted)( on)?\s*:?\s*)?({_DATE}){_TIME}$",
}


def is_sentence_like(key: str = KEY, words: str = WORDS) -> pl.Expr:
    """Whether a normalized line ends like a sentence and has enough words to be one."""
    return pl.col(key).str.contains(_SENTENCE_END) & (pl.col(words) >= SENTENCE_MIN_WORDS)


# On pure-ASCII keys Unicode \w and ASCII \w match the same characters, but the ASCII class keeps
# the regex engine's DFA small: "[\w ]{0,30}" alone made the share rule 20 times slower.
# The same holds for \p{L}.
_ASCII_RULES = {
    name: pattern.replace(r"\w", "[0-9A-Za-z_]").replace(r"\p{L}", "[A-Za-z]")
    for name, pattern in BUILTIN_RULES.items()
}


def builtin_rule(key: str = KEY, *, ascii_only: bool = False) -> pl.Expr:
    """Return the ``builtin:<name>`` rule matching a normalized line, or null.

    Args:
        key: the column of normalized lines.
        ascii_only: every key is pure ASCII, so the faster ASCII form of each pattern applies.
    """
    rules = _ASCII_RULES if ascii_only else BUILTIN_RULES
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(rules.items()):
        rule = (
            pl.when(pl.col(key).str.contains(pattern))
            .then(pl.lit(f"builtin:{name}"))
            .otherwise(rule)
        )
    return rule


# Headings of a related-content block: "Related Articles", "Most Read", "More from Sport".
RELATED_HEADING = (
    r"^(related|related (articles|stories|posts|news|content|links|coverage|reading)|"
    r"most (read|popular|viewed|shared)|trending( now| stories)?|popular (posts|stories)|"
    r"more (stories|news|from [\w .&'\-]{1,40})|read more|you (may|might) also like|"
    r"recommended( for you| stories)?|also read|see also|top stories|latest (news|stories|posts))"
    r"[\s.:!\u2026>\u00bb\u203a]*$"
)
# A block line ending like a sentence is content, even when short ("He resigned.").
_ENDS_SENTENCE = r"[.!\u2026][\"'\u201d\u2019)\]]*$"


def related_block_rule(mark: str, *, max_chars: int) -> pl.Expr:
    """Return ``builtin:related_block`` for the lines of a related-content block, or ``mark``.

    After a related heading, the headlines of other articles run to the end of the document or
    to other chrome: short lines (at most ``max_chars``) that are not sentences and that no rule
    removed. Such a run is a block only when it ends there; a run that ends at a content line is
    kept, as is the heading's own fate when its rule is already set. Blank lines are skipped.
    A heading that no rule removed ("More from Sport") goes with a valid block. Runs over a line
    frame in line order, with ``_key``, ``_chars`` and ``_sentence``.

    Args:
        mark: the column of the rule each line already has (null when none).
        max_chars: longest normalized line that can be a block line.
    """
    marked = pl.col(mark).is_not_null()
    visible = pl.col(CHARS) > 0
    block_line = (
        ~marked
        & visible
        & (pl.col(CHARS) <= max_chars)
        & ~pl.col(SENTENCE)
        & ~pl.col(KEY).str.contains(_ENDS_SENTENCE)
    )
    heading = visible & pl.col(KEY).str.contains(RELATED_HEADING)
    boundary = visible & ~block_line
    after_heading = pl.when(boundary).then(heading).forward_fill().over(DOC_ID).fill_null(False)
    # The next boundary below a line; none means the block runs to the end of the document.
    ends_in_chrome = (
        pl.when(boundary).then(marked).shift(-1).backward_fill().over(DOC_ID).fill_null(value=True)
    )
    in_block = (block_line & after_heading) | (heading & ~marked)
    return (
        pl.when(in_block & ends_in_chrome)
        .then(pl.lit("builtin:related_block"))
        .otherwise(pl.col(mark))
    )


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
