"""Reading inputs in batches: formats, id and text fields, and records that cannot be used.

A record that cannot be used becomes an ``invalid_record`` row naming its file and line; a whole
input that cannot be read raises ``InputError``. Inputs are read in batches of about
``batch_size`` records, so memory follows the batch, not the corpus. What a record becomes
never depends on the batch size: the fields of a JSON input are judged record by record, and
a field missing from every record of a file is an error for the whole file.
"""

from __future__ import annotations

import glob
import gzip
import logging
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

from dedupe.config import InputConfig
from dedupe.errors import InputError
from dedupe.io.fields import ID_CANDIDATES, InputFields, check_fields, to_corpus
from dedupe.io.folder import DOCUMENT_SUFFIXES, folder_batches
from dedupe.io.jsonl import StringFields, json_array_batches, jsonl_batches, starts_an_array
from dedupe.io.records import SOURCE, RawBatch, invalid_frame
from dedupe.io.tables import TABLE_SUFFIXES, table_batches
from dedupe.schema import DETAIL, DOC_ID, DROP_REASON, ROW_INDEX, TEXT, DropReason

logger = logging.getLogger(__name__)

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
JSON_SUFFIXES = (".json", ".json.gz")
STDIN = "-"
DEFAULT_BATCH_SIZE = 10_000
_GLOB_CHARACTERS = "*?["


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Records read from the inputs: usable documents, and invalid ones with their reason.

    ``corpus`` has `_row` (the record's position in the whole input, from 0), `doc_id`,
    `text` and every other field; ``invalid`` has `doc_id`, `reason` and `detail`.
    ``unsupported_files`` counts, by extension, the files of input folders left unread.
    """

    corpus: pl.DataFrame
    invalid: pl.DataFrame
    decoded_with_fallback: int = 0
    unsupported_files: dict[str, int] = field(default_factory=dict)


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*JSONL_SUFFIXES, *JSON_SUFFIXES, *TABLE_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _string_fields(config: InputConfig) -> StringFields:
    text = config.html_column or config.text_column
    ids = (config.id_column,) if config.id_column else tuple(c for c in ID_CANDIDATES if c != text)
    return StringFields(text=text, ids=ids)


def _open(path: Path) -> BinaryIO | gzip.GzipFile:
    return gzip.GzipFile(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _file_batches(
    path: Path, suffix: str, batch_size: int, fields: StringFields
) -> Iterator[RawBatch]:
    if suffix in TABLE_SUFFIXES:
        yield from table_batches(path, suffix, batch_size)
        return
    with _open(path) as stream:
        if suffix in JSON_SUFFIXES:
            head = stream.read(4096)
            if starts_an_array(head):
                data = head + stream.read()
                yield from json_array_batches(data, str(path), batch_size, fields)
                return
            stream.seek(0)
        yield from jsonl_batches(stream, str(path), batch_size, fields)


def _raw_batches(path_text: str, batch_size: int, fields: StringFields) -> Iterator[RawBatch]:
    if path_text == STDIN:
        yield from jsonl_batches(sys.stdin.buffer, "stdin", batch_size, fields)
        return
    path = Path(path_text)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist; check the path")
    if path.is_dir():
        yield from folder_batches(path, batch_size)
        return
    suffix = _suffix(path)
    if suffix not in (*JSONL_SUFFIXES, *JSON_SUFFIXES, *TABLE_SUFFIXES):
        known = ", ".join((*JSONL_SUFFIXES, *JSON_SUFFIXES, *TABLE_SUFFIXES))
        raise InputError(
            f"input '{path}' has an unknown extension '{path.suffix}'; use a folder of "
            f"{'/'.join(DOCUMENT_SUFFIXES)} files or one of {known}"
        )
    try:
        yield from _file_batches(path, suffix, batch_size, fields)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise InputError(
            f"input '{path}' is a corrupt gzip file ({error}); nothing of it was used"
        ) from None
    except OSError as error:
        raise InputError(f"cannot read '{path}': {error.strerror or error}") from None


def expand_inputs(inputs: Sequence[str | Path]) -> list[str]:
    """Replace each input that does not exist but is a glob pattern by the paths it matches.

    ``**`` matches any depth. The matches are read in sorted order.

    Raises:
        InputError: a pattern matches nothing.
    """
    expanded: list[str] = []
    for item in inputs:
        name = str(item)
        if name == STDIN or Path(name).exists() or not any(c in name for c in _GLOB_CHARACTERS):
            expanded.append(name)
            continue
        matches = sorted(glob.glob(name, recursive=True))
        if not matches:
            raise InputError(f"input pattern '{name}' matches no files; check the pattern")
        expanded.extend(matches)
    return expanded


class _Batcher:
    """Numbers records across batches and turns a repeated id into an invalid record."""

    def __init__(self, config: InputConfig) -> None:
        self.config = config
        self.rows = 0
        self.seen = pl.DataFrame(schema={DOC_ID: pl.String, "_first": pl.String})

    def finish(self, raw: RawBatch, fields: InputFields, *, folder: bool) -> ReadResult:
        if folder:
            good, bad = raw.frame, invalid_frame([])
        else:
            good, bad = to_corpus(raw, self.config, fields)
        invalid = [invalid_frame(raw.invalid), bad]
        if good.width == 0:
            good = pl.DataFrame(schema={DOC_ID: pl.String, TEXT: pl.String, SOURCE: pl.String})
        first_in_batch = pl.int_range(pl.len()).over(DOC_ID) == 0
        good = good.join(self.seen, on=DOC_ID, how="left", maintain_order="left")
        repeated = good.filter(~first_in_batch | pl.col("_first").is_not_null())
        if repeated.height:
            first_seen = good.filter(first_in_batch).select(
                DOC_ID, pl.coalesce("_first", SOURCE).alias("_origin")
            )
            invalid.append(
                repeated.join(first_seen, on=DOC_ID, how="left").select(
                    DOC_ID,
                    pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
                    (
                        pl.col(SOURCE)
                        + pl.lit(": doc_id '")
                        + pl.col(DOC_ID)
                        + pl.lit("' repeats the id of ")
                        + pl.col("_origin")
                        + pl.lit("; ids must be unique (or leave out --id-column)")
                    ).alias(DETAIL),
                )
            )
            good = good.filter(first_in_batch & pl.col("_first").is_null())
        good = good.drop("_first")
        self.seen = pl.concat(
            [self.seen, good.select(DOC_ID, pl.col(SOURCE).alias("_first"))], how="vertical"
        )
        corpus = good.with_row_index(ROW_INDEX, offset=self.rows).drop(SOURCE)
        self.rows += good.height
        return ReadResult(
            corpus.with_columns(pl.col(ROW_INDEX).cast(pl.UInt32)),
            pl.concat(invalid, how="vertical"),
            raw.fallback,
            raw.unsupported,
        )


def iter_batches(
    inputs: Sequence[str | Path],
    config: InputConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[ReadResult]:
    """Read the inputs as one corpus, in batches of at most ``batch_size`` documents.

    A folder is read recursively (``.txt``, ``.md``, and ``.html``/``.htm`` as text lines;
    the id is the path relative to the folder, without its extension). ``.jsonl``/``.ndjson``
    (optionally ``.gz``), ``.json`` (an array of records, or JSON lines), ``.parquet`` and
    ``.csv`` are read as tables; ``-`` reads JSON lines from stdin; an input that does not
    exist but is a glob pattern is the files it matches. Records whose text is missing or not
    a string, malformed JSON lines and repeated ids become ``invalid_record`` rows.

    Raises:
        InputError: an input does not exist, has an unknown extension or cannot be parsed.
        SchemaError: no record of an input has the text field or the requested id field.
    """
    config = config or InputConfig()
    if not inputs:
        raise InputError("no inputs given; pass a folder, a .jsonl/.parquet/.csv file or -")
    batcher = _Batcher(config)
    string_fields = _string_fields(config)
    for name in expand_inputs(inputs):
        folder = name != STDIN and Path(name).is_dir()
        fields = InputFields(name)
        records = 0
        for raw in _raw_batches(name, batch_size, string_fields):
            result = batcher.finish(raw, fields, folder=folder)
            records += result.corpus.height + result.invalid.height
            yield from _split(result, batch_size)
        if records == 0:
            raise InputError(f"input '{name}' holds no records; remove it from the inputs")
        if not folder and fields.columns:
            check_fields(config, fields)


def _split(result: ReadResult, batch_size: int) -> Iterator[ReadResult]:
    """Cut a read chunk into batches of at most ``batch_size`` documents.

    JSON Lines are read in chunks of an estimated number of bytes, which can hold more records
    than a batch; the invalid records go with the first batch, so each is counted once.
    """
    if result.corpus.height <= batch_size:
        yield result
        return
    for start in range(0, result.corpus.height, batch_size):
        first = start == 0
        yield ReadResult(
            result.corpus.slice(start, batch_size),
            result.invalid if first else result.invalid.clear(),
            result.decoded_with_fallback if first else 0,
            result.unsupported_files if first else {},
        )


def frame_batches(
    frame: pl.DataFrame,
    config: InputConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[ReadResult]:
    """Take an in-memory table as a corpus, in batches, with the checks of :func:`iter_batches`.

    Records are named ``frame:N`` (1-based) in messages, and ids are made that way when the
    frame has no id column.

    Raises:
        SchemaError: the frame lacks the text column or the requested id column.
    """
    config = config or InputConfig()
    batcher = _Batcher(config)
    fields = InputFields("frame")
    for offset in range(0, max(frame.height, 1), batch_size):
        part = frame.slice(offset, batch_size)
        numbers = pl.int_range(offset + 1, offset + 1 + part.height, eager=True).cast(pl.String)
        part = part.with_columns(("frame:" + numbers).alias(SOURCE))
        yield batcher.finish(RawBatch(part, [], fixed_schema=True), fields, folder=False)


def lazy_batches(
    frame: pl.LazyFrame,
    config: InputConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[ReadResult]:
    """Take a lazy query as a corpus, collected batch by batch, as :func:`frame_batches` does.

    Raises:
        SchemaError: the frame lacks the text column or the requested id column.
        InputError: the query fails.
    """
    batcher = _Batcher(config or InputConfig())
    fields = InputFields("frame")
    offset = 0
    try:
        for part in frame.collect_batches(chunk_size=batch_size):
            numbers = pl.int_range(offset + 1, offset + 1 + part.height, eager=True)
            part = part.with_columns(("frame:" + numbers.cast(pl.String)).alias(SOURCE))
            offset += part.height
            yield batcher.finish(RawBatch(part, [], fixed_schema=True), fields, folder=False)
    except pl.exceptions.PolarsError as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InputError(f"the LazyFrame given as input failed: {first}") from None


def collect(batches: Iterator[ReadResult]) -> ReadResult:
    """Concatenate batches into one result."""
    parts = list(batches)
    return ReadResult(
        pl.concat([p.corpus for p in parts], how="diagonal_relaxed"),
        pl.concat([p.invalid for p in parts], how="vertical"),
        sum(p.decoded_with_fallback for p in parts),
        _merged([p.unsupported_files for p in parts]),
    )


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for kind, n in part.items():
            total[kind] = total.get(kind, 0) + n
    return dict(sorted(total.items()))


def read_corpus(inputs: Sequence[str | Path], config: InputConfig | None = None) -> ReadResult:
    """Read the inputs into memory as one corpus (see :func:`iter_batches`).

    Raises:
        InputError: an input does not exist, has an unknown extension or cannot be parsed.
        SchemaError: an input lacks the text column or the requested id column.

    Example:
        >>> result = read_corpus(["samples/news"])
        >>> result.corpus.height
        5
    """
    return collect(iter_batches(inputs, config))
