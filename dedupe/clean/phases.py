"""The cleaning stage: decide every line of the corpus with one rule each and rewrite ``text``.

Rules run in a fixed order and the first that fires names the line: whitespace, user drop
patterns, built-in rules, page features, repeated captions, related-content blocks, learned
lines, page context.
A keep pattern overrides them all. Empty lines are layout: dropped from the text, not logged.

Only the learned lines need the whole corpus, so cleaning runs in phases, batch by batch, and
never needs the corpus in memory at once (`clean_corpus` is the phases on one batch):

1. ``lines = mark_lines(batch, config)`` explodes a batch into its line frame and applies every
   rule that looks at one document alone. The frame holds no text, only ids, hashes, features
   and short normalized lines, so a pipeline may keep it or spill it to Parquet.
2. ``statistics = count_statistics(lines, config)`` reduces it to hashed counts (small: one row
   per document, per distinct short line of an article and per distinct short line).
3. ``learned = learn_lines(pl.concat(all statistics), config)``, once, over every batch.
4. ``lines = apply_learned(lines, learned, config)`` marks learned lines and page context and
   settles keep patterns, per batch.
5. ``result = rewrite_texts(batch, lines, learned)`` rewrites the batch's text from the kept
   lines and lists its removed lines; `merge_learned_reports` sums the batches'
   ``result.learned`` into the learned-lines report.

Steps 4 and 5 need the same batch (its rows, in any order) that step 1 saw, and the same config
throughout. Any split of the corpus into batches gives the same texts, removed lines and learned
table as one batch (``tests/test_clean.py`` proves it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from dedupe.clean.boilerplate import (
    ascii_pattern,
    builtin_rule,
    is_sentence_like,
    matches_any,
    related_block_rule,
    user_rule,
    validate_patterns,
)
from dedupe.clean.captions import find_repeated_captions
from dedupe.clean.learned import (
    LEARNED_SCHEMA,
    count_learned_removals,
    count_line_statistics,
    learn_frequent_lines,
    mark_learned_lines,
    merge_learned_reports,
    report_learned_lines,
    with_template_hashes,
)
from dedupe.clean.lines import (
    ALIVE,
    CHARS,
    ELIGIBLE,
    HASH_SEED,
    KEY,
    KEY_HASH,
    MARK,
    PROTECTED,
    SCOPE,
    SENTENCE,
    STOP,
    TEMPLATE_HASH,
    WORDS,
    explode_lines,
    fold_kept_lines,
)
from dedupe.clean.page import (
    PROMPT,
    mark_page_lines,
    page_feature_rule,
    stop_word_hits,
    with_prompt_levels,
    with_stop_share,
)
from dedupe.config import CleanConfig
from dedupe.errors import ConfigError
from dedupe.normalize import is_blank, normalize_texts
from dedupe.schema import DOC_ID, LINE, LINE_NO, REMOVED_LINES_SCHEMA, RULE, source_key

__all__ = [
    "LEARNED_SCHEMA",
    "CleanResult",
    "apply_learned",
    "clean_corpus",
    "count_statistics",
    "learn_lines",
    "mark_lines",
    "merge_learned_reports",
    "rewrite_texts",
]

logger = logging.getLogger(__name__)

# A repeat is kept when a prose line separates it from the nearest earlier line it repeats (see
# `find_repeated_captions`): a paragraph (a sentence of this many words, no text rule), or a
# table row: a line holding at least `TABLE_ROW_NUMBERS` numbers ("Avg shrs 20.5 mln vs 17.1
# mln"), as the rows of a quarter's and a year's results do, which repeat row for row. Only a
# paragraph can open the article, which ends the page's head.
PROSE_WORDS = 10
TABLE_ROW_NUMBERS = 2


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

    The source is the one ``--keep source-priority`` ranks by (`dedupe.schema.source_key`):
    ``source_column`` when given, else a source-like column, else the url host.

    Raises:
        ConfigError: ``source_column`` is not a column of the corpus.
    """
    if source_column is not None and source_column not in corpus.columns:
        raise ConfigError(
            f"source column {source_column!r} is not in the corpus "
            f"(found: {', '.join(corpus.columns)}); pass one of them as source_column="
        )
    return source_key(corpus, source_column)


