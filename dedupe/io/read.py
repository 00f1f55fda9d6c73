"""Reading inputs in batches: formats, id and text fields, and records that cannot be used.

A record that cannot be used becomes an ``invalid_record`` row naming its file and line; a whole
input that cannot be read raises ``InputError``. Inputs are read in batches of about
``batch_size`` records, so memory follows the batch, not the corpus.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from dedupe.config import InputConfig
from dedupe.errors import InputError, SchemaError
from dedupe.schema import DETAIL, DOC_ID, DROP_REASON, ROW_INDEX, TEXT, DropReason

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
TABLE_SUFFIXES = (".parquet", ".csv")
STDIN = "-"
# Windows-1252 decodes every byte that UTF-8 rejects in practice (it is what mislabelled
# "latin-1" pages are), so a non-UTF-8 text file keeps its words instead of being dropped.
FALLBACK_ENCODING = "cp1252"
DEFAULT_BATCH_SIZE = 10_000
# JSON lines are read in chunks of this many bytes per record of the batch size.
_JSONL_BYTES_PER_RECORD = 4096
_ID_CANDIDATES = (DOC_ID, "id")
_SOURCE = "_source"  # "file:line" of each record, for messages; dropped before output
_INVALID_SCHEMA = {DOC_ID: pl.String, DROP_REASON: pl.String, DETAIL: pl.String}

Invalid = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Records read from the inputs: usable documents, and invalid ones with their reason.

    ``corpus`` has `_row` (the record's position in the whole input, from 0), `doc_id`,
    `text` and every other field; ``invalid`` has `doc_id`, `reason` and `detail`.
    """

    corpus: pl.DataFrame
    invalid: pl.DataFrame
    decoded_with_fallback: int = 0


@dataclass(frozen=True, slots=True)
class _RawBatch:
    frame: pl.DataFrame
    invalid: Invalid
    fallback: int = 0


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*JSONL_SUFFIXES, *TABLE_SUFFIXES, *TEXT_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _invalid_frame(rows: Invalid) -> pl.DataFrame:
    return pl.DataFrame(
        {
            DOC_ID: [doc_id for doc_id, _ in rows],
            DROP_REASON: [DropReason.INVALID_RECORD.value] * len(rows),
            DETAIL: [detail for _, detail in rows],
        },
        schema=_INVALID_SCHEMA,
    )


def is_binary(data: bytes) -> bool:
    """Whether ``data`` is binary: a NUL byte never occurs in UTF-8 or Windows-1252 text."""
    return b"\x00" in data[:8192]


def _folder_batches(folder: Path, batch_size: int) -> Iterator[_RawBatch]:
    paths = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
    )
    if not paths:
        raise InputError(
            f"input folder '{folder}' holds no {' or '.join(TEXT_SUFFIXES)} files; "
            "pass a folder of articles or a .jsonl, .parquet or .csv file"
        )
    for start in range(0, len(paths), batch_size):
        ids: list[str] = []
        texts: list[str] = []
        sources: list[str] = []
        invalid: Invalid = []
        fallback = 0
        for path in paths[start : start + batch_size]:
            doc_id = path.relative_to(folder).with_suffix("").as_posix()
            data = path.read_bytes()
            if not data.strip():
                invalid.append((doc_id, f"{path}: file is empty; remove it or give it text"))
                continue
            if is_binary(data):
                invalid.append((doc_id, f"{path}: binary file, not text; remove it"))
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode(FALLBACK_ENCODING, errors="replace")
                fallback += 1
                logger.warning("%s is not UTF-8; decoded as %s", path, FALLBACK_ENCODING)
            ids.append(doc_id)
            texts.append(text)
            sources.append(str(path))
        frame = pl.DataFrame(
            {DOC_ID: ids, TEXT: texts, _SOURCE: sources},
            schema={DOC_ID: pl.String, TEXT: pl.String, _SOURCE: pl.String},
        )
        yield _RawBatch(frame, invalid, fallback)


