"""Learned lines: short lines that recur across the documents of a source or of the corpus.

1. A line is *alive* when no text rule (whitespace, built-in, user, page feature, caption) removed
   it. Only alive lines are counted, and positions below are positions among alive lines.
2. Each document has an *article key*: its longest alive line longer than ``learn_max_chars`` (or
   its ``doc_id`` when it has none). Documents are counted as distinct article keys, so twenty
   copies of one wire story count once and their title is not mistaken for site chrome.
3. A *candidate* is an alive line with a letter and at most ``learn_max_chars`` normalized
   characters whose cluster (its normalized text, or its MinHash caption cluster from
   `dedupe.clean.captions`) occurs in at least
   ``learn_min_docs`` articles and in at least ``learn_min_share`` of the articles of its scope:
   its source (rule ``learned:source``), else the whole corpus (rule ``learned:corpus``).
4. An *anchor* is an alive line that is longer than ``learn_max_chars`` or is sentence-like (ends
   with ``. ! ?`` or a closing quote after one, and has at least 6 words) and is not a candidate,
   or is a table row (two numbers or more) that no exact learned line matches.
   The *body* is what lies between a document's first and last anchor.
5. A *template* is a short line's shape with its numbers, times, counts ("3.1k") and month and
   day names masked ("# hours ago", "updated # et, <name> <name> #, #"). Templates are counted
   like lines (distinct articles, per source and over the corpus, the same ``learn_min_docs`` and
   ``learn_min_share``); a frequent template that at least two distinct lines share is learned
   (rule ``learned:template``), and its lines are candidates too, behind exact lines.
6. A candidate is removed unless it is sentence-like (a recurring quote or standard sentence), or
   it is in the body directly between two content lines (anchors or sentence-like lines), like a
   recurring subheading, or it is a template's line that is not between two lines of chrome
   (lines another rule of the document removed, or the document's edges): a table's rows share
   a template too. Elsewhere, notably in the top and bottom blocks, it is chrome.

Counting is split so that it runs batch by batch: `count_line_statistics` reduces one batch to
hashed counts, `learn_frequent_lines` learns from the statistics of every batch, and
`mark_learned_lines` applies what was learned to one batch. Counts only fall and anchors only
gain when a cleaned corpus is cleaned again, which makes the rule idempotent (see
``tests/test_clean.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import polars as pl

from dedupe.clean.boilerplate import DAY_NAMES, MONTH_NAMES, ascii_pattern
from dedupe.clean.captions import cluster_short_lines
from dedupe.clean.lines import (
    ALIVE,
    ARTICLE,
    CHARS,
    CLUSTER,
    ELIGIBLE,
    HASH_SEED,
    KEY,
    KEY_HASH,
    MARK,
    OCCURRENCES,
    SCOPE,
    SENTENCE,
    TEMPLATE_HASH,
)
from dedupe.schema import DOC_ID, LINE_NO, RULE

logger = logging.getLogger(__name__)

LEARNED_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "rule": pl.String,
    "scope": pl.String,
    "line": pl.String,
    "variants": pl.UInt32,
    "documents": pl.UInt32,
    "share": pl.Float64,
    "removed_lines": pl.UInt32,
    "examples": pl.List(pl.String),
}
# The statistics of one batch, five kinds of rows told apart by their nulls: a document row
# (scope, article), a count row (scope, article, key hash, occurrences) per eligible line key of
# a document's article, a key row (key hash, key) per distinct alive short line, a template count
# row (scope, article, template hash, occurrences) and a template member row (template hash, key
# hash) per distinct eligible line with a template.
STATISTICS_SCHEMA = {
    SCOPE: pl.String,
    ARTICLE: pl.UInt64,
    KEY_HASH: pl.UInt64,
    OCCURRENCES: pl.UInt32,
    KEY: pl.String,
    TEMPLATE_HASH: pl.UInt64,
}
# One batch's removals per learned key, summed over batches by `report_learned_lines`.
LEARNED_COUNTS_SCHEMA = {
    RULE: pl.String,
    "scope": pl.String,
    KEY_HASH: pl.UInt64,
    "removed_lines": pl.UInt32,
}
# The learned table, one row per member line key of a learned cluster; for ``learned:template``
# one row per template, whose hash is in ``_key_hash`` and whose example lines are in
# ``examples``.
LEARNED_KEYS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    RULE: pl.String,
    "scope": pl.String,
    KEY_HASH: pl.UInt64,
    "line": pl.String,
    "variants": pl.UInt32,
    "documents": pl.UInt32,
    "share": pl.Float64,
    "examples": pl.List(pl.String),
}
_REPORT_ORDER = (["rule", "scope", "documents", "line"], [False, False, True, False])


# Placeholders of masked parts: "#" for a number, a time or a count, "<name>" for a month or day
# name. Numbers are matched without word boundaries, which Unicode makes slow ("3.1k" and "2nd"
# become "#k" and "#nd", the same in every copy).
_NUMBER = r"\d+([.,:]\d+)*"
_NAMES = rf"\b({MONTH_NAMES}|{DAY_NAMES})\b\.?"
_CLOCK = r"# ?(a\.m\.|p\.m\.|am|pm)\b"
_ASCII_MASKS = (ascii_pattern(_NAMES), ascii_pattern(_NUMBER), ascii_pattern(_CLOCK))
_LETTER = r"\p{L}"
TEMPLATE_EXAMPLES = 3
# Numbers in a line from which it is a table row, which the body guard counts as content.
TABLE_ROW_NUMBERS = 2


def masked_line(key: str = KEY, *, ascii_only: bool = False) -> pl.Expr:
    """Return a normalized line with numbers, times and month and day names masked.

    Numbers and clock times become ``#``, month and day names ``<name>``, in the languages of
    `dedupe.clean.boilerplate.MONTH_NAMES`. With ``ascii_only`` (every key is pure ASCII), the
    faster ASCII forms of the patterns apply (`dedupe.clean.boilerplate.ascii_pattern`).
    """
    names, number, clock = _ASCII_MASKS if ascii_only else (_NAMES, _NUMBER, _CLOCK)
    return (
        pl.col(key)
        .str.replace_all(names, "<name>")
        .str.replace_all(number, "#")
        .str.replace_all(clock, "#")
    )


def template_key(key: str = KEY, masked: str | None = None, *, ascii_only: bool = False) -> pl.Expr:
    """Return a normalized line's template, or null when nothing in it was masked.

    The template is `masked_line`; a template with no letter left beside its placeholders
    ("# <name> #") is null too: a bare date is the built-in ``date_stamp``'s, and a row of
    numbers is a table.

    Args:
        key: the column of normalized lines.
        masked: a column already holding `masked_line` of ``key``, to mask only once.
        ascii_only: every key is pure ASCII, so the faster ASCII forms of the patterns apply.

    Example:
        >>> import polars as pl
        >>> frame = pl.DataFrame({"_key": ["posted 5 hours ago", "about us"]})
        >>> frame.select(template_key()).to_series().to_list()
        ['posted # hours ago', None]
    """
    template = masked_line(key, ascii_only=ascii_only) if masked is None else pl.col(masked)
    letter = ascii_pattern(_LETTER) if ascii_only else _LETTER
    letters = template.str.replace_all("<name>", "", literal=True).str.contains(letter)
    return pl.when((template != pl.col(key)) & letters).then(template)


def with_template_hashes(
    keys: pl.DataFrame, *, max_chars: int, ascii_only: bool = False
) -> pl.DataFrame:
    """Add ``_template_hash`` to a frame of distinct keys: its template's hash, or null.

    Only keys of at most ``max_chars`` characters (``_chars``) get one: the learned rules never
    count longer lines. ``ascii_only`` says that every key is pure ASCII (see `masked_line`).
    """
    short = keys.filter(pl.col(CHARS) <= max_chars)
    hashed = (
        short.select(KEY, masked_line(ascii_only=ascii_only).alias("_masked"))
        .select(KEY, template_key(masked="_masked", ascii_only=ascii_only).alias("_template"))
        .select(
            KEY,
            pl.when(pl.col("_template").is_not_null())
            .then(pl.col("_template").hash(HASH_SEED))
            .alias(TEMPLATE_HASH),
        )
        .unique(KEY)
    )
    return keys.join(hashed, on=KEY, how="left", maintain_order="left")


def _article_keys(lines: pl.LazyFrame, *, max_chars: int) -> pl.LazyFrame:
    """Each document's scope and article key: the hash of its longest long alive line, or its id."""
    longest = (
        lines.filter(pl.col(ALIVE) & (pl.col(CHARS) > max_chars))
        .sort([DOC_ID, CHARS, LINE_NO], descending=[False, True, False])
        .group_by(DOC_ID)
        .agg(pl.col(KEY_HASH).first().alias(ARTICLE))
    )
    by_id = (pl.lit("\x00id:") + pl.col(DOC_ID)).hash(HASH_SEED)
    return (
        lines.select(DOC_ID, SCOPE)
        .unique(DOC_ID, maintain_order=True)
        .join(longest, on=DOC_ID, how="left")
        .with_columns(pl.coalesce(ARTICLE, by_id).alias(ARTICLE))
    )


