"""Column names, drop reasons and line-rule names shared by every stage, and column discovery."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

import polars as pl

# Columns of the corpus frame that every stage reads.
DOC_ID = "doc_id"
TEXT = "text"

# Columns the stages add. They never delete rows: a row is dropped by setting DROP_REASON.
DROP_REASON = "reason"
DUPLICATE_OF = "duplicate_of"
SIMILARITY = "similarity"
# The document a dropped one was compared with (duplicate_of is the final canonical; they differ
# when the matched document is itself a copy), and the measure that decided (see Measure).
MATCHED = "matched"
MEASURE = "measure"
DETAIL = "detail"
CLUSTER_ID = "cluster_id"
CLUSTER_SIZE = "cluster_size"
DUPLICATE_IDS = "duplicate_ids"
DUPLICATE_URLS = "duplicate_urls"
DUPLICATE_SOURCES = "duplicate_sources"
# Internal columns, removed before output.
ROW_INDEX = "_row"
NORMALIZED = "_normalized"
CONTENT_KEY = "_content_key"  # stable 64-bit hash of the normalized text
CANONICAL_RANK = "_rank"
LENGTH = "_length"  # characters of the cleaned text
PREVIOUS = "_previous"  # a canonical document of an earlier run (--against)
LEAD_SIGNATURE = "_lead_signature"  # MinHash of the opening's shingles (duplicates.leads)

# Columns of the line frame and of removed_lines.
LINE_NO = "line_no"
LINE = "line"
RULE = "rule"

INTERNAL_PREFIX = "_"


# Pass-through columns the stages look for, in order, when none is configured.
DATE_CANDIDATES = ("published", "date", "published_at", "publish_date", "timestamp", "time")
SOURCE_CANDIDATES = ("source", "site", "domain", "publisher")
URL_CANDIDATES = ("url", "link", "source_url")
# scheme://[user@]host[:port]/... -> host, lower case, without a leading "www."
_HOST_PATTERN = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:[^@/]*@)?(?:www\.)?([^/:?#]+)"


def find_column(
    columns: Collection[str], configured: str | None, candidates: tuple[str, ...]
) -> str | None:
    """Return the configured column if ``columns`` has it, else the first candidate it has."""
    if configured is not None:
        return configured if configured in columns else None
    return next((c for c in candidates if c in columns), None)


def url_host(column: str) -> pl.Expr:
    """Return the lower-case host of a url, without ``www.`` (``https://www.bbc.co.uk/x``)."""
    return pl.col(column).str.to_lowercase().str.extract(_HOST_PATTERN, 1)


def source_key(corpus: pl.DataFrame, configured: str | None) -> pl.Expr | None:
    """Return an expression for each document's source: a source column, else its url host."""
    column = find_column(corpus.columns, configured, SOURCE_CANDIDATES)
    if column is not None:
        return pl.col(column).cast(pl.String).str.to_lowercase()
    url = find_column(corpus.columns, None, URL_CANDIDATES)
    return url_host(url) if url is not None else None


# The rules of learned lines, a closed set documented in the README (``Line rules``): a short
# line recurring across a source, across the corpus, and a template (numbers, times, month and
# day names masked) recurring across either.
LEARNED_RULES = ("learned:source", "learned:corpus", "learned:template")


class DropReason(StrEnum):
    """Why a document is in dropped, not in the corpus: a closed set, documented in the README.

    Example:
        >>> DropReason("near_duplicate") is DropReason.NEAR_DUPLICATE
        True
    """

    INVALID_RECORD = "invalid_record"
    EMPTY_AFTER_CLEANING = "empty_after_cleaning"
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"


class Measure(StrEnum):
    """What decided that a document duplicates the one it ``matched``: a closed set."""

    EXACT = "exact"
    JACCARD = "jaccard"
    CONTAINMENT = "containment"


DROPPED_SCHEMA = {
    DOC_ID: pl.String,
    DROP_REASON: pl.String,
    DUPLICATE_OF: pl.String,
    MATCHED: pl.String,
    MEASURE: pl.String,
    SIMILARITY: pl.Float64,
    DETAIL: pl.String,
}

REMOVED_LINES_SCHEMA = {
    DOC_ID: pl.String,
    LINE_NO: pl.Int32,
    LINE: pl.String,
    RULE: pl.String,
}