def parse_jsonl_lines(data: bytes, name: str, first_line: int) -> _RawBatch:
    """Parse JSON lines record by record: the slow path, taken only when the fast reader fails."""
    records: list[dict[str, Any]] = []
    invalid: Invalid = []
    for line_no, raw in enumerate(data.split(b"\n"), start=first_line):
        if not raw.strip():
            continue
        where = f"{name}:{line_no}"
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            invalid.append((where, f"{where}: line is not UTF-8; re-encode the file as UTF-8"))
            continue
        except json.JSONDecodeError as error:
            message = f"malformed JSON ({error.msg} at column {error.colno}); fix or delete it"
            invalid.append((where, f"{where}: {message}"))
            continue
        if not isinstance(record, dict):
            kind = type(record).__name__
            invalid.append((where, f"{where}: a JSON {kind}, not an object; one {{...}} a line"))
            continue
        record[_SOURCE] = where
        records.append(record)
    if not records:
        return _RawBatch(pl.DataFrame(), invalid)
    try:
        frame = pl.from_dicts(records, infer_schema_length=None)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        # A field whose type varies between records (a date as string here, number there) is
        # kept as JSON text rather than guessed.
        keys = list(dict.fromkeys(k for record in records for k in record))
        frame = pl.DataFrame(
            {k: [_as_text(record.get(k)) for record in records] for k in keys},
            schema=dict.fromkeys(keys, pl.String),
        )
    return _RawBatch(frame, invalid)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _record_lines(data: bytes, first_line: int) -> pl.Series:
    """Line numbers of the non-blank lines of ``data``: the records a JSON reader returns."""
    lines = pl.Series([data.decode("utf-8", errors="replace")]).str.split("\n").explode()
    filled = lines.str.strip_chars(" \t\r").str.len_bytes() > 0
    return filled.arg_true().cast(pl.Int64) + first_line


def _jsonl_chunk(data: bytes, name: str, first_line: int) -> _RawBatch:
    try:
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError, RuntimeError):
        return parse_jsonl_lines(data, name, first_line)
    total = data.count(b"\n") + (not data.endswith(b"\n"))
    if total == frame.height:
        # No blank line: record k is on line first_line + k (splitting the text costs more).
        lines = pl.int_range(first_line, first_line + total, eager=True)
    else:
        lines = _record_lines(data, first_line)
    if len(lines) != frame.height:
        return parse_jsonl_lines(data, name, first_line)
    source = pl.lit(f"{name}:") + lines.cast(pl.String)
    return _RawBatch(frame.with_columns(pl.select(source.alias(_SOURCE)).to_series()), [])


def _jsonl_batches(
    stream: BinaryIO | gzip.GzipFile, name: str, batch_size: int
) -> Iterator[_RawBatch]:
    chunk_bytes = max(1 << 12, batch_size * _JSONL_BYTES_PER_RECORD)
    pending = b""
    first_line = 1
    checked = False
    while True:
        block = stream.read(chunk_bytes)
        data = pending + block
        if not checked and data:
            if is_binary(data):
                raise InputError(f"input '{name}' is a binary file, not JSON lines")
            checked = True
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending = data
                continue
            data, pending = data[:cut], data[cut:]
        elif not data:
            return
        else:
            pending = b""
        yield _jsonl_chunk(data, name, first_line)
        first_line += data.count(b"\n")
        if not block:
            return


def _table_batches(path: Path, suffix: str, batch_size: int) -> Iterator[_RawBatch]:
    kind = "Parquet" if suffix == ".parquet" else "CSV"
    # Strings throughout for CSV: its fields pass through untouched, not re-typed.
    scan = pl.scan_parquet(path) if suffix == ".parquet" else pl.scan_csv(path, infer_schema=False)
    offset = 1
    try:
        for frame in scan.collect_batches(chunk_size=batch_size):
            numbers = pl.int_range(offset, offset + frame.height, eager=True).cast(pl.String)
            yield _RawBatch(frame.with_columns((f"{path}:" + numbers).alias(_SOURCE)), [])
            offset += frame.height
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InputError(f"input '{path}' is not a readable {kind} file: {first}") from None


