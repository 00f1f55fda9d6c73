"""Learned lines: short lines that recur across the documents of a source or of the corpus.

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

from dedupe.lines import ALIVE, CHARS, CLUSTER, KEY, SCOPE, SENTENCE
from dedupe.schema import DOC_ID, LINE_NO, RULE

logger = logging.getLogger(__name__)


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
