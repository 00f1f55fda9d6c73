"""Explode a corpus into a `(doc_id, line_no, line)` frame and fold kept lines back into text."""

from __future__ import annotations

import polars as pl

from dedupe.schema import DOC_ID, LINE, LINE_NO, TEXT

# Internal columns of the line frame, added by the cleaning stage and its rules: the normalized
# line (kept for short lines only) and its 64-bit hash, its length and word count, whether it
# reads as a sentence, its stop-word share (page mode), whether no text rule removed it, whether
# the learned rule may count it, whether nothing may remove it (a keep pattern, an empty line),
# the rule of its document alone (text rule or repeated caption), its document's source, and its
# caption cluster.
KEY = "_key"
KEY_HASH = "_key_hash"
CHARS = "_chars"
WORDS = "_words"
SENTENCE = "_sentence"
STOP = "_stop"
ALIVE = "_alive"
ELIGIBLE = "_eligible"
PROTECTED = "_protected"
MARK = "_mark"
SCOPE = "_scope"
CLUSTER = "_cluster"
# The hash of a short line's template (numbers, times, month and day names masked; see
# `dedupe.clean.learned.template_key`), null when the line has nothing to mask.
TEMPLATE_HASH = "_template_hash"
# Columns of the learning statistics: a document's article key (a hash) and how often a line
# occurs in it.
ARTICLE = "_article"
OCCURRENCES = "_occurrences"
# Seed of `pl.Expr.hash` for line and article keys: stable within one run (one Polars version),
# which is all the keys need, since they are never persisted beyond a run.
HASH_SEED = 0

# "\r\n" and a lone "\r" (old Mac files, some CMS exports) are newlines too.
NEWLINE_PATTERN = r"\r\n?"


def explode_lines(corpus: pl.DataFrame) -> pl.DataFrame:
    r"""Split every document's text into lines, one row per line.

    ``line_no`` is 1-based over the split on newlines, so it points into the original text. An
    empty text gives one empty line.

    Example:
        >>> import polars as pl
        >>> corpus = pl.DataFrame({"doc_id": ["a"], "text": ["Title\r\n\nBody"]})
        >>> explode_lines(corpus).rows()
        [('a', 1, 'Title'), ('a', 2, ''), ('a', 3, 'Body')]
    """
    return (
        corpus.lazy()
        .select(
            DOC_ID,
            pl.col(TEXT).str.replace_all(NEWLINE_PATTERN, "\n").str.split("\n").alias(LINE),
        )
        .with_columns(pl.int_ranges(1, pl.col(LINE).list.len() + 1, dtype=pl.Int32).alias(LINE_NO))
        .explode(LINE, LINE_NO)
        .select(DOC_ID, LINE_NO, LINE)
        .collect()
    )


def fold_kept_lines(corpus: pl.DataFrame, kept: pl.DataFrame) -> pl.DataFrame:
    """Rewrite ``text`` from the kept lines: trailing spaces stripped, empty lines left out.

    Args:
        corpus: the corpus the lines came from; its rows, order and other columns are kept.
        kept: the kept rows of a line frame from `explode_lines`, in line order within a document.

    A document with no kept line gets an empty text; the pipeline marks it, not this function.
    """
    folded = (
        kept.lazy()
        .with_columns(pl.col(LINE).str.strip_chars_end())
        .filter(pl.col(LINE).str.len_chars() > 0)
        .group_by(DOC_ID, maintain_order=True)
        .agg(pl.col(LINE).str.join("\n").alias(TEXT))
        .collect()
    )
    columns = corpus.columns
    return (
        corpus.drop(TEXT)
        .join(folded, on=DOC_ID, how="left", maintain_order="left")
        .with_columns(pl.col(TEXT).fill_null(""))
        .select(columns)
    )
