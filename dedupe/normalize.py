"""Text normalization for comparison, as Polars expression builders (NFKC, spaces, quotes, case)."""

from __future__ import annotations

import unicodedata

import polars as pl

from dedupe.schema import TEXT

# Zero-width and formatting characters that scrapes carry invisibly (ZWSP, ZWNJ, ZWJ, word
# joiner, BOM, soft hyphen): removed, not turned into spaces, so "wo\u200brd" compares as "word".
INVISIBLE_PATTERN = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
# Latin-1 characters that NFKC leaves alone ("©", "£", "»", "é"; not "½" or "²"). They are
# starters that compose with nothing before them, so a text of these and ASCII is NFKC already.
_NFKC_STABLE_LATIN1 = "".join(
    char
    for char in map(chr, range(0xA1, 0x100))
    if unicodedata.normalize("NFKC", char) == char and unicodedata.combining(char) == 0
)
# Characters NFKC may change: anything but ASCII, NBSP, the typographic quotes and dashes (which
# NFKC leaves alone; _QUOTES straightens them) and the stable Latin-1 ones. A third of scraped
# news articles hold a "©" or a "£" and nothing else for NFKC, the slowest step, to do.
NFKC_NEEDED = rf"[^\x00-\x7F\u00a0\u2018-\u201F\u2013\u2014{_NFKC_STABLE_LATIN1}]"
# Unicode white space beyond ASCII (the White_Space property); NFKC maps most to U+0020 already.
UNICODE_SPACE_PATTERN = r"[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Runs of ASCII white space that are not already one plain space: replacing every single space
# with itself would cost as much as the rest of normalization.
ASCII_SPACE_RUN = r"[ \t\n\r\f\v]{2,}|[\t\n\r\f\v]"
# The same in two cheaper steps (half the time): every other ASCII space character becomes a
# space, then runs of spaces become one. Each maximal run ends as one space either way.
_ASCII_SPACE_CHAR = r"[\t\n\r\f\v]"
_SPACE_RUN = " {2,}"
# Typographic quotes and dashes that one outlet sets and another does not.
_QUOTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
}


def clean_spaces(column: str = TEXT) -> pl.Expr:
    """Remove invisible characters and turn NBSP and other Unicode spaces into ASCII spaces."""
    return (
        pl.col(column)
        .str.replace_all(INVISIBLE_PATTERN, "")
        .str.replace_all(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000]", " ")
    )


def _fold(text: pl.Expr) -> pl.Expr:
    """Everything normalization does after NFKC: invisibles, quotes, spaces, case."""
    text = text.str.replace_all(INVISIBLE_PATTERN, "").str.replace_many(
        list(_QUOTES), list(_QUOTES.values())
    )
    return _fold_ascii(text.str.replace_all(UNICODE_SPACE_PATTERN, " "))


def _fold_ascii(text: pl.Expr) -> pl.Expr:
    """What `_fold` does to a pure-ASCII text: ASCII spaces and case (the rest cannot match)."""
    text = text.str.replace_all(_ASCII_SPACE_CHAR, " ").str.replace_all(_SPACE_RUN, " ")
    return text.str.strip_chars(" ").str.to_lowercase()


def normalized_text(column: str = TEXT) -> pl.Expr:
    """Return the comparison key of a text: NFKC, no invisibles, straight quotes, one space, lower.

    Idempotent: normalizing a normalized text returns it unchanged. For whole documents,
    :func:`normalize_texts` gives the same result faster.

    Example:
        >>> import polars as pl
        >>> frame = pl.DataFrame({"text": ["\u201cHello\u00a0\u00a0World\u201d "]})
        >>> frame.select(normalized_text()).item()
        '"hello world"'
    """
    # Lowercasing can produce characters whose NFKC form differs (rare, e.g. U+0130).
    return _fold(pl.col(column).str.normalize("NFKC")).str.normalize("NFKC")


def _nfkc_where_needed(texts: pl.Series, pattern: str = NFKC_NEEDED) -> pl.Series:
    rows = texts.str.contains(pattern).fill_null(False).arg_true()
    if len(rows) == 0:
        return texts
    return texts.scatter(rows, texts.gather(rows).str.normalize("NFKC"))


def normalize_texts(texts: pl.Series) -> pl.Series:
    """Normalize whole documents exactly as :func:`normalized_text` does, but faster.

    NFKC is the slow step (some 25 MB/s), so it runs only on the texts holding a character it
    could change: English news is ASCII but for typographic quotes, dashes and NBSP, which the
    other steps handle directly. A pure-ASCII text (as many bytes as characters) only has its
    spaces and case folded: NFKC, invisibles, quotes and Unicode spaces cannot touch it.
    """
    is_ascii = (texts.str.len_bytes() == texts.str.len_chars()).fill_null(value=True)
    if is_ascii.all():
        return _folded_ascii(texts)
    if not is_ascii.any():
        return _normalized_unicode(texts)
    ascii_rows = is_ascii.arg_true()
    other_rows = (~is_ascii).arg_true()
    parts = pl.concat(
        [_folded_ascii(texts.gather(ascii_rows)), _normalized_unicode(texts.gather(other_rows))]
    )
    return parts.gather(pl.concat([ascii_rows, other_rows]).arg_sort()).alias(texts.name)


def _folded_ascii(texts: pl.Series) -> pl.Series:
    return (
        texts.to_frame("_text").select(_fold_ascii(pl.col("_text"))).to_series().alias(texts.name)
    )


def _normalized_unicode(texts: pl.Series) -> pl.Series:
    folded = _nfkc_where_needed(texts).to_frame("_text").select(_fold(pl.col("_text")))
    # After lowercasing only a combining mark can be left for NFKC to compose: no single code
    # point lowercases to a non-NFKC form, but U+0130 lowercases to "i" + U+0307.
    return _nfkc_where_needed(folded.to_series(), r"\p{M}").alias(texts.name)


def is_blank(column: str) -> pl.Expr:
    """Whether a text holds nothing but whitespace, NBSP and invisible characters."""
    return clean_spaces(column).str.strip_chars().str.len_chars() == 0
