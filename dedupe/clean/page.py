"""Page mode: classify the lines of whole-page text by their own features and their neighbours.

For text converted from full HTML pages, where most lines are navigation (rules ``page:<feature>``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from dedupe.clean.boilerplate import ascii_pattern
from dedupe.clean.lines import ALIVE, CHARS, KEY, MARK, SENTENCE, STOP, WORDS
from dedupe.schema import DOC_ID

# Page mode, after jusText (Pomikalek 2011, ch. 4), on plain text instead of DOM blocks: a line
# is *good* on its own features (long, or sentence-like, or wordy with many stop words), *bad*
# on its own features (a menu: rule page:menu), and otherwise *weak*; a weak line
# is kept only close to good lines, as jusText's context pass keeps short blocks between good
# ones. Stop words: jusText's insight that prose is dense in function words, which navigation and
# link lists are not.
#
# The stop lists are those of stopwords-iso (the `stopwordsiso` package: 0.3 MB of JSON, no
# dependencies, 58 languages, maintained lists merged from many sources), in the languages below.
# Each document's language is guessed from its own lines: the list its words hit most often.
# A document whose best list covers less than `LANGUAGE_MIN_SHARE` of its words (another
# language, or a script without spaces) falls back on the union of all the lists.
PAGE_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru")
LANGUAGE_MIN_SHARE = 0.1
_TOKEN = r"[\p{L}']+"


@lru_cache(maxsize=1)
def stop_word_table() -> pl.DataFrame:
    """Return one row per stop word: ``_token`` and whether it is a stop word of each language.

    The columns after ``_token`` are ``PAGE_LANGUAGES`` in order, booleans.
    """
    import stopwordsiso

    rows = [
        (word.lower(), language)
        for language in PAGE_LANGUAGES
        for word in stopwordsiso.stopwords(language)
        if re.fullmatch(r"[^\W\d_]+('[^\W\d_]+)?|'[^\W\d_]+", word.lower())
    ]
    table = pl.DataFrame(rows, schema=["_token", "_language"], orient="row").unique()
    return (
        table.with_columns(pl.lit(value=True).alias("_hit"))
        .pivot("_language", index="_token", values="_hit")
        .select(
            "_token",
            *(pl.col(name).fill_null(value=False) for name in PAGE_LANGUAGES),
        )
        .sort("_token")
    )


def stop_word_hits(keys: pl.DataFrame, key: str = KEY, *, ascii_only: bool = False) -> pl.DataFrame:
    """Add per language the count of a key's tokens in its stop list, and in any list.

    Columns ``_hits_<language>`` for each of ``PAGE_LANGUAGES`` and ``_hits_any``, UInt32; ``keys``
    holds distinct keys, so each line's tokens are looked up once. With ``ascii_only`` every key
    is pure ASCII and the tokens are found with the ASCII form of the token pattern (the same
    tokens, found faster).
    """
    table = stop_word_table()
    token = ascii_pattern(_TOKEN) if ascii_only else _TOKEN
    # Row numbers, not the keys, join the counts back: an integer join is the cheaper one.
    tokens = keys.select(pl.col(key).str.extract_all(token).alias("_token")).with_row_index("_row")
    hits = (
        tokens.explode("_token")
        .join(table, on="_token")
        .group_by("_row")
        .agg(
            pl.len().cast(pl.UInt32).alias("_hits_any"),
            *(pl.col(name).sum().cast(pl.UInt32).alias(f"_hits_{name}") for name in PAGE_LANGUAGES),
        )
    )
    names = ["_hits_any", *(f"_hits_{name}" for name in PAGE_LANGUAGES)]
    return (
        keys.with_row_index("_row")
        .join(hits, on="_row", how="left", maintain_order="left")
        .drop("_row")
        .with_columns(pl.col(name).fill_null(0) for name in names)
    )


def with_stop_share(lines: pl.DataFrame, words: str = WORDS) -> pl.DataFrame:
    """Replace a line frame's hit columns by ``_stop``, the share of stop words in each line.

    The document's language is the list its lines hit most often (first in ``PAGE_LANGUAGES`` on
    a tie); below `LANGUAGE_MIN_SHARE` of the document's words, the union of the lists.
    """
    hits = [f"_hits_{name}" for name in PAGE_LANGUAGES]
    languages = (
        lines.group_by(DOC_ID)
        .agg(pl.col(words).sum().alias("_words"), *(pl.col(name).sum() for name in hits))
        .select(
            DOC_ID,
            pl.when(pl.max_horizontal(hits) >= LANGUAGE_MIN_SHARE * pl.col("_words"))
            .then(pl.concat_list(hits).list.arg_max())
            .alias("_language"),
        )
    )
    share: pl.Expr = pl.col("_hits_any")
    for index, name in reversed(list(enumerate(hits))):
        share = pl.when(pl.col("_language") == index).then(pl.col(name)).otherwise(share)
    return (
        lines.join(languages, on=DOC_ID, how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col(words) > 0).then(share / pl.col(words)).otherwise(0.0).alias(STOP)
        )
        .drop("_language", "_hits_any", *hits)
    )


# Words of the prompts around an article, in the languages above: sign-up, log-in, comment,
# share, cookie and privacy, advertising and affiliate notes. A line holding one is chrome when
# it lies outside the article's prose (rule page:prompt); inside, it is the article's own
# sentence about comments or privacy.
PROMPT = "_prompt"
PROMPT_WORDS = (
    r"\b(newsletter|subscribe|subscriber|sign up|sign-up|log in|login|email address|comments|"
    r"cookie|privacy|affiliate|advertis|inbox|never miss|don't miss|"
    r"abonnier|eingeloggt|einloggen|angemeldet sein|registrier|e-mail-adresse|kommentar|"
    r"teilen sie|jetzt teilen|zu teilen|datenschutz|privatsphäre|werbung|provision\b|posteingang|"
    r"verpassen|abonnez|inscrivez|commentaire|adresse e-mail|confidentialité|publicité|"
    r"suscríbete|suscribirse|comentario|correo electrónico|privacidad|publicidad|boletín|"
    r"iscriviti|commento|commenti|pubblicità|assine|inscreva-se|comentário|privacidade|"
    r"publicidade|abonneer|inschrijven|nieuwsbrief|advertentie|subskryb|zapisz się|komentarz|"
    r"prywatności|reklam|подпис|комментари|конфиденциальност|реклам|рассылк|"
    # Blog software's post footers and licence lines, and calls for support.
    r"permalink|this entry was posted|dieser eintrag wurde|abgelegt unter|eingestellt von|"
    r"verschlagwortet|creative commons|licensed under|support our journalism|unterstütze|"
    r"spenden)"
)


# Words of chrome headings and short calls: related, most-read and author boxes, comment
# threads ("3 Gedanken zu ...", "Antwort abbrechen"), share and sign-up calls. A weak line
# holding one, or a prompt word, is chrome wherever it stands (rule page:prompt): short lines
# of an article rarely name its own page furniture.
CHROME_WORDS = (
    r"\b(anmelden|verpassen|versäumen|empfiehl|teilen sie|sharen|share this|antwort abbrechen|"
    r"cancel reply|gedanken zu|kommentare zu|comments on|responses to|replies to|"
    r"über den autor|about the author|weiterlesen|mehr zum thema|mehr zu |more from|trending|"
    r"most read|meist gelesen|meistgelesen|zum weiterlesen|related|verwandt|ähnliche|"
    r"najnowsze|correspondants|dossiers|anzeige|am meisten gelesen|"
    r"weitere (meldungen|beiträge|artikel|infos|themen|aktuelle)|"
    r"aktuelle (artikel|beiträge|stories)|"
    r"latest (articles|news|stories|posts)|(artikel|beiträge) zum thema|mit freunden teilen|"
    r"sharing is caring|folgt uns|folge uns|follow us|erfahre mehr|mehr erfahren|read more|"
    r"read further|want more|entdecke|jetzt melden|bewerten sie|bewertungen|postfach|"
    r"push notifications|tagged|kategorien|veröffentlicht in|posted in|permalink|"
    r"terms (and|&) (rules|conditions)|editorial ethics|our standards|nächsten artikel|"
    r"nächster artikel|vorheriger artikel|lee también|lea también|lire aussi|leggi anche|"
    r"leia também|lees ook|czytaj (też|także)|читайте также)"
)
# Levels of `PROMPT`: no word, a chrome word only, a prompt word.
CHROME_WORD, PROMPT_WORD = 1, 2


def with_prompt_levels(keys: pl.DataFrame, *, max_chars: int, key: str = KEY) -> pl.DataFrame:
    """Add ``_prompt`` to a frame of distinct keys: its prompt level (UInt8).

    ``PROMPT_WORD`` when a key holds a word of `PROMPT_WORDS`, ``CHROME_WORD`` when it holds one
    of `CHROME_WORDS` only, else 0. Chrome words matter on weak lines only, which are at most
    ``max_chars`` long (``_chars``).
    """
    # The chrome words are looked for in the short keys only: the long ones hold most of the
    # characters, so this is a third of the work.
    short = keys.select((pl.col(CHARS) <= max_chars).fill_null(value=False)).to_series()
    in_short = keys.get_column(key).filter(short).str.contains(CHROME_WORDS).fill_null(value=False)
    chrome = pl.repeat(False, keys.height, dtype=pl.Boolean, eager=True).scatter(
        short.arg_true(), in_short
    )
    prompt = pl.col(key).str.contains(PROMPT_WORDS)
    level = pl.when(prompt).then(PROMPT_WORD).when(chrome).then(CHROME_WORD).otherwise(0)
    return keys.with_columns(level.fill_null(0).cast(pl.UInt8).alias(PROMPT))


# Rules whose lines open a comment section: what follows them is readers' comments.
COMMENT_RULES = ("builtin:comment_thread",)
# Rules whose lines head a section of chrome (a teaser list, a tag box, a comment form): below
# the article's last prose line, what follows such a heading is that section.
SECTION_RULES = (
    "builtin:widget",
    "builtin:related_block",
    "builtin:comment_thread",
    "builtin:form",
)


# Separators of menus and breadcrumbs; a line with two of them and no sentence end is navigation.
MENU_SEPARATOR = r"(\s\|\s?|\s?\|\s|\s?\u00bb\s?|\s\u203a\s|\s\u00b7\s|\s\u2022\s|\s::\s|\s/\s)"
GOOD_MIN_WORDS = 10
GOOD_MIN_STOP_SHARE = 0.25
# How many alive lines a weak line may sit from a good line and still belong to the content.
CONTEXT_LINES = 3
# Runs of good lines: at most this many weak lines between two good lines of one run, and this
# many characters of good lines for a run to be content (measured on L3S-GN1, see benchmarks/).
RUN_GAP_LINES = 5
RUN_CLEAN_GAP_LINES = 15
RUN_MIN_CHARS = 800
# Weak lines after a content run, with no chrome between, that still belong to it: short lines
# of details (a label and its value, an address, a phone number, a credit in brackets), not
# links to other articles.
TAIL_LINES = 8
TAIL_MAX_CHARS = 60
TAIL_DETAILS = r"[:@(]|\d{3}"
# A run is content when it is its page's longest (in characters of good lines) or holds at least
# this many: an article body, or a second stretch of it behind a gallery or an ad slot. Good
# lines of other runs are isolated sentences in the chrome (a teaser, a sign-up prompt, a
# footer's about-us text).
CONTENT_MIN_CHARS = 700
# Below the longest run, a run is content only when it holds at least this share of the
# longest run's characters: what follows an article is mostly chrome in sentences (an author's
# box, comment rules, teasers of other articles), while a lead above it is short.
AFTER_RUN_SHARE = 0.5
# The weak lines after a paragraph are a table when at least this share of them hold digits.
TAIL_DIGIT_SHARE = 0.4


def page_feature_rule(max_chars: int) -> pl.Expr:
    """Return the ``page:<feature>`` rule a line earns on its own features alone, or null."""
    sentence = pl.col(SENTENCE)
    menu = pl.col(KEY).str.count_matches(MENU_SEPARATOR) >= 2
    return (
        pl.when(menu & ~sentence & (pl.col(CHARS) <= max_chars))
        .then(pl.lit("page:menu"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def is_good(max_chars: int) -> pl.Expr:
    """Whether a line reads as content on its own: long, sentence-like, or wordy prose."""
    return (
        (pl.col(CHARS) > max_chars)
        | pl.col(SENTENCE)
        | ((pl.col(WORDS) >= GOOD_MIN_WORDS) & (pl.col(STOP) >= GOOD_MIN_STOP_SHARE))
    )


def is_prose() -> pl.Expr:
    """Whether a line is article prose: a sentence of `GOOD_MIN_WORDS` words, rich in stop words.

    Stricter than `is_good`: a long line of a footer or a link list is good, not prose.
    """
    return (
        pl.col(SENTENCE) & (pl.col(WORDS) >= GOOD_MIN_WORDS) & (pl.col(STOP) >= GOOD_MIN_STOP_SHARE)
    )


def is_wordy() -> pl.Expr:
    """Whether a line is wordy prose: `GOOD_MIN_WORDS` words rich in stop words, a sentence or not.

    Looser than `is_prose`: a paragraph that ends in a link or a bracket still counts.
    """
    return (pl.col(WORDS) >= GOOD_MIN_WORDS) & (pl.col(STOP) >= GOOD_MIN_STOP_SHARE)


def mark_page_lines(lines: pl.DataFrame, *, max_chars: int) -> pl.DataFrame:
    """Add ``_page``: the ``page:<feature>`` rule of a weak line outside the content.

    Good lines separated by at most `RUN_GAP_LINES` weak lines form a run; a run holding at least
    `RUN_MIN_CHARS` characters of good lines is content, with every weak line inside it (a table,
    a subheading, a short quote). Elsewhere a weak line is kept when good lines lie at most
    `CONTEXT_LINES` alive lines above and below it, or when it is headline-like (at least three
    words) at most that far above a good line.

    Body span: the article body runs from the first to the last prose line of the page (see
    `is_prose`). Inside it, a weak line is also kept, however far its good neighbours are, when
    no line between the good line above and the good line below it was removed by another rule
    (built-in, user, menu, repeated caption, learned): a score table, a line-up or a list of names
    in an article. Site chrome between two stretches of prose almost always holds such a line (a
    menu, a share bar, an advertisement slot), and then the gap is judged as above.

    Tables: the weak lines right after a wordy line (`is_wordy`), up to the first line another
    rule of the document removed (built-in, user, menu, repeated caption), are a table and kept
    up to the last of them that holds a digit, when at least `TAIL_DIGIT_SHARE` of those lines
    hold one: the results, schedule or scoreboard that often follows a sports or events article.

    Content runs: the longest run, a run above it with `CONTENT_MIN_CHARS`, and a run below it
    with as many and `AFTER_RUN_SHARE` of the longest run's characters. A good line of another
    run that is not prose is kept in the body span only up to the content runs' last prose line.

    Chrome by its words (``page:prompt``): a weak line holding a word of `CHROME_WORDS` or
    `PROMPT_WORDS` anywhere, and a line holding one of `PROMPT_WORDS` below the last good line
    of the content runs that holds none (or above the first, outside the content runs), and a
    short line (at most ``max_chars``) holding one anywhere but between two paragraphs of the
    content: a sign-up call or a comment-form note in the article's prose stays a prompt.
    Comments (``page:comments``): every line below a comment thread's heading
    (`COMMENT_RULES`) that lies below the first good line of the longest run. Sections
    (``page:section``): every line of the longest run, or of no content run, below a chrome
    heading (`SECTION_RULES`: a widget, a related block, a comment thread, a form) that lies
    below the longest run's last prose line: teasers, author boxes and sign-up prompts.

    Removing lines only shortens gaps, merges runs and leaves the prose lines and the other
    rules' lines where they are, so a second pass keeps what the first kept.
    """
    good_pos = pl.when(pl.col("_good")).then(pl.col("_pos"))
    # How many non-empty lines up to each line another rule removed: two lines have none of
    # those between them when the counts are equal. `_marked` counts only the rules of one
    # document (built-in, user, menu, repeated caption), not learned lines.
    other_rule = pl.col(MARK).is_not_null() | pl.col("_learned").is_not_null()
    counted = (
        lines.with_row_index("_row")
        .filter(pl.col(CHARS) > 0)
        .with_columns(
            other_rule.cast(pl.Int32).cum_sum().over(DOC_ID).alias("_removed"),
            pl.col(MARK).is_not_null().cast(pl.Int32).cum_sum().over(DOC_ID).alias("_marked"),
            pl.col(MARK)
            .is_in(COMMENT_RULES)
            .fill_null(value=False)
            .cast(pl.Int32)
            .cum_sum()
            .over(DOC_ID)
            .alias("_comments"),
            pl.col(MARK)
            .is_in(SECTION_RULES)
            .fill_null(value=False)
            .cast(pl.Int32)
            .cum_sum()
            .over(DOC_ID)
            .alias("_sections"),
        )
    )
    # Lines the learned rule removed are gone already: they neither count as good nor as distance.
    alive = (
        counted.filter(pl.col(ALIVE) & pl.col("_learned").is_null())
        .select(
            "_row",
            DOC_ID,
            CHARS,
            WORDS,
            STOP,
            SENTENCE,
            PROMPT,
            pl.col(KEY).str.contains(r"\d").fill_null(value=False).alias("_digit"),
            pl.col(KEY).str.contains(TAIL_DETAILS).fill_null(value=False).alias("_details"),
            "_removed",
            "_marked",
            "_comments",
            "_sections",
        )
        .with_columns(
            pl.int_range(pl.len()).over(DOC_ID).alias("_pos"),
            is_good(max_chars).alias("_good"),
        )
        .with_columns(
            good_pos.forward_fill().over(DOC_ID).alias("_above"),
            good_pos.backward_fill().over(DOC_ID).alias("_below"),
            good_pos.shift(1).over(DOC_ID).alias("_previous_good"),
        )
    )
    # A new run starts at a good line whose previous good line is too far above.
    # A gap of weak lines that no other rule touched (a list, a table, a run of subheadings)
    # may be longer than one that holds chrome.
    previous_good = pl.col("_previous_good").forward_fill().over(DOC_ID)
    removed_at_good = pl.when(pl.col("_good")).then(pl.col("_removed"))
    previous_removed = removed_at_good.shift(1).forward_fill().over(DOC_ID)
    gap = pl.col("_pos") - previous_good - 1
    clean_gap = pl.col("_removed") == previous_removed
    starts_run = pl.col("_good") & (
        previous_good.is_null() | ((gap > RUN_GAP_LINES) & ~clean_gap) | (gap > RUN_CLEAN_GAP_LINES)
    )
    alive = alive.with_columns(
        starts_run.cast(pl.Int32).cum_sum().over(DOC_ID).alias("_run"),
        removed_at_good.forward_fill().over(DOC_ID).alias("_removed_above"),
        removed_at_good.backward_fill().over(DOC_ID).alias("_removed_below"),
    )
    alive = alive.with_columns(
        pl.when(pl.col("_good"))
        .then(pl.col(CHARS))
        .otherwise(0)
        .sum()
        .over(DOC_ID, "_run")
        .alias("_run_chars")
    )
    run_chars = pl.col("_run_chars")
    longest = run_chars.max().over(DOC_ID)
    main_run = pl.when(run_chars == longest).then(pl.col("_run")).min().over(DOC_ID)
    content_run = (pl.col("_run") == main_run) | (
        (run_chars >= CONTENT_MIN_CHARS)
        & ((pl.col("_run") < main_run) | (run_chars >= AFTER_RUN_SHARE * longest))
    )
    alive = alive.with_columns(
        content_run.alias("_content"), (pl.col("_run") == main_run).alias("_main")
    )
    # The body runs from the first to the last prose line of the page.
    prose_pos = pl.when(is_prose()).then(pl.col("_pos"))
    alive = alive.with_columns(
        prose_pos.min().over(DOC_ID).alias("_body_start"),
        prose_pos.max().over(DOC_ID).alias("_body_end"),
        prose_pos.filter(pl.col("_content")).max().over(DOC_ID).alias("_content_end"),
    )
    alive = alive.with_columns(
        pl.when(pl.col("_good"))
        .then(pl.col("_content"))
        .backward_fill()
        .over(DOC_ID)
        .fill_null(value=False)
        .alias("_content_below")
    )
    near_above = ((pl.col("_pos") - pl.col("_above")) <= CONTEXT_LINES).fill_null(value=False)
    near_below = ((pl.col("_below") - pl.col("_pos")) <= CONTEXT_LINES).fill_null(value=False)
    weak_gap = pl.col("_below") - pl.col("_above") - 1
    clean_weak_gap = pl.col("_removed_above") == pl.col("_removed_below")
    in_run = (
        ((weak_gap <= RUN_GAP_LINES) | (clean_weak_gap & (weak_gap <= RUN_CLEAN_GAP_LINES)))
        & (pl.col("_run_chars") >= RUN_MIN_CHARS)
    ).fill_null(value=False)
    # A good line of another run that is not prose is kept in the body up to the content's last
    # prose line only: below it, such lines are an author's box, a teaser or a sign-up prompt.
    in_body = (
        (~pl.col("_good") | is_prose() | (pl.col("_pos") <= pl.col("_content_end")))
        & pl.col("_pos").is_between(pl.col("_body_start"), pl.col("_body_end"))
        & (pl.col("_removed_above") == pl.col("_removed_below"))
    ).fill_null(value=False)
    # A table after a paragraph (results, a schedule, a scoreboard): the weak lines that follow
    # a wordy line with no built-in, user or menu line between, up to the last of them holding
    # a digit, when at least TAIL_DIGIT_SHARE of those lines hold one.
    pos = pl.col("_pos")
    at_good = pl.when(pl.col("_good"))
    after_prose = (
        ~pl.col("_good")
        & at_good.then(is_wordy()).forward_fill().over(DOC_ID)
        & (pl.col("_marked") == at_good.then(pl.col("_marked")).forward_fill().over(DOC_ID))
    ).fill_null(value=False)
    alive = alive.with_columns(after_prose.alias("_after_prose"))
    block = [DOC_ID, "_above"]
    last_digit = pl.when(pl.col("_after_prose") & pl.col("_digit")).then(pos).max().over(block)
    alive = alive.with_columns(
        (pl.col("_after_prose") & (pos <= last_digit)).fill_null(value=False).alias("_table")
    )
    digit_share = pl.col("_digit").filter(pl.col("_table")).mean().over(block)
    table = (pl.col("_table") & (digit_share >= TAIL_DIGIT_SHARE)).fill_null(value=False)
    headline = (pl.col(WORDS) >= 3) & near_below
    feature = (
        pl.when(pl.col("_good"))
        .then(pl.lit("page:isolated"))
        .when(pl.col(WORDS) < 4)
        .then(pl.lit("page:short"))
        .when(pl.col(STOP) < 0.15)
        .then(pl.lit("page:low_stopwords"))
        .otherwise(pl.lit("page:no_sentence"))
    )
    content = pl.col("_content")
    near_content = content | pl.col("_content_below")
    # The weak lines right after a content run, before any chrome: a contact block, a line-up,
    # the reporting credits of a wire story.
    tail = (
        content
        & ~pl.col("_good")
        & (pl.col("_removed") == pl.col("_removed_above"))
        & ((pl.col("_pos") - pl.col("_above")) <= TAIL_LINES)
        & (pl.col(CHARS) <= TAIL_MAX_CHARS)
        & pl.col("_details")
    ).fill_null(value=False)
    kept = (
        (pl.col("_good") & content)
        | tail
        | (in_run & content)
        | in_body
        | table
        | (near_above & near_below & near_content)
        | (headline & pl.col("_content_below"))
    )
    # Prompts outside the article: below the last good line of the content runs that holds no
    # prompt word, or above the first one outside the content runs.
    prompt_word = pl.col(PROMPT) == PROMPT_WORD
    clean = pl.when(pl.col("_good") & pl.col("_content") & ~prompt_word).then(pos)
    outside = (pos > clean.max().over(DOC_ID)) | (
        (pos < clean.min().over(DOC_ID)) & ~pl.col("_content")
    )
    # A short sentence holding a prompt word is a call to the reader ("Du musst angemeldet sein,
    # um einen Kommentar abzugeben."), unless it stands between two paragraphs of the article.
    content_good = pl.col("_good") & pl.col("_content") & ~prompt_word
    between_paragraphs = content_good.shift(1).over(DOC_ID) & content_good.shift(-1).over(DOC_ID)
    short_prompt = prompt_word & (pl.col(CHARS) <= max_chars) & ~between_paragraphs
    prompt = (
        (prompt_word & outside) | short_prompt | (~pl.col("_good") & (pl.col(PROMPT) > 0))
    ).fill_null(value=False)
    # The comment section: every line below a comment thread's heading or form that lies below
    # the first good line of the longest run (the article; a form above it is a sidebar's).
    at_article = pl.when(pl.col("_good") & pl.col("_main")).then(pl.col("_comments"))
    comments = (pl.col("_comments") > at_article.min().over(DOC_ID)).fill_null(value=False)
    # Sections of chrome: every line below a chrome heading that lies below the longest run's
    # last prose line.
    at_end = pl.when(pl.col("_main") & is_prose()).then(pl.col("_sections"))
    # A content run of its own below the heading (a second story, a timeline) stays.
    section = (
        (pl.col("_sections") > at_end.max().over(DOC_ID)) & (pl.col("_main") | ~pl.col("_content"))
    ).fill_null(value=False)
    decided = alive.select(
        "_row",
        pl.when(comments)
        .then(pl.lit("page:comments"))
        .when(section)
        .then(pl.lit("page:section"))
        .when(~kept)
        .then(feature)
        .when(prompt)
        .then(pl.lit("page:prompt"))
        .alias("_page"),
    )
    # Alive lines are a subset of `lines`: their rules go back by row number, with no join.
    page = pl.repeat(None, lines.height, dtype=pl.String, eager=True).scatter(
        decided.get_column("_row"), decided.get_column("_page")
    )
    return lines.with_columns(page.alias("_page"))