def line_features(lines: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Return per distinct ``line``: its key, length, words, sentence shape and first text rule.

    Every feature depends on the line's text alone, so each distinct line is worked out once
    (pages repeat their menus, syndicated copies their paragraphs). A printable-ASCII line
    without double spaces normalizes to itself stripped and lower-cased, which skips NFKC and
    the space regex; any other line goes through `dedupe.normalize.normalize_texts`. Keys that
    are pure ASCII (nearly all of them in English news) are classified with the ASCII forms of
    the patterns (`dedupe.clean.boilerplate.ascii_pattern`), which match them alike and run
    faster.
    """
    distinct = lines.select(LINE).unique()
    line = pl.col(LINE)
    # Printable ASCII: as many bytes as characters, and no control character.
    simple = (
        (line.str.len_bytes() == line.str.len_chars())
        & ~line.str.contains(r"[\x00-\x1f\x7f]")
        & ~line.str.contains("  ", literal=True)
    )
    plain, other = _split(distinct, simple)
    keyed = pl.concat(
        [
            plain.with_columns(
                line.str.strip_chars(" ").str.to_lowercase().alias(KEY),
                pl.lit(value=False).alias("_blank"),
            )
            # Single spaces only: the words are the spaces plus one (the regex is 2x slower).
            .with_columns(
                pl.when(pl.col(KEY).str.len_bytes() > 0)
                .then(pl.col(KEY).str.count_matches(" ", literal=True) + 1)
                .otherwise(0)
                .cast(pl.UInt32)
                .alias(WORDS)
            ),
            other.with_columns(
                normalize_texts(other.get_column(LINE)).alias(KEY),
                ((line.str.len_chars() > 0) & is_blank(LINE)).alias("_blank"),
            )
            # NFKC can leave a space after another (U+00A8 is a space and a combining mark).
            .with_columns(pl.col(KEY).str.count_matches(r"\S+").alias(WORDS)),
        ]
    )
    key = pl.col(KEY)
    ascii_keys, other_keys = _split(keyed, key.str.len_bytes() == key.str.len_chars())
    keyed = pl.concat(
        [
            _key_features(ascii_keys, config, ascii_only=True),
            _key_features(other_keys, config, ascii_only=False),
        ]
    ).with_columns(key.hash(HASH_SEED).alias(KEY_HASH))
    text_rules = [
        pl.when(pl.col("_blank")).then(pl.lit("builtin:whitespace_only")),
        user_rule(config.drop_pattern),
        pl.col("_builtin"),
    ]
    if config.mode == "page":
        text_rules.append(page_feature_rule(config.learn_max_chars))
    return keyed.with_columns(pl.coalesce(text_rules).alias("_text_rule")).drop(
        "_blank", "_builtin"
    )


def _key_features(keyed: pl.DataFrame, config: CleanConfig, *, ascii_only: bool) -> pl.DataFrame:
    """Length, letter, sentence shape, template hash and built-in rule of distinct keys."""
    key = pl.col(KEY)
    letter = ascii_pattern(r"\p{L}") if ascii_only else r"\p{L}"
    keyed = keyed.with_columns(
        (key.str.len_bytes() if ascii_only else key.str.len_chars()).cast(pl.UInt32).alias(CHARS),
        # Numbers and punctuation alone ("12", "---") are table cells and rules, not chrome.
        key.str.contains(letter).alias("_letter"),
    )
    keyed = with_template_hashes(
        keyed.with_columns(is_sentence_like().alias(SENTENCE)),
        max_chars=config.learn_max_chars,
        ascii_only=ascii_only,
    )
    if config.mode == "page":
        keyed = with_prompt_levels(
            stop_word_hits(keyed, ascii_only=ascii_only), max_chars=config.learn_max_chars
        )
    builtin = "_builtin"
    if not config.builtin_rules:
        return keyed.with_columns(pl.lit(None, pl.String).alias(builtin))
    # The counter and stamp families need a digit: keys without one skip them.
    with_digit, without_digit = _split(
        keyed, key.str.contains(ascii_pattern(r"\d") if ascii_only else r"\d")
    )
    return pl.concat(
        [
            with_digit.with_columns(builtin_rule(ascii_only=ascii_only).alias(builtin)),
            without_digit.with_columns(
                builtin_rule(ascii_only=ascii_only, digits=False).alias(builtin)
            ),
        ]
    )


def _split(frame: pl.DataFrame, condition: pl.Expr) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows where ``condition`` holds and the others, working the condition out once."""
    mask = frame.select(condition.fill_null(value=False)).to_series()
    return frame.filter(mask), frame.filter(~mask)


def _lean_columns(config: CleanConfig) -> list[str]:
    """The line frame's columns after `mark_lines`, which the later phases need."""
    page = [STOP, PROMPT] if config.mode == "page" else []
    return [DOC_ID, LINE_NO, SCOPE, KEY_HASH, KEY, CHARS, WORDS, SENTENCE, TEMPLATE_HASH, *page]


def mark_lines(corpus: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Explode one batch into its line frame and apply every rule that needs one document only.

    Those rules are whitespace, user drop patterns, built-in rules, page features and repeated
    captions; their rule is in ``_mark``. Keep patterns and empty lines set ``_protected``.
    The frame has no line text: ``_key`` holds the normalized line for lines of at most
    ``learn_max_chars`` characters only (the learned rule counts those), and null otherwise.

    Raises:
        ConfigError: a drop or keep pattern is not supported by Polars' regex engine, or
            ``source_column`` is missing.
    """
    validate_patterns((*config.drop_pattern, *config.keep_pattern))
    scope = source_scope(corpus, config.source_column)
    # Without a source every scope is null, which tells `learn_lines` to learn corpus-wide only.
    scopes = corpus.select(
        DOC_ID,
        (scope.fill_null("") if scope is not None else pl.lit(None, pl.String)).alias(SCOPE),
    )
    exploded = explode_lines(corpus)
    lines = exploded.join(scopes, on=DOC_ID, how="left", maintain_order="left").join(
        line_features(exploded, config), on=LINE, how="left", maintain_order="left"
    )
    table_row = pl.col(KEY).str.count_matches(r"\d+([.,]\d+)*") >= TABLE_ROW_NUMBERS
    paragraph = pl.col("_text_rule").is_null() & pl.col(SENTENCE) & (pl.col(WORDS) >= PROSE_WORDS)
    repeated = find_repeated_captions(
        lines.filter(pl.col(CHARS) > 0).with_columns(
            paragraph.alias("_paragraph"),
            (paragraph | (pl.col("_text_rule").is_null() & table_row)).alias("_prose"),
        ),
        similarity=config.caption_similarity,
        separator="_prose",
        paragraph="_paragraph",
    ).with_columns(pl.lit("repeated_caption").alias("_caption"))
    lines = lines.join(repeated, on=[DOC_ID, LINE_NO], how="left", maintain_order="left")
    lines = lines.with_columns(pl.coalesce("_text_rule", "_caption").alias(MARK))
    if config.mode == "page":
        lines = with_stop_share(lines)
    if config.builtin_rules:
        lines = lines.with_columns(
            related_block_rule(MARK, max_chars=config.learn_max_chars).alias(MARK)
        )
    mark = pl.col(MARK)
    alive = mark.is_null() & (pl.col(CHARS) > 0)
    short = pl.col(CHARS) <= config.learn_max_chars
    protected = matches_any(config.keep_pattern) | (pl.col(LINE).str.len_chars() == 0)
    return lines.select(
        *_lean_columns(config)[:4],
        pl.when(short).then(pl.col(KEY)).alias(KEY),
        *_lean_columns(config)[5:],
        alive.alias(ALIVE),
        (alive & short & pl.col("_letter")).alias(ELIGIBLE),
        protected.alias(PROTECTED),
        mark,
    )


def count_statistics(lines: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Reduce one batch's marked lines to the hashed counts that learning needs.

    The statistics of all batches, concatenated, are the input of `learn_lines`. Line and
    article keys are 64-bit hashes of one run; only distinct short lines keep their text.
    """
    return count_line_statistics(lines, max_chars=config.learn_max_chars)


def learn_lines(statistics: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Learn caption clusters and frequent short lines from the statistics of every batch.

    Returns one row per line key of each learned line: ``rule``, ``scope``, ``_key_hash``,
    ``line``, ``variants``, ``documents`` and ``share`` (see `dedupe.clean.learned`).
    """
    return learn_frequent_lines(
        statistics,
        min_docs=config.learn_min_docs,
        min_share=config.learn_min_share,
        max_chars=config.learn_max_chars,
    )


def apply_learned(lines: pl.DataFrame, learned: pl.DataFrame, config: CleanConfig) -> pl.DataFrame:
    """Decide every line of one batch: learned lines, page context, then keep patterns.

    Returns ``doc_id``, ``line_no``, ``_scope``, ``_key_hash`` (a ``learned:template`` line's
    template hash) and ``rule`` (null where kept).
    """
    lines = mark_learned_lines(lines, learned, max_chars=config.learn_max_chars)
    rules = [MARK, "_learned"]
    if config.mode == "page":
        lines = mark_page_lines(lines, max_chars=config.learn_max_chars)
        rules.append("_page")
    rule = pl.when(~pl.col(PROTECTED)).then(pl.coalesce(rules))
    # A template's lines are counted under the template's hash in the learned-lines report.
    matched = pl.when(rule == "learned:template").then(pl.col(TEMPLATE_HASH))
    return lines.select(
        DOC_ID,
        LINE_NO,
        SCOPE,
        matched.otherwise(pl.col(KEY_HASH)).alias(KEY_HASH),
        rule.alias(RULE),
    )


def rewrite_texts(corpus: pl.DataFrame, lines: pl.DataFrame, learned: pl.DataFrame) -> CleanResult:
    """Rewrite one batch's ``text`` from its decided lines and list the removed ones.

    ``result.learned`` is the learned-lines report with this batch's ``removed_lines``;
    `merge_learned_reports` sums the reports of every batch.

    Args:
        corpus: the batch, as `mark_lines` saw it (the row order may differ).
        lines: the batch's line frame from `apply_learned`.
        learned: the table of `learn_lines`.
    """
    decided = explode_lines(corpus).join(
        lines.select(DOC_ID, LINE_NO, SCOPE, KEY_HASH, RULE),
        on=[DOC_ID, LINE_NO],
        how="left",
        maintain_order="left",
    )
    removed = decided.filter(pl.col(RULE).is_not_null())
    kept = decided.filter(pl.col(RULE).is_null()).select(DOC_ID, LINE_NO, LINE)
    logger.info("removed %d of %d lines", removed.height, decided.height)
    return CleanResult(
        fold_kept_lines(corpus, kept),
        removed.select(pl.col(name).cast(dtype) for name, dtype in REMOVED_LINES_SCHEMA.items()),
        report_learned_lines(learned, [count_learned_removals(removed)]),
    )


def clean_corpus(corpus: pl.DataFrame, config: CleanConfig) -> CleanResult:
    r"""Remove boilerplate lines and repeated captions from every document.

    Rows, row order and columns stay as they are; only ``text`` changes. A document left with no
    line gets an empty text, and the pipeline marks it ``empty_after_cleaning``. This is the
    phases of the module docstring on one batch.

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
    if not config.enabled:
        return CleanResult(
            corpus, pl.DataFrame(schema=REMOVED_LINES_SCHEMA), pl.DataFrame(schema=LEARNED_SCHEMA)
        )
    lines = mark_lines(corpus, config)
    learned = learn_lines(count_statistics(lines, config), config)
    return rewrite_texts(corpus, apply_learned(lines, learned, config), learned)