def count_line_statistics(lines: pl.DataFrame, *, max_chars: int) -> pl.DataFrame:
    """Reduce one batch's line frame to what learning needs (``STATISTICS_SCHEMA``).

    The statistics of several batches concatenated are the statistics of their union: every
    count is per document or per distinct key, and documents never span batches.
    """
    frame = lines.lazy()
    articles = _article_keys(frame, max_chars=max_chars)
    counts = (
        frame.filter(pl.col(ELIGIBLE))
        .group_by(DOC_ID, KEY_HASH)
        .agg(pl.len().cast(pl.UInt32).alias(OCCURRENCES))
        .join(articles, on=DOC_ID)
        .group_by(SCOPE, ARTICLE, KEY_HASH)
        .agg(pl.col(OCCURRENCES).sum())
    )
    keys = (
        frame.filter(pl.col(ALIVE) & (pl.col(CHARS) <= max_chars))
        .select(KEY_HASH, KEY)
        .unique(KEY_HASH)
    )
    templated = frame.filter(pl.col(ELIGIBLE) & pl.col(TEMPLATE_HASH).is_not_null())
    template_counts = (
        templated.group_by(DOC_ID, TEMPLATE_HASH)
        .agg(pl.len().cast(pl.UInt32).alias(OCCURRENCES))
        .join(articles, on=DOC_ID)
        .group_by(SCOPE, ARTICLE, TEMPLATE_HASH)
        .agg(pl.col(OCCURRENCES).sum())
    )
    members = templated.select(TEMPLATE_HASH, KEY_HASH).unique()
    return (
        pl.concat(
            [articles.drop(DOC_ID), counts, keys, template_counts, members],
            how="diagonal_relaxed",
        )
        .select(pl.col(name).cast(dtype) for name, dtype in STATISTICS_SCHEMA.items())
        .collect()
    )


