"""The cleaning stage: decide every line of the corpus with one rule each and rewrite ``text``.

Rules run in a fixed order and the first that fires names the line: whitespace, user drop
patterns, built-in rules, page features, repeated captions, learned lines, page context.
A keep pattern overrides them all. Empty lines are layout: dropped from the text, not logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from dedupe.boilerplate import (
    builtin_rule,
    is_sentence_like,
    matches_any,
    user_rule,
    validate_patterns,
)
from dedupe.captions import cluster_short_lines, find_repeated_captions
from dedupe.config import CleanConfig
from dedupe.errors import ConfigError
from dedupe.learned import mark_learned_lines
from dedupe.lines import (
    ALIVE,
    CHARS,
    CLUSTER,
    KEY,
    SCOPE,
    SENTENCE,
    STOP,
    WORDS,
    explode_lines,
    fold_lines,
)
from dedupe.normalize import is_blank, normalized_text
from dedupe.page import mark_page_lines, page_feature_rule, stop_word_share
from dedupe.schema import DOC_ID, LINE, LINE_NO, REMOVED_LINES_SCHEMA, RULE

logger = logging.getLogger(__name__)

LEARNED_SCHEMA = {
    "rule": pl.String,
    "scope": pl.String,
    "line": pl.String,
    "variants": pl.UInt32,
    "documents": pl.UInt32,
    "share": pl.Float64,
    "removed_lines": pl.UInt32,
}
# The host of a url, without scheme, credentials, port or a leading "www.".
_HOST_PATTERN = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:[^@/]*@)?(?:www\.)?([^/:?#]+)"


@dataclass(frozen=True, slots=True)
class CleanResult:
    """What cleaning returns.

    Attributes:
        corpus: the input rows and columns in the same order, with ``text`` rewritten.
        removed_lines: every removed line (``REMOVED_LINES_SCHEMA``), ``line_no`` 1-based.
        learned: the learned frequent lines with their scope and counts, for ``report.json``.
    """

    corpus: pl.DataFrame
    removed_lines: pl.DataFrame
    learned: pl.DataFrame


def source_scope(corpus: pl.DataFrame, source_column: str | None) -> pl.Expr | None:
    """Return the expression giving each document's source, or None to use the whole corpus.

    The source is ``source_column`` when given, else a ``source`` column, else the url host.

    Raises:
        ConfigError: ``source_column`` is not a column of the corpus.
    """
    if source_column is not None:
        if source_column not in corpus.columns:
            raise ConfigError(
                f"source column {source_column!r} is not in the corpus "
                f"(found: {', '.join(corpus.columns)}); pass --source-column with one of them"
            )
        return pl.col(source_column).cast(pl.String)
    if "source" in corpus.columns:
        return pl.col("source").cast(pl.String)
    if "url" in corpus.columns:
        return pl.col("url").cast(pl.String).str.to_lowercase().str.extract(_HOST_PATTERN)
    return None


def line_features(lines: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Return per distinct ``line``: its key, length, words, sentence shape and first text rule.

    Every feature depends on the line's text alone, so each distinct line is worked out once
    (pages repeat their menus, syndicated copies their paragraphs). A printable-ASCII line
    without double spaces normalizes to itself stripped and lower-cased, which skips NFKC and
    the space regex; any other line goes through `normalized_text`.
    """
    distinct = lines.select(LINE).unique()
    simple = pl.col(LINE).str.contains(r"^[ -~]*$") & ~pl.col(LINE).str.contains("  ", literal=True)
    ascii_key = pl.col(KEY).str.contains(r"^[\x00-\x7f]*$")
    keyed = pl.concat(
        [
            distinct.filter(simple).with_columns(
                pl.col(LINE).str.strip_chars(" ").str.to_lowercase().alias(KEY),
                pl.lit(value=False).alias("_blank"),
            ),
            distinct.filter(~simple).with_columns(
                normalized_text(LINE).alias(KEY),
                ((pl.col(LINE).str.len_chars() > 0) & is_blank(LINE)).alias("_blank"),
            ),
        ]
    ).with_columns(
        pl.col(KEY).str.len_chars().alias(CHARS),
        pl.col(KEY).str.count_matches(r"\S+").alias(WORDS),
    )
    keyed = keyed.with_columns(is_sentence_like().alias(SENTENCE))
    page = config.mode == "page"
    if page:
        keyed = keyed.with_columns(stop_word_share().alias(STOP))
    builtin = "_builtin"
    if config.builtin_rules:
        keyed = pl.concat(
            [
                keyed.filter(ascii_key).with_columns(builtin_rule(ascii_only=True).alias(builtin)),
                keyed.filter(~ascii_key).with_columns(builtin_rule().alias(builtin)),
            ]
        )
    else:
        keyed = keyed.with_columns(pl.lit(None, pl.String).alias(builtin))
    text_rules = [
        pl.when(pl.col("_blank")).then(pl.lit("builtin:whitespace_only")),
        user_rule(config.drop_pattern),
        pl.col(builtin),
    ]
    if page:
        text_rules.append(page_feature_rule(config.learn_max_chars))
    return keyed.with_columns(pl.coalesce(text_rules).alias("_text_rule")).drop("_blank", builtin)


