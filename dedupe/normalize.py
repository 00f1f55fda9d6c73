"""Text normalization for comparison, as Polars expression builders (NFKC, spaces, quotes, case)."""

from __future__ import annotations

import polars as pl

from dedupe.schema import TEXT

# Zero-width and formatting characters that scrapes carry invisibly (ZWSP, ZWNJ, ZWJ, word
# joiner, BOM, soft hyphen): removed, not turned into spaces, so "wo\u200brd" compares as "word".
INVISIBLE_PATTERN = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
# Every Unicode space, NBSP included, after NFKC has mapped most of them to U+0020.
SPACE_PATTERN = r"[\s\u00a0\u2007\u202f]+"
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


def normalized_text(column: str = TEXT) -> pl.Expr:
    """Return the comparison key of a text: NFKC, no invisibles, straight quotes, one space, lower.

    Idempotent: normalizing a normalized text returns it unchanged.

    Example:
        >>> import polars as pl
        >>> frame = pl.DataFrame({"text": ["\u201cHello\u00a0\u00a0World\u201d "]})
        >>> frame.select(normalized_text()).item()
        '"hello world"'
    """
    expr = pl.col(column).str.normalize("NFKC").str.replace_all(INVISIBLE_PATTERN, "")
    expr = expr.str.replace_many(list(_QUOTES), list(_QUOTES.values()))
    return (
        expr.str.replace_all(SPACE_PATTERN, " ")
        .str.strip_chars(" ")
        .str.to_lowercase()
        # Lowercasing can produce characters whose NFKC form differs (rare, e.g. U+0130).
        .str.normalize("NFKC")
    )


def is_blank(column: str) -> pl.Expr:
    """Whether a text holds nothing but whitespace, NBSP and invisible characters."""
    return clean_spaces(column).str.strip_chars().str.len_chars() == 0