def _count_clusters(
    counts: pl.DataFrame, articles: pl.DataFrame, *, by_source: bool, min_docs: int, share: float
) -> pl.DataFrame:
    """Documents, variants and most frequent key of each cluster of a scope, kept if frequent."""
    scope = [SCOPE] if by_source else []
    if by_source:
        totals = articles.group_by(SCOPE).agg(pl.col(ARTICLE).n_unique().alias("_total"))
    else:
        totals = articles.select(pl.col(ARTICLE).n_unique().alias("_total"))
    by_key = counts.group_by([*scope, CLUSTER, KEY]).agg(pl.col(OCCURRENCES).sum())
    # The cluster's name is its most frequent line, the least such key on a tie.
    names = (
        by_key.sort(OCCURRENCES, KEY, descending=[True, False])
        .group_by([*scope, CLUSTER])
        .agg(pl.col(KEY).first().alias("line"), pl.len().alias("variants"))
    )
    counted = (
        counts.group_by([*scope, CLUSTER])
        .agg(pl.col(ARTICLE).n_unique().alias("documents"))
        .join(names, on=[*scope, CLUSTER])
    )
    counted = counted.join(totals, on=SCOPE) if by_source else counted.join(totals, how="cross")
    return counted.with_columns((pl.col("documents") / pl.col("_total")).alias("share")).filter(
        (pl.col("documents") >= min_docs) & (pl.col("share") >= share)
    )