def _raw_batches(path_text: str, batch_size: int) -> Iterator[_RawBatch]:
    if path_text == STDIN:
        yield from _jsonl_batches(sys.stdin.buffer, "stdin", batch_size)
        return
    path = Path(path_text)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist; check the path")
    if path.is_dir():
        yield from _folder_batches(path, batch_size)
        return
    suffix = _suffix(path)
    if suffix in JSONL_SUFFIXES:
        try:
            with gzip.open(path) if suffix.endswith(".gz") else path.open("rb") as stream:
                yield from _jsonl_batches(stream, str(path), batch_size)
        except (gzip.BadGzipFile, EOFError) as error:
            raise InputError(f"input '{path}' is not a valid gzip file: {error}") from None
    elif suffix in TABLE_SUFFIXES:
        yield from _table_batches(path, suffix, batch_size)
    else:
        known = ", ".join((*JSONL_SUFFIXES, *TABLE_SUFFIXES))
        raise InputError(
            f"input '{path}' has an unknown extension '{path.suffix}'; use a folder of "
            f"{'/'.join(TEXT_SUFFIXES)} files or one of {known}"
        )


def _pick_id_column(frame: pl.DataFrame, config: InputConfig, name: str) -> str | None:
    if config.id_column is not None:
        if config.id_column not in frame.columns:
            raise SchemaError(
                f"input '{name}' has no id column '{config.id_column}' "
                f"(found: {', '.join(c for c in frame.columns if c != _SOURCE)}); "
                "pass --id-column with one of those, or leave it out to number the records"
            )
        return config.id_column
    return next((c for c in _ID_CANDIDATES if c in frame.columns), None)


