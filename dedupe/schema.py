"""Column names, drop reasons and line-rule names shared by every stage, and corpus validation."""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from dedupe.errors import SchemaError

# Columns of the corpus frame that every stage reads.
DOC_ID = "doc_id"
TEXT = "text"

# Columns the stages add. They never delete rows: a row is dropped by setting DROP_REASON.
DROP_REASON = "reason"
DUPLICATE_OF = "duplicate_of"
SIMILARITY = "similarity"
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

# Columns of the line frame and of removed_lines.
LINE_NO = "line_no"
LINE = "line"
RULE = "rule"

INTERNAL_PREFIX = "_"


class DropReason(StrEnum):
    """Why a document is in dropped, not in the corpus: a closed set, documented in the README."""

    INVALID_RECORD = "invalid_record"
    EMPTY_AFTER_CLEANING = "empty_after_cleaning"
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"


CORPUS_SCHEMA_REQUIRED = {DOC_ID: pl.String, TEXT: pl.String}

DROPPED_SCHEMA = {
    DOC_ID: pl.String,
    DROP_REASON: pl.String,
    DUPLICATE_OF: pl.String,
    SIMILARITY: pl.Float64,
    DETAIL: pl.String,
}

REMOVED_LINES_SCHEMA = {
    DOC_ID: pl.String,
    LINE_NO: pl.Int32,
    LINE: pl.String,
    RULE: pl.String,
}


def validate_corpus(corpus: pl.DataFrame, *, name: str = "corpus") -> None:
    """Check that a corpus frame has string `doc_id` and `text` columns and unique ids.

    Raises:
        SchemaError: a required column is missing or is not a string, or an id repeats.
    """
    for column, dtype in CORPUS_SCHEMA_REQUIRED.items():
        if column not in corpus.columns:
            found = ", ".join(corpus.columns) or "no columns"
            raise SchemaError(
                f"{name} has no column '{column}' (found: {found}); "
                f"rename it or pass --{column.replace('_', '-')}-column"
            )
        if corpus.schema[column] != dtype:
            raise SchemaError(
                f"{name} column '{column}' has type {corpus.schema[column]}, expected {dtype}; "
                f"cast it to a string first"
            )
    repeated = corpus.filter(pl.col(DOC_ID).is_duplicated()).get_column(DOC_ID).unique().sort()
    if len(repeated):
        shown = ", ".join(repeated.head(5).to_list())
        raise SchemaError(
            f"{name} has {len(repeated)} repeated doc_id values (e.g. {shown}); "
            "doc ids must be unique"
        )
