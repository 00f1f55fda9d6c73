"""Reading the facts of texts in their places: one compiled pass, with a Polars reference.

`fact_places` gives each text's facts (runs of capitalized or numeric words) with their places
(the word before and the word after); `dedupe.duplicates.facts` compares them. The kernel
reads a batch's Arrow buffers once; `polars_fact_places` is the reference it must equal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from dedupe.duplicates.shingles import decode_code_point, string_buffers, unknown_code_points
from dedupe.kernels import kernel, use_kernels, warm_up
from dedupe.schema import TEXT

__all__ = [
    "FACTS_TYPE",
    "FACT_CHARS",
    "SPACE_CLASS",
    "class_at",
    "code_point_classes",
    "fact_places",
    "polars_fact_places",
]

U8Array = npt.NDArray[np.uint8]
I64Array = npt.NDArray[np.int64]

# Facts are read from a text's first FACT_CHARS characters (about 330 words: the headline,
# the lead and the first paragraphs, where a report's who, where, when and figures stand; a
# templated report is shorter): the cost per document stays bounded, whatever its length.
FACT_CHARS = 2000
# A document's facts: each fact with its place ("before|after", the neighbouring words in
# lower case); null: unknown (never vetoed).
FACTS_TYPE = pl.List(pl.Struct({"place": pl.String, "fact": pl.String}))

# HTML entity residue, decoded so "AT&amp;T" and "AT&T", "Trump&#8217;s" and "Trump's" agree;
# a word split by a hyphen at a hard line wrap ("Micro-\nsoft") is one word again; NBSP and
# other spaces are spaces, typographic quotes plain. Literal replacements, in one pass.
_REPLACEMENTS = {
    "&amp;": "&",
    "&#38;": "&",
    "&#8217;": "'",
    "&#8216;": "'",
    "&#39;": "'",
    "&apos;": "'",
    "&rsquo;": "'",
    "&lsquo;": "'",
    "&quot;": '"',
    "&#8220;": '"',
    "&#8221;": '"',
    "&ldquo;": '"',
    "&rdquo;": '"',
    "&#8211;": "-",
    "&#8212;": "-",
    "&ndash;": "-",
    "&mdash;": "-",
    "&nbsp;": " ",
    "-\n": "",
    "\u00a0": " ",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
}
# Punctuation stripped from a word's ends before it is classified or used as a place.
_PUNCTUATION = ".,;:!?\"'()[]<>*"
_LINE_BREAK = "\n"


def _prepared(texts: pl.Series) -> pl.Series:
    """The part of each text facts are read from, entity residue and typography undone."""
    text = pl.col(TEXT).str.slice(0, FACT_CHARS)
    text = text.str.replace_many(list(_REPLACEMENTS), list(_REPLACEMENTS.values()))
    frame = pl.DataFrame({TEXT: texts}, schema={TEXT: pl.String})
    return frame.select(text).to_series()


def fact_places(texts: pl.Series) -> pl.Series:
    """Return each text's facts with their places, as a list of ``{place, fact}`` structs.

    Words are whitespace-separated, their end punctuation stripped. A fact is a word that
    starts with a digit, or a run of words that start with a capital, on a line that holds a
    lower-case letter (a headline in capitals has none); a capitalized word opening a sentence
    ("The", "But") starts a run only when the next word is capitalized too ("Acme Foods
    said"). A run ends at a line break. Its place is the word before and the word after it,
    in lower case. Read from each text's first ``FACT_CHARS`` characters, by one compiled pass
    over the batch's bytes (`polars_fact_places` is the reference). A null text has null
    facts.

    Example:
        >>> facts = fact_places(pl.Series(["Shares of Acme Corp rose 4.5% on Tuesday."]))
        >>> [(f["place"], f["fact"]) for f in facts[0]]
        [('of|rose', 'Acme Corp'), ('rose|on', '4.5%'), ('on|', 'Tuesday')]
    """
    prepared = _prepared(texts)
    offsets, data, owner = string_buffers(prepared)
    if not use_kernels(int(offsets[-1] - offsets[0])):
        return polars_fact_places(texts)
    _learn_classes(offsets, data)
    doc, fact, before, after = _fact_runs(offsets, data, _CLASSES)
    del owner
    runs = pl.DataFrame(
        {
            "doc": doc,
            "fact": _strings(*fact),
            "before": _strings(*before).str.to_lowercase(),
            "after": _strings(*after).str.to_lowercase(),
        }
    )
    return _as_lists(texts, runs)


def _strings(offsets: I64Array, data: U8Array) -> pl.Series:
    """A string column from Arrow offsets and UTF-8 bytes (one copy, no Python per string)."""
    import pyarrow as pa  # deferred: only a run needs Arrow

    array = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )
    return pl.Series(pl.from_arrow(array)).cast(pl.String)


def _as_lists(texts: pl.Series, runs: pl.DataFrame) -> pl.Series:
    """Each text's runs (``doc``, ``fact``, ``before``, ``after``), in order, as facts."""
    docs = pl.DataFrame({TEXT: texts}, schema={TEXT: pl.String}).with_row_index("doc")
    grouped = runs.select(
        pl.col("doc").cast(pl.UInt32),
        pl.struct(
            place=pl.concat_str(pl.col("before"), pl.lit("|"), pl.col("after")),
            fact="fact",
        ).alias("facts"),
    ).group_by("doc", maintain_order=True)
    facts = docs.join(grouped.agg("facts"), on="doc", how="left").sort("doc")
    return facts.select(
        pl.when(pl.col(TEXT).is_not_null())
        .then(pl.col("facts").fill_null(pl.lit([], FACTS_TYPE)))
        .cast(FACTS_TYPE)
        .alias("facts")
    ).to_series()


def polars_fact_places(texts: pl.Series) -> pl.Series:
    """`fact_places` in Polars expressions over every word (the kernel's reference)."""
    docs = pl.DataFrame({TEXT: _prepared(texts)}, schema={TEXT: pl.String}).with_row_index("doc")
    lines = docs.select("doc", line=pl.col(TEXT).str.split(_LINE_BREAK)).explode("line")
    lines = lines.filter(pl.col("line").str.contains(r"\p{Ll}"))
    words = lines.select(
        "doc", word=pl.concat_str("line", pl.lit(" " + _LINE_BREAK)).str.extract_all(r"\S+|\n")
    ).explode("word")
    words = words.drop_nulls("word").with_columns(
        core=pl.when(pl.col("word") == _LINE_BREAK)
        .then(pl.lit(_LINE_BREAK))
        .otherwise(pl.col("word").str.strip_chars(_PUNCTUATION))
    )
    words = words.filter(pl.col("core") != "")
    # Words stay in document order, so neighbours are plain shifts, cut at a document's edges
    # (cheaper than windows over each document).
    first = pl.col("doc") != pl.col("doc").shift(1)
    last = pl.col("doc") != pl.col("doc").shift(-1)
    capital = pl.col("core").str.contains(r"^\p{Lu}")
    opens = pl.col("word").shift(1).str.contains(r"(?:[.!?][\"')]*|\n)$")
    words = words.with_columns(capital=capital, opens=(opens | first).fill_null(True))
    next_capital = (pl.col("capital").shift(-1) & ~last).fill_null(False)
    number = pl.col("core").str.contains(r"^\p{N}")
    is_fact = number | (pl.col("capital") & (~pl.col("opens") | next_capital))
    neighbour = {
        "before": pl.when(~first).then(pl.col("core").shift(1)),
        "after": pl.when(~last).then(pl.col("core").shift(-1)),
    }
    words = words.with_columns(fact=is_fact).with_columns(
        # A figure is a fact of its own; capitalized words run together ("Jane Doe").
        run=((pl.col("fact") != pl.col("fact").shift(1)) | first | number | number.shift(1))
        .fill_null(True)
        .cum_sum(),
        **{name: value.str.to_lowercase().fill_null("") for name, value in neighbour.items()},
    )
    runs = (
        words.filter("fact")
        .group_by("doc", "run", maintain_order=True)
        .agg(
            fact=pl.col("core").str.join(" "),
            before=pl.col("before").first().replace(_LINE_BREAK, ""),
            after=pl.col("after").last().replace(_LINE_BREAK, ""),
        )
        .drop("run")
    )
    return _as_lists(texts, runs)


# Classes of code points the kernel reads, as the reference's patterns do (Rust's regex
# classes, so the table is filled by Polars itself): whitespace (\s), lower case (\p{Ll}),
# upper case (\p{Lu}), number (\p{N}). 2 is "not classified yet" (no class uses that bit),
# as `unknown_code_points` expects; a batch's new code points are classified once.
_SPACE = SPACE_CLASS = 1
_UNCLASSIFIED = 2
_LOWER = 4
_UPPER = 8
_NUMBER = 16
_CLASSES = np.full(0x110000, _UNCLASSIFIED, dtype=np.uint8)


def _classify(codes: I64Array) -> None:
    chars = pl.Series([chr(code) for code in codes.tolist()], dtype=pl.String)
    flags = np.zeros(len(codes), dtype=np.uint8)
    for pattern, flag in (
        (r"^\s$", _SPACE),
        (r"^\p{Ll}$", _LOWER),
        (r"^\p{Lu}$", _UPPER),
        (r"^\p{N}$", _NUMBER),
    ):
        flags |= np.where(chars.str.contains(pattern).to_numpy(), flag, 0).astype(np.uint8)
    _CLASSES[codes] = flags


_classify(np.arange(0x80, dtype=np.int64))


def _learn_classes(offsets: I64Array, data: U8Array) -> None:
    """Classify the code points of the batch that no batch held before."""
    found = unknown_code_points(data, int(offsets[0]), int(offsets[-1]), _CLASSES)
    if len(found):
        _classify(np.unique(found))


def code_point_classes(offsets: I64Array, data: U8Array) -> U8Array:
    """The classes of code points (bit ``SPACE_CLASS``: whitespace), complete for these texts."""
    _learn_classes(offsets, data)
    return _CLASSES


_PUNCTUATION_BYTES = np.zeros(256, dtype=np.bool_)
_PUNCTUATION_BYTES[[ord(c) for c in _PUNCTUATION]] = True
_CLOSERS = np.zeros(256, dtype=np.bool_)  # may follow a sentence's end: ." .' .)
_CLOSERS[[ord(c) for c in "\"')"]] = True
_ENDS = np.zeros(256, dtype=np.bool_)
_ENDS[[ord(c) for c in ".!?"]] = True
_NEWLINE = 10


@kernel
def class_at(data: U8Array, pos: int, classes: U8Array) -> tuple[Any, int]:
    """The classes of the code point at ``pos`` and its length in bytes (kernel)."""
    byte = data[pos]
    if byte < 0x80:
        return classes[byte], 1
    code, length = decode_code_point(data, pos)
    return classes[code], length


@kernel
def _grown(values: I64Array, used: int) -> I64Array:
    """``values`` with twice the room, its first ``used`` entries kept (kernel)."""
    grown = np.empty(2 * len(values) + 16, dtype=values.dtype)
    grown[:used] = values[:used]
    return grown


@kernel
def _word_tokens(
    offsets: I64Array,
    data: U8Array,
    classes: U8Array,
    punctuation: npt.NDArray[np.bool_],
    closers: npt.NDArray[np.bool_],
    ends: npt.NDArray[np.bool_],
) -> tuple[I64Array, I64Array, I64Array, I64Array]:
    """Tokenize the texts as `polars_fact_places` does, in one pass (kernel).

    Token ``t`` is the core ``data[starts[t]:stops[t]]`` (end punctuation stripped) of a word
    on a line holding a lower-case letter, or a line break closing such a line (``flags``
    bit 1); bit 2: the word ends a sentence (``[.!?]["')]*$``), bit 4: its core starts upper
    case, bit 8: with a number. ``doc_tokens[i]`` is document ``i``'s first token. A line's
    tokens are dropped again when it holds no lower-case letter.
    """
    capacity = len(data) // 4 + 16
    starts = np.empty(capacity, dtype=np.int64)
    stops = np.empty(capacity, dtype=np.int64)
    flags = np.empty(capacity, dtype=np.int64)
    doc_tokens = np.empty(len(offsets), dtype=np.int64)
    count = 0
    for doc in range(len(offsets) - 1):
        doc_tokens[doc] = count
        pos = offsets[doc]
        end = offsets[doc + 1]
        line_first = count
        has_lower = False
        while pos <= end:
            if pos == end or data[pos] == _NEWLINE:
                if has_lower:
                    if count + 1 > len(starts):
                        starts, stops, flags = (
                            _grown(starts, count),
                            _grown(stops, count),
                            _grown(flags, count),
                        )
                    starts[count], stops[count], flags[count] = pos, pos, 1
                    count += 1
                else:
                    count = line_first
                line_first = count
                has_lower = False
                pos += 1
                continue
            byte = data[pos]
            if byte < 0x80:
                found, length = classes[byte], 1
            else:
                found, length = class_at(data, pos, classes)
            if found & _SPACE:
                pos += length
                continue
            word_start = pos
            while pos < end:
                byte = data[pos]
                if byte < 0x80:
                    if byte == _NEWLINE:
                        break
                    found, length = classes[byte], 1
                else:
                    found, length = class_at(data, pos, classes)
                if found & _SPACE:
                    break
                if found & _LOWER:
                    has_lower = True
                pos += length
            word_end = pos
            core_start, core_end = word_start, word_end
            while core_start < core_end and punctuation[data[core_start]]:
                core_start += 1
            while core_end > core_start and punctuation[data[core_end - 1]]:
                core_end -= 1
            if core_start == core_end:
                continue
            tail = word_end - 1
            while tail >= word_start and closers[data[tail]]:
                tail -= 1
            flag = 0
            if tail >= word_start and ends[data[tail]]:
                flag |= 2
            first, _ = class_at(data, core_start, classes)
            if first & _UPPER:
                flag |= 4
            if first & _NUMBER:
                flag |= 8
            if count + 1 > len(starts):
                starts, stops, flags = (
                    _grown(starts, count),
                    _grown(stops, count),
                    _grown(flags, count),
                )
            starts[count], stops[count], flags[count] = core_start, core_end, flag
            count += 1
    doc_tokens[len(offsets) - 1] = count
    return starts[:count], stops[:count], flags[:count], doc_tokens


@kernel
def _runs_of(doc_tokens: I64Array, flags: I64Array) -> tuple[I64Array, I64Array, I64Array]:
    """The runs of fact tokens: each run's document, first token and last token (kernel).

    A token is a fact when its core starts with a number, or with a capital and it does not
    open a sentence (the document's first token, or one after a sentence's end or a line
    break) or the next token starts with a capital too. A run is consecutive fact tokens; a
    number is a run of its own.
    """
    n_tokens = doc_tokens[-1]
    is_fact = np.zeros(n_tokens, dtype=np.bool_)
    for doc in range(len(doc_tokens) - 1):
        first, stop = doc_tokens[doc], doc_tokens[doc + 1]
        for t in range(first, stop):
            number = flags[t] & 8
            capital = flags[t] & 4
            opens = t == first or (flags[t - 1] & 3) != 0
            next_capital = t + 1 < stop and (flags[t + 1] & 4) != 0
            is_fact[t] = number != 0 or (capital != 0 and (not opens or next_capital))
    docs = np.empty(n_tokens, dtype=np.int64)
    heads = np.empty(n_tokens, dtype=np.int64)
    tails = np.empty(n_tokens, dtype=np.int64)
    count = 0
    for doc in range(len(doc_tokens) - 1):
        first, stop = doc_tokens[doc], doc_tokens[doc + 1]
        t = first
        while t < stop:
            if not is_fact[t]:
                t += 1
                continue
            head = t
            if not flags[t] & 8:
                while t + 1 < stop and is_fact[t + 1] and not flags[t + 1] & 8:
                    t += 1
            docs[count], heads[count], tails[count] = doc, head, t
            count += 1
            t += 1
    return docs[:count], heads[:count], tails[:count]


@kernel
def _copy_spans(
    data: U8Array,
    starts: I64Array,
    stops: I64Array,
    first: I64Array,
    last: I64Array,
    separator: int,
) -> tuple[I64Array, U8Array]:
    """Strings joining tokens ``first[i]..last[i]`` by ``separator``; empty where first > last."""
    offsets = np.zeros(len(first) + 1, dtype=np.int64)
    for i in range(len(first)):
        size = 0
        for t in range(first[i], last[i] + 1):
            size += stops[t] - starts[t] + (1 if t > first[i] else 0)
        offsets[i + 1] = offsets[i] + size
    out = np.empty(offsets[-1], dtype=np.uint8)
    for i in range(len(first)):
        at = offsets[i]
        for t in range(first[i], last[i] + 1):
            if t > first[i]:
                out[at] = separator
                at += 1
            for b in range(starts[t], stops[t]):
                out[at] = data[b]
                at += 1
    return offsets, out


def _fact_runs(
    offsets: I64Array, data: U8Array, classes: U8Array
) -> tuple[I64Array, tuple[I64Array, U8Array], tuple[I64Array, U8Array], tuple[I64Array, U8Array]]:
    """Each run of facts: its document, its words, and the words before and after it."""
    starts, stops, flags, doc_tokens = _word_tokens(
        offsets, data, classes, _PUNCTUATION_BYTES, _CLOSERS, _ENDS
    )
    docs, heads, tails = _runs_of(doc_tokens, flags)
    # The neighbours: none at a document's edge, and a line break is no word.
    before = heads - 1
    after = tails + 1
    has_before = heads > doc_tokens[docs]
    has_after = after < doc_tokens[docs + 1]
    before_ok = has_before & (flags[np.where(has_before, before, 0)] != 1)
    after_ok = has_after & (flags[np.where(has_after, after, 0)] != 1)
    no_word = np.int64(0), np.int64(-1)
    before_first = np.where(before_ok, before, no_word[0])
    before_last = np.where(before_ok, before, no_word[1])
    after_first = np.where(after_ok, after, no_word[0])
    after_last = np.where(after_ok, after, no_word[1])
    space = ord(" ")
    return (
        docs,
        _copy_spans(data, starts, stops, heads, tails, space),
        _copy_spans(data, starts, stops, before_first, before_last, space),
        _copy_spans(data, starts, stops, after_first, after_last, space),
    )


@warm_up
def warm_up_kernels() -> None:
    """Compile the kernels (or load them from numba's cache) on two tiny texts."""
    texts = pl.Series(["Shares of Acme Corp rose 4.5%.\nThe Bank said so.", "Été à Zürich"])
    prepared = _prepared(texts)
    offsets, data, owner = string_buffers(prepared)
    _learn_classes(offsets, data)
    _fact_runs(offsets, data, _CLASSES)
    del owner