# Month names vary between copies of one caption or credit, like the digits of a date.
MONTHS = r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"


def line_skeleton(column: str = KEY) -> pl.Expr:
    """The letters of a line without month names: what copies of one caption or credit share."""
    return pl.col(column).str.replace_all(MONTHS, "").str.replace_all(r"[^\p{L}]+", "")


def _possible_keys(keys: pl.DataFrame, occurrences: pl.DataFrame, *, min_docs: int) -> pl.DataFrame:
    """Keys that could be learned: their skeleton occurs in at least ``min_docs`` articles.

    The skeleton keeps a line's letters without month names: what copies of one caption or
    credit share when a date, a number or punctuation changes ("/AFP", "(AFP)"). A key whose
    skeleton is rarer cannot reach ``min_docs`` with such variants, so it is not clustered:
    most short lines are one article's headline, and clustering a million of them would cost
    gigabytes for nothing.
    """
    skeletons = keys.select(KEY_HASH, KEY, CHARS, line_skeleton().alias("_skeleton"))
    frequent = (
        occurrences.join(skeletons.select(KEY_HASH, "_skeleton"), on=KEY_HASH)
        .group_by("_skeleton")
        .agg(pl.col(ARTICLE).n_unique().alias("_articles"))
        .filter(pl.col("_articles") >= min_docs)
    )
    return skeletons.join(frequent.select("_skeleton"), on="_skeleton", how="semi")


def _learn_templates(
    statistics: pl.DataFrame,
    articles: pl.DataFrame,
    keys: pl.DataFrame,
    *,
    min_docs: int,
    min_share: float,
) -> pl.DataFrame:
    """The frequent templates of each source and of the corpus (rule ``learned:template``).

    A template is learned in a scope when it occurs in at least ``min_docs`` distinct articles
    and ``min_share`` of the scope's articles, and at least two distinct lines share it (one line
    alone is an exact line, which the other rules learn). Rows follow ``LEARNED_KEYS_SCHEMA``,
    with the template's hash as ``_key_hash``.
    """
    counts = statistics.filter(
        pl.col(TEMPLATE_HASH).is_not_null() & pl.col(ARTICLE).is_not_null()
    ).select(SCOPE, ARTICLE, TEMPLATE_HASH)
    members = (
        statistics.filter(pl.col(TEMPLATE_HASH).is_not_null() & pl.col(KEY_HASH).is_not_null())
        .select(TEMPLATE_HASH, KEY_HASH)
        .unique()
        .join(keys.select(KEY_HASH, KEY), on=KEY_HASH)
        .sort(KEY)
        .group_by(TEMPLATE_HASH)
        .agg(
            pl.col(KEY).first().alias("_first"),
            pl.len().alias("variants"),
            pl.col(KEY).head(TEMPLATE_EXAMPLES).alias("examples"),
        )
        .filter(pl.col("variants") >= 2)
        .with_columns(template_key("_first").alias("line"))
        .drop("_first")
    )
    found = []
    scopes = [True] if articles.get_column(SCOPE).is_not_null().any() else []
    for by_source in [*scopes, False]:
        scope = [SCOPE] if by_source else []
        if by_source:
            totals = articles.group_by(SCOPE).agg(pl.col(ARTICLE).n_unique().alias("_total"))
        else:
            totals = articles.select(pl.col(ARTICLE).n_unique().alias("_total"))
        counted = counts.group_by([*scope, TEMPLATE_HASH]).agg(
            pl.col(ARTICLE).n_unique().alias("documents")
        )
        counted = counted.join(totals, on=SCOPE) if by_source else counted.join(totals, how="cross")
        frequent = counted.with_columns(
            (pl.col("documents") / pl.col("_total")).alias("share"),
            pl.lit("learned:template").alias(RULE),
        ).filter((pl.col("documents") >= min_docs) & (pl.col("share") >= min_share))
        if not by_source:
            frequent = frequent.with_columns(pl.lit(None, pl.String).alias(SCOPE))
        found.append(frequent.drop("_total"))
    return (
        pl.concat([frame.select(sorted(frame.columns)) for frame in found])
        .join(members, on=TEMPLATE_HASH)
        .rename({SCOPE: "scope", TEMPLATE_HASH: KEY_HASH})
    )