def _to_corpus(
    frame: pl.DataFrame, config: InputConfig, name: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map the id and text fields to `doc_id` and `text`; split off invalid records."""
    if frame.width == 0:
        return frame, _invalid_frame([])
    if config.text_column not in frame.columns:
        found = ", ".join(c for c in frame.columns if c != _SOURCE)
        hint = next((c for c in ("body", "content", "article", "text") if c in frame.columns), None)
        suggestion = f"pass --text-column {hint}" if hint else "pass --text-column NAME"
        raise SchemaError(
            f"input '{name}' has no column '{config.text_column}' (found: {found}); {suggestion}"
        )
    id_column = _pick_id_column(frame, config, name)
    renames = {config.text_column: TEXT}
    if id_column is not None and id_column != DOC_ID:
        # A `doc_id` field that is not the id would collide with the renamed id.
        if DOC_ID in frame.columns:
            frame = frame.rename({DOC_ID: f"{DOC_ID}_original"})
        renames[id_column] = DOC_ID
    if config.text_column != TEXT and TEXT in frame.columns:
        frame = frame.rename({TEXT: f"{TEXT}_original"})
    frame = frame.rename(renames)
    if id_column is None:
        frame = frame.with_columns(pl.col(_SOURCE).alias(DOC_ID))
    frame = frame.with_columns(
        pl.col(DOC_ID).cast(pl.String, strict=False), pl.col(TEXT).cast(pl.String, strict=False)
    )
    problem = (
        pl.when(pl.col(DOC_ID).is_null() | (pl.col(DOC_ID).str.strip_chars() == ""))
        .then(pl.col(_SOURCE) + pl.lit(": id is null or empty; give every record an id"))
        .when(pl.col(TEXT).is_null())
        .then(pl.col(_SOURCE) + pl.lit(f": field '{config.text_column}' is null or missing"))
    )
    frame = frame.with_columns(problem.alias(DETAIL))
    invalid = frame.filter(pl.col(DETAIL).is_not_null()).select(
        pl.coalesce(DOC_ID, _SOURCE).alias(DOC_ID),
        pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
        DETAIL,
    )
    return frame.filter(pl.col(DETAIL).is_null()).drop(DETAIL), invalid


class _Batcher:
    """Numbers records across batches and turns a repeated id into an invalid record."""

    def __init__(self, config: InputConfig) -> None:
        self.config = config
        self.rows = 0
        self.seen = pl.DataFrame(schema={DOC_ID: pl.String, "_first": pl.String})

    def finish(self, raw: _RawBatch, name: str, *, folder: bool) -> ReadResult:
        if folder:
            good, bad = raw.frame, _invalid_frame([])
        else:
            good, bad = _to_corpus(raw.frame, self.config, name)
        invalid = [_invalid_frame(raw.invalid), bad]
        if good.width == 0:
            good = pl.DataFrame(schema={DOC_ID: pl.String, TEXT: pl.String, _SOURCE: pl.String})
        first_in_batch = pl.int_range(pl.len()).over(DOC_ID) == 0
        good = good.join(self.seen, on=DOC_ID, how="left", maintain_order="left")
        repeated = good.filter(~first_in_batch | pl.col("_first").is_not_null())
        if repeated.height:
            first_seen = good.filter(first_in_batch).select(
                DOC_ID, pl.coalesce("_first", _SOURCE).alias("_origin")
            )
            invalid.append(
                repeated.join(first_seen, on=DOC_ID, how="left").select(
                    DOC_ID,
                    pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
                    (
                        pl.col(_SOURCE)
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
            [self.seen, good.select(DOC_ID, pl.col(_SOURCE).alias("_first"))], how="vertical"
        )
        corpus = good.with_row_index(ROW_INDEX, offset=self.rows).drop(_SOURCE)
        self.rows += good.height
        return ReadResult(
            corpus.with_columns(pl.col(ROW_INDEX).cast(pl.UInt32)),
            pl.concat(invalid, how="vertical"),
            raw.fallback,
        )


def iter_batches(
    inputs: Sequence[str | Path],
    config: InputConfig | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[ReadResult]:
    """Read the inputs as one corpus, in batches of at most ``batch_size`` documents.

    A folder is read recursively (``.txt``, ``.md``; the id is the path relative to the folder,
    without its extension). ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.parquet`` and
    ``.csv`` are read as tables; ``-`` reads JSON lines from stdin. Records whose id or text is
    missing, malformed JSON lines and repeated ids become ``invalid_record`` rows.

    Raises:
        InputError: an input does not exist, has an unknown extension or cannot be parsed.
        SchemaError: an input lacks the text column or the requested id column.
    """
    config = config or InputConfig()
    if not inputs:
        raise InputError("no inputs given; pass a folder, a .jsonl/.parquet/.csv file or -")
    batcher = _Batcher(config)
    for item in inputs:
        name = str(item)
        folder = name != STDIN and Path(name).is_dir()
        records = 0
        for raw in _raw_batches(name, batch_size):
            result = batcher.finish(raw, name, folder=folder)
            records += result.corpus.height + result.invalid.height
            yield from _split(result, batch_size)
        if records == 0:
            raise InputError(f"input '{name}' holds no records; remove it from the inputs")


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
    batcher = _Batcher(config or InputConfig())
    for offset in range(0, max(frame.height, 1), batch_size):
        part = frame.slice(offset, batch_size)
        numbers = pl.int_range(offset + 1, offset + 1 + part.height, eager=True).cast(pl.String)
        part = part.with_columns(("frame:" + numbers).alias(_SOURCE))
        yield batcher.finish(_RawBatch(part, []), "frame", folder=False)


def collect(batches: Iterator[ReadResult]) -> ReadResult:
    """Concatenate batches into one result."""
    parts = list(batches)
    return ReadResult(
        pl.concat([p.corpus for p in parts], how="diagonal_relaxed"),
        pl.concat([p.invalid for p in parts], how="vertical"),
        sum(p.decoded_with_fallback for p in parts),
    )


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