def clean_corpus(corpus: pl.DataFrame, config: CleanConfig) -> CleanResult:
    r"""Remove boilerplate lines and repeated captions from every document.

    Rows, row order and columns stay as they are; only ``text`` changes. A document left with no
    line gets an empty text, and the pipeline marks it ``empty_after_cleaning``.

    Raises:
        ConfigError: a drop or keep pattern is not supported by Polars' regex engine, or
            ``source_column`` is missing.

    Example:
        >>> import polars as pl
        >>> from dedupe.config import CleanConfig
        >>> corpus = pl.DataFrame({"doc_id": ["a"], "text": ["Loading...\nRussia offers talks."]})
        >>> result = clean_corpus(corpus, CleanConfig())
        >>> result.corpus.item(0, "text"), result.removed_lines.item(0, "rule")
        ('Russia offers talks.', 'builtin:widget')
    """
    empty_learned = pl.DataFrame(schema=LEARNED_SCHEMA)
    if not config.enabled:
        return CleanResult(corpus, pl.DataFrame(schema=REMOVED_LINES_SCHEMA), empty_learned)
    validate_patterns((*config.drop_pattern, *config.keep_pattern))
    scope = source_scope(corpus, config.source_column)
    page = config.mode == "page"
    scopes = corpus.select(
        DOC_ID, (scope if scope is not None else pl.lit(None, pl.String)).fill_null("").alias(SCOPE)
    )
    exploded = explode_lines(corpus)
    lines = exploded.join(scopes, on=DOC_ID, how="left", maintain_order="left").join(
        line_features(exploded, config), on=LINE, how="left", maintain_order="left"
    )
    repeated = find_repeated_captions(
        lines.filter(pl.col(CHARS) > 0), similarity=config.caption_similarity
    ).with_columns(pl.lit("repeated_caption").alias("_caption"))
    lines = lines.join(repeated, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
    lines = lines.with_columns(
        (pl.col("_text_rule").is_null() & pl.col("_caption").is_null() & (pl.col(CHARS) > 0)).alias(
            ALIVE
        )
    )
    short = lines.filter(pl.col(ALIVE) & (pl.col(CHARS) <= config.learn_max_chars))
    clusters = cluster_short_lines(short.select(KEY, CHARS).unique(KEY))
    lines = lines.join(clusters, on=KEY, how="left", maintain_order="left").with_columns(
        pl.col(CLUSTER).fill_null(pl.col(KEY))
    )
    lines, learned = mark_learned_lines(
        lines,
        min_docs=config.learn_min_docs,
        min_share=config.learn_min_share,
        max_chars=config.learn_max_chars,
        has_source=scope is not None,
    )
    rules = ["_text_rule", "_caption", "_learned"]
    if page:
        lines = mark_page_lines(lines, max_chars=config.learn_max_chars)
        rules.append("_page")
    keep = matches_any(config.keep_pattern)
    lines = lines.with_columns(
        pl.when(~keep & (pl.col(LINE).str.len_chars() > 0)).then(pl.coalesce(rules)).alias(RULE)
    )
    removed = lines.filter(pl.col(RULE).is_not_null()).select(
        pl.col(name).cast(dtype) for name, dtype in REMOVED_LINES_SCHEMA.items()
    )
    kept = lines.filter(pl.col(RULE).is_null()).select(DOC_ID, LINE_NO, LINE)
    logger.info("removed %d of %d lines", removed.height, lines.height)
    return CleanResult(
        fold_lines(corpus, kept),
        removed,
        learned.select(pl.col(name).cast(dtype) for name, dtype in LEARNED_SCHEMA.items()),
    )