def learn_frequent_lines(
    statistics: pl.DataFrame, *, min_docs: int, min_share: float, max_chars: int
) -> pl.DataFrame:
    """Learn the frequent short lines from the statistics of every batch, concatenated.

    Near-identical keys are first joined into caption clusters (`cluster_short_lines`); a
    cluster is learned per source when documents carry one, and over the whole corpus.

    Args:
        statistics: `count_line_statistics` of every batch, concatenated in any order.
        min_docs: fewest distinct articles a learned line occurs in.
        min_share: smallest share of its scope's articles a learned line occurs in.
        max_chars: longest normalized line that can be learned.

    Returns:
        One row per line key of each learned cluster: ``rule``, ``scope`` (null for
        ``learned:corpus``), ``_key_hash``, and the cluster's ``line``, ``variants``,
        ``documents`` and ``share``.
    """
    articles = statistics.filter(
        pl.col(KEY_HASH).is_null() & pl.col(TEMPLATE_HASH).is_null()
    ).select(SCOPE, ARTICLE)
    keys = (
        statistics.filter(pl.col(KEY).is_not_null())
        .select(KEY_HASH, KEY)
        .unique(KEY_HASH)
        .with_columns(pl.col(KEY).str.len_chars().alias(CHARS))
    )
    occurrences = statistics.filter(
        pl.col(KEY_HASH).is_not_null() & pl.col(ARTICLE).is_not_null()
    ).select(SCOPE, ARTICLE, KEY_HASH, OCCURRENCES)
    templates = _learn_templates(statistics, articles, keys, min_docs=min_docs, min_share=min_share)
    candidates = _possible_keys(keys, occurrences, min_docs=min_docs)
    # Only the possible keys: any other key is a cluster of its own in fewer than min_docs
    # articles, never learned, and joining its occurrences cost gigabytes at 1,000,000 documents.
    clusters = (
        candidates.select(KEY_HASH, KEY)
        .join(cluster_short_lines(candidates.select(KEY, CHARS)), on=KEY, how="left")
        .with_columns(pl.col(CLUSTER).fill_null(pl.col(KEY)))
        .select(KEY_HASH, KEY, CLUSTER)
    )
    counts = occurrences.join(clusters, on=KEY_HASH)
    found = []
    # Without a source column every scope is null, and only the corpus is a scope.
    if articles.get_column(SCOPE).is_not_null().any():
        found.append(
            _count_clusters(
                counts, articles, by_source=True, min_docs=min_docs, share=min_share
            ).with_columns(pl.lit("learned:source").alias(RULE))
        )
    found.append(
        _count_clusters(
            counts, articles, by_source=False, min_docs=min_docs, share=min_share
        ).with_columns(pl.lit("learned:corpus").alias(RULE), pl.lit(None, pl.String).alias(SCOPE))
    )
    columns = [RULE, SCOPE, CLUSTER, "line", "variants", "documents", "share"]
    learned = (
        pl.concat(
            [
                pl.concat([frame.select(columns) for frame in found])
                .join(clusters.select(CLUSTER, KEY_HASH), on=CLUSTER)
                .rename({SCOPE: "scope"})
                .with_columns(pl.lit(None, pl.List(pl.String)).alias("examples")),
                templates,
            ],
            how="diagonal_relaxed",
        )
        .select(pl.col(name).cast(dtype) for name, dtype in LEARNED_KEYS_SCHEMA.items())
        .sort(RULE, "scope", KEY_HASH)
    )
    logger.info(
        "learned %d frequent lines from %d keys of %d documents",
        learned.unique([RULE, "scope", "line"]).height,
        keys.height,
        articles.height,
    )
    return learned


