"""JSON Lines and JSON array inputs, read in chunks, with one record rule at every chunk size.

Polars parses a chunk at once; a chunk it cannot parse exactly (a malformed line, a type that
changes between records, a text that was not a string) is parsed again record by record, so
each record's outcome never depends on where a chunk starts.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import polars as pl

from dedupe.errors import InputError
from dedupe.io.records import BOM, SOURCE, Invalid, RawBatch, is_binary, json_kind

# JSON lines are read in chunks of this many bytes per record of the batch size.
_BYTES_PER_RECORD = 4096
# What Polars makes of a non-string value in a column it reads as strings (it writes arrays,
# objects, numbers and booleans as their JSON text): such a chunk is parsed record by record.
_STRINGIFIED = r"^(?:[\[{]|true$|false$|-?[0-9][0-9.eE+-]*$)"


@dataclass(frozen=True, slots=True)
class StringFields:
    """The fields whose values must be JSON strings: the text, and the candidates for the id."""

    text: str | None = None
    ids: tuple[str, ...] = ()


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _has_lone_surrogate(record: dict[str, Any]) -> bool:
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _problem(record: dict[str, Any], fields: StringFields) -> str | None:
    """Why a parsed record cannot be used, or None."""
    text = record.get(fields.text) if fields.text is not None else None
    if text is not None and not isinstance(text, str):
        return (
            f"field '{fields.text}' is {json_kind(text)}, not a string; "
            "give the text as one JSON string"
        )
    for name in fields.ids:
        value = record.get(name)
        if isinstance(value, list | dict):
            return f"id field '{name}' is {json_kind(value)}, not a string or an integer"
    return None


def records_batch(
    records: list[tuple[str, Any]], fields: StringFields, invalid: Invalid
) -> RawBatch:
    """Check parsed records (each with its ``FILE:LINE``) and make a frame of the usable ones."""
    usable: list[dict[str, Any]] = []
    for where, record in records:
        if not isinstance(record, dict):
            kind = json_kind(record)
            invalid.append((where, f"{where}: {kind}, not an object; give one {{...}} a record"))
            continue
        problem = _problem(record, fields)
        if problem is None and _has_lone_surrogate(record):
            problem = "holds a lone surrogate escape (such as \\udc00), which is not text"
        if problem is not None:
            invalid.append((where, f"{where}: {problem}"))
            continue
        record[SOURCE] = where
        usable.append(record)
    if not usable:
        return RawBatch(pl.DataFrame(), invalid)
    try:
        frame = pl.from_dicts(usable, infer_schema_length=None)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        # A field whose type varies between records (a date as string here, number there) is
        # kept as JSON text rather than guessed.
        keys = list(dict.fromkeys(k for record in usable for k in record))
        frame = pl.DataFrame(
            {k: [_as_text(record.get(k)) for record in usable] for k in keys},
            schema=dict.fromkeys(keys, pl.String),
        )
    return RawBatch(frame, invalid)


def parse_jsonl_lines(
    data: bytes, name: str, first_line: int, fields: StringFields | None = None
) -> RawBatch:
    """Parse JSON lines record by record: the exact path, taken when the fast reader cannot be.

    A line that is not UTF-8, holds a NUL byte or is not a JSON object is an invalid record.
    """
    fields = fields or StringFields()
    records: list[tuple[str, Any]] = []
    invalid: Invalid = []
    for line_no, raw in enumerate(data.split(b"\n"), start=first_line):
        if not raw.strip():
            continue
        where = f"{name}:{line_no}"
        if is_binary(raw):
            invalid.append((where, f"{where}: line holds a NUL byte (binary data); delete it"))
            continue
        try:
            records.append((where, json.loads(raw.decode("utf-8"))))
        except UnicodeDecodeError:
            invalid.append((where, f"{where}: line is not UTF-8; re-encode the file as UTF-8"))
        except json.JSONDecodeError as error:
            message = f"malformed JSON ({error.msg} at column {error.colno}); fix or delete it"
            invalid.append((where, f"{where}: {message}"))
        except RecursionError:
            invalid.append((where, f"{where}: JSON nested too deeply; flatten it"))
    return records_batch(records, fields, invalid)


def _record_lines(data: bytes, first_line: int) -> pl.Series:
    """Line numbers of the non-blank lines of ``data``: the records a JSON reader returns."""
    lines = pl.Series([data.decode("utf-8", errors="replace")]).str.split("\n").explode()
    filled = lines.str.strip_chars(" \t\r").str.len_bytes() > 0
    return filled.arg_true().cast(pl.Int64) + first_line


def _stringified_rows(frame: pl.DataFrame, fields: StringFields) -> list[int]:
    """Rows whose text or id Polars may have made a string from another JSON type."""
    checks = []
    if fields.text in frame.columns and frame.schema[fields.text] == pl.String:
        checks.append(pl.col(fields.text).str.contains(_STRINGIFIED))
    for name in fields.ids:
        if name in frame.columns and frame.schema[name] == pl.String:
            checks.append(pl.col(name).str.contains(r"^[\[{]"))
    if not checks:
        return []
    rows: list[int] = frame.select(pl.any_horizontal(checks)).to_series().arg_true().to_list()
    return rows


def _jsonl_chunk(data: bytes, name: str, first_line: int, fields: StringFields) -> RawBatch:
    try:
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError, RuntimeError):
        return parse_jsonl_lines(data, name, first_line, fields)
    total = data.count(b"\n") + (not data.endswith(b"\n"))
    if total == frame.height:
        # No blank line: record k is on line first_line + k (splitting the text costs more).
        lines = pl.int_range(first_line, first_line + total, eager=True)
    else:
        lines = _record_lines(data, first_line)
    if len(lines) != frame.height:
        return parse_jsonl_lines(data, name, first_line, fields)
    invalid: Invalid = []
    suspects = _stringified_rows(frame, fields)
    if suspects:
        # Polars writes an array, object, number or boolean in a string column as its JSON
        # text; the few records whose value looks like one are parsed again to know which.
        raw_lines = data.split(b"\n")
        rejected = []
        for row in suspects:
            line = int(lines[row])
            where = f"{name}:{line}"
            try:
                record = json.loads(raw_lines[line - first_line])
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                return parse_jsonl_lines(data, name, first_line, fields)
            problem = _problem(record, fields) if isinstance(record, dict) else None
            if problem is not None:
                rejected.append(row)
                invalid.append((where, f"{where}: {problem}"))
        if rejected:
            keep = pl.Series([True] * frame.height).scatter(rejected, False)
            frame, lines = frame.filter(keep), lines.filter(keep)
    source = pl.lit(f"{name}:") + lines.cast(pl.String)
    return RawBatch(frame.with_columns(pl.select(source.alias(SOURCE)).to_series()), invalid)


def jsonl_batches(
    stream: BinaryIO | gzip.GzipFile, name: str, batch_size: int, fields: StringFields
) -> Iterator[RawBatch]:
    """Read JSON lines in chunks of whole lines.

    Raises:
        InputError: no line of the input is a JSON record and it holds NUL bytes (a binary
            file).
    """
    chunk_bytes = max(1 << 12, batch_size * _BYTES_PER_RECORD)
    pending = b""
    first_line = 1
    started = False
    parsed = 0
    binary = False
    while True:
        block = stream.read(chunk_bytes)
        if not started and block:
            block = block.removeprefix(BOM)
            started = True
        data = pending + block
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending = data
                continue
            data, pending = data[:cut], data[cut:]
        elif not data:
            break
        else:
            pending = b""
        binary = binary or is_binary(data)
        batch = _jsonl_chunk(data, name, first_line, fields)
        parsed += batch.frame.height
        yield batch
        first_line += data.count(b"\n")
        if not block:
            break
    if binary and parsed == 0:
        raise InputError(f"input '{name}' is a binary file, not JSON lines")


def json_array_batches(
    data: bytes, name: str, batch_size: int, fields: StringFields
) -> Iterator[RawBatch]:
    """Read a JSON array of records; record k is ``FILE:k``, from 1.

    The array is read whole (it cannot be streamed): JSON Lines suit a large corpus better.

    Raises:
        InputError: the file is not valid JSON, or not an array.
    """
    try:
        value = json.loads(data.removeprefix(BOM).decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"input '{name}' is not UTF-8; re-encode it as UTF-8") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"input '{name}' is not valid JSON ({error.msg} at line {error.lineno}, column "
            f"{error.colno}); fix it, or give one record a line (JSON Lines)"
        ) from None
    if not isinstance(value, list):
        raise InputError(f"input '{name}' is {json_kind(value)}, not an array of records")
    for start in range(0, len(value), batch_size):
        part = value[start : start + batch_size]
        records = [(f"{name}:{start + k + 1}", record) for k, record in enumerate(part)]
        yield records_batch(records, fields, [])


def starts_an_array(head: bytes) -> bool:
    """Whether a ``.json`` file's first bytes open a JSON array (else it is JSON Lines)."""
    return head.removeprefix(BOM).lstrip(b" \t\r\n").startswith(b"[")