def mark_learned_lines(
    lines: pl.DataFrame, learned: pl.DataFrame, *, max_chars: int
) -> pl.DataFrame:
    """Add ``_learned``: the rule of each learned line the guards do not protect, else null.

    Args:
        lines: one batch's line frame with ``_key_hash``, ``_chars``, ``_sentence``, ``_alive``,
            ``_eligible`` and ``_scope``, in line order within each document.
        learned: the table of `learn_frequent_lines`.
        max_chars: longest normalized line that can be learned.
    """
    by_source_rule = learned.filter(pl.col(RULE) == "learned:source").select(
        pl.col("scope").alias(SCOPE), KEY_HASH, pl.col(RULE).alias("_rule_source")
    )
    by_corpus_rule = learned.filter(pl.col(RULE) == "learned:corpus").select(
        KEY_HASH, pl.col(RULE).alias("_rule_corpus")
    )
    template = learned.filter(pl.col(RULE) == "learned:template")
    by_source_template = template.filter(pl.col("scope").is_not_null()).select(
        pl.col("scope").alias(SCOPE),
        pl.col(KEY_HASH).alias(TEMPLATE_HASH),
        pl.col(RULE).alias("_template_source"),
    )
    by_corpus_template = template.filter(pl.col("scope").is_null()).select(
        pl.col(KEY_HASH).alias(TEMPLATE_HASH), pl.col(RULE).alias("_template_corpus")
    )
    # Whether the non-empty line above and below was removed by a rule of its document alone (or
    # is the document's edge).
    chrome = pl.col(MARK).is_not_null()
    neighbours = (
        lines.lazy()
        .filter(pl.col(CHARS) > 0)
        .select(
            DOC_ID,
            LINE_NO,
            chrome.shift(1).over(DOC_ID).fill_null(value=True).alias("_chrome_before"),
            chrome.shift(-1).over(DOC_ID).fill_null(value=True).alias("_chrome_after"),
        )
    )
    alive = (
        lines.lazy()
        .filter(pl.col(ALIVE))
        .select(DOC_ID, LINE_NO, SCOPE, KEY_HASH, KEY, TEMPLATE_HASH, SENTENCE, CHARS, ELIGIBLE)
        .join(by_source_rule.lazy(), on=[SCOPE, KEY_HASH], how="left", maintain_order="left")
        .join(by_corpus_rule.lazy(), on=KEY_HASH, how="left", maintain_order="left")
        .join(
            by_source_template.lazy(),
            on=[SCOPE, TEMPLATE_HASH],
            how="left",
            maintain_order="left",
        )
        .join(by_corpus_template.lazy(), on=TEMPLATE_HASH, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col(ELIGIBLE))
            .then(
                pl.coalesce("_rule_source", "_rule_corpus", "_template_source", "_template_corpus")
            )
            .alias("_candidate_rule")
        )
    )
    if template.height:
        alive = alive.join(neighbours, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
    else:
        # No template was learned: the neighbours never matter, so they are not worked out.
        alive = alive.with_columns(
            pl.lit(value=True).alias("_chrome_before"), pl.lit(value=True).alias("_chrome_after")
        )
    sentence = pl.col(SENTENCE)
    candidate = pl.col("_candidate_rule").is_not_null()
    # A table row that no exact learned line matches (two numbers or more: "Shr 22 cts vs 17
    # cts") is content too, so the recurring subheadings of a results table stay ("Nine mths").
    table_row = (pl.col(KEY).str.count_matches(_NUMBER) >= TABLE_ROW_NUMBERS).fill_null(
        value=False
    ) & ~pl.col("_candidate_rule").is_in(["learned:source", "learned:corpus"]).fill_null(
        value=False
    )
    anchor = (pl.col(CHARS) > max_chars) | (sentence & ~candidate) | table_row
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
    # A template's line is chrome only among chrome: lines of one shape next to content are a
    # table's rows ("Revs 294.4 mln vs 155.7 mln", a results list), not counters.
    template_in_content = (pl.col("_candidate_rule") == "learned:template") & ~(
        pl.col("_chrome_before") & pl.col("_chrome_after")
    )
    protected = (
        sentence
        | (pl.col("_body") & pl.col("_before") & pl.col("_after"))
        | template_in_content.fill_null(value=False)
    )
    decided = alive.select(
        DOC_ID, LINE_NO, pl.when(~protected).then(pl.col("_candidate_rule")).alias("_learned")
    )
    return (
        lines.lazy()
        .join(decided, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
        .collect()
    )


def count_learned_removals(removed_lines: pl.DataFrame) -> pl.DataFrame:
    """Count one batch's removals per learned key (``LEARNED_COUNTS_SCHEMA``).

    Args:
        removed_lines: the removed rows of a line frame, with ``rule``, ``_scope`` and
            ``_key_hash``.
    """
    return (
        removed_lines.filter(pl.col(RULE).str.starts_with("learned:"))
        .group_by(
            RULE,
            pl.when(pl.col(RULE).is_in(["learned:source", "learned:template"]))
            .then(pl.col(SCOPE))
            .alias("scope"),
            KEY_HASH,
        )
        .agg(pl.len().alias("removed_lines"))
        .select(pl.col(name).cast(dtype) for name, dtype in LEARNED_COUNTS_SCHEMA.items())
    )


def report_learned_lines(learned: pl.DataFrame, counts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Return the learned lines for ``report.json`` (``LEARNED_SCHEMA``), with lines removed.

    Args:
        learned: the table of `learn_frequent_lines`.
        counts: `count_learned_removals` of every batch.
    """
    keys = [RULE, "scope", KEY_HASH]
    # A template's removals carry the line's source: they belong to the corpus-wide template
    # when the source did not learn it.
    by_source = learned.select(keys).with_columns(pl.lit(value=True).alias("_by_source"))
    removed = (
        pl.concat([pl.DataFrame(schema=LEARNED_COUNTS_SCHEMA), *counts])
        .join(by_source, on=keys, how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("_by_source").is_null() & (pl.col(RULE) == "learned:template"))
            .then(pl.lit(None, pl.String))
            .otherwise(pl.col("scope"))
            .alias("scope")
        )
        .drop("_by_source")
        .join(learned.select(*keys, "line"), on=keys, nulls_equal=True)
        .group_by(RULE, "scope", "line")
        .agg(pl.col("removed_lines").sum())
    )
    by, descending = _REPORT_ORDER
    return (
        learned.unique([RULE, "scope", "line"])
        .join(removed, on=[RULE, "scope", "line"], how="left", nulls_equal=True)
        .with_columns(pl.col("removed_lines").fill_null(0))
        .select(pl.col(name).cast(dtype) for name, dtype in LEARNED_SCHEMA.items())
        .sort(by, descending=descending)
    )


def merge_learned_reports(reports: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Sum the ``removed_lines`` of per-batch reports of one learned table (``LEARNED_SCHEMA``)."""
    columns = [name for name in LEARNED_SCHEMA if name != "removed_lines"]
    by, descending = _REPORT_ORDER
    return (
        pl.concat([pl.DataFrame(schema=LEARNED_SCHEMA), *reports])
        .group_by(columns)
        .agg(pl.col("removed_lines").sum())
        .select(pl.col(name).cast(dtype) for name, dtype in LEARNED_SCHEMA.items())
        .sort(by, descending=descending)
    )
