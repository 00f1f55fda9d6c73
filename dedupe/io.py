"""Every read and write: input formats, record validation, and the atomic output folder.

The only module that touches files. A record that cannot be used becomes an ``invalid_record``
row naming its file and line; a whole input that cannot be read raises ``InputError``.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.config import InputConfig, OutputConfig
from dedupe.errors import InputError, SchemaError
from dedupe.schema import (
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    REMOVED_LINES_SCHEMA,
    ROW_INDEX,
    TEXT,
    DropReason,
)

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
TABLE_SUFFIXES = (".parquet", ".csv")
STDIN = "-"
# Windows-1252 decodes every byte that UTF-8 rejects in practice (it is what mislabelled
# "latin-1" pages are), so a non-UTF-8 text file keeps its words instead of being dropped.
FALLBACK_ENCODING = "cp1252"
_ID_CANDIDATES = (DOC_ID, "id")
_SOURCE_COLUMN = "_source"  # "file:line" of each record, for messages; dropped before output


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Records read from the inputs: usable documents, and invalid ones with their reason."""

    corpus: pl.DataFrame
    invalid: pl.DataFrame
    decoded_with_fallback: int = 0


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in (*JSONL_SUFFIXES, *TABLE_SUFFIXES, *TEXT_SUFFIXES):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _invalid(rows: Iterable[tuple[str, str]]) -> pl.DataFrame:
    ids, details = zip(*rows, strict=True) if rows else ((), ())
    return pl.DataFrame(
        {
            DOC_ID: list(ids),
            DROP_REASON: [DropReason.INVALID_RECORD.value] * len(ids),
            DETAIL: list(details),
        },
        schema={DOC_ID: pl.String, DROP_REASON: pl.String, DETAIL: pl.String},
    )


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode(FALLBACK_ENCODING, errors="replace"), True


def _is_binary(data: bytes) -> bool:
    # A NUL byte never occurs in UTF-8 or Windows-1252 text; it marks images, PDFs, archives.
    return b"\x00" in data[:8192]


def _read_folder(folder: Path) -> tuple[pl.DataFrame, list[tuple[str, str]], int]:
    paths = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
    )
    ids: list[str] = []
    texts: list[str] = []
    sources: list[str] = []
    invalid: list[tuple[str, str]] = []
    fallback = 0
    for path in paths:
        doc_id = path.relative_to(folder).with_suffix("").as_posix()
        data = path.read_bytes()
        if not data.strip():
            invalid.append((doc_id, f"{path}: file is empty"))
            continue
        if _is_binary(data):
            invalid.append((doc_id, f"{path}: binary file, not text; remove it from the folder"))
            continue
        text, used_fallback = _decode(data)
        if used_fallback:
            fallback += 1
            logger.warning("%s is not UTF-8; decoded as %s", path, FALLBACK_ENCODING)
        ids.append(doc_id)
        texts.append(text)
        sources.append(str(path))
    if not paths:
        raise InputError(
            f"input folder '{folder}' holds no {' or '.join(TEXT_SUFFIXES)} files; "
            "pass a folder of articles or a .jsonl, .parquet or .csv file"
        )
    frame = pl.DataFrame(
        {DOC_ID: ids, TEXT: texts, _SOURCE_COLUMN: sources},
        schema={DOC_ID: pl.String, TEXT: pl.String, _SOURCE_COLUMN: pl.String},
    )
    return frame, invalid, fallback


def _parse_jsonl_lines(data: bytes, name: str) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Parse JSONL record by record; the slow path taken only when the fast reader fails."""
    records: list[dict[str, Any]] = []
    invalid: list[tuple[str, str]] = []
    for line_no, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        where = f"{name}:{line_no}"
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            invalid.append((where, f"{where}: line is not UTF-8; re-encode the file as UTF-8"))
            continue
        except json.JSONDecodeError as error:
            invalid.append(
                (
                    where,
                    f"{where}: malformed JSON ({error.msg} at column "
                    f"{error.colno}); fix or delete the line",
                )
            )
            continue
        if not isinstance(record, dict):
            invalid.append(
                (
                    where,
                    f"{where}: record is a JSON {type(record).__name__}, "
                    "not an object; each line must be one {...} object",
                )
            )
            continue
        record[_SOURCE_COLUMN] = where
        records.append(record)
    if not records:
        return pl.DataFrame(), invalid
    try:
        frame = pl.from_dicts(records, infer_schema_length=None)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        # Fields whose type varies between records (a date as string here, number there):
        # keep them as JSON text rather than guess.
        keys = list(dict.fromkeys(k for record in records for k in record))
        frame = pl.DataFrame(
            {k: [_as_text(record.get(k)) for record in records] for k in keys},
            schema=dict.fromkeys(keys, pl.String),
        )
    return frame, invalid


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _read_jsonl_bytes(data: bytes, name: str) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    if _is_binary(data):
        raise InputError(f"input '{name}' is a binary file, not JSON lines")
    try:
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError, RuntimeError):
        return _parse_jsonl_lines(data, name)
    # Line numbers of the records, skipping blank lines as the reader does.
    line_numbers = [i for i, raw in enumerate(data.split(b"\n"), start=1) if raw.strip()]
    if len(line_numbers) != frame.height:
        return _parse_jsonl_lines(data, name)
    return frame.with_columns(
        pl.Series(_SOURCE_COLUMN, [f"{name}:{n}" for n in line_numbers], dtype=pl.String)
    ), []


def _read_table(path: Path, suffix: str) -> pl.DataFrame:
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        # Strings throughout: a CSV's fields pass through untouched, not re-typed.
        return pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"input '{path}' is not a readable {kind} file: {first}") from None


def _read_one(path_text: str) -> tuple[pl.DataFrame, list[tuple[str, str]], int, bool]:
    """Read one input; the last value says whether ids were made by position (not a folder)."""
    if path_text == STDIN:
        data = sys.stdin.buffer.read()
        frame, invalid = _read_jsonl_bytes(data, "stdin")
        return frame, invalid, 0, True
    path = Path(path_text)
    if not path.exists():
        raise InputError(f"input '{path}' does not exist; check the path")
    if path.is_dir():
        frame, invalid, fallback = _read_folder(path)
        return frame, invalid, fallback, False
    suffix = _suffix(path)
    if suffix in JSONL_SUFFIXES:
        data = path.read_bytes()
        if suffix.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as error:
                raise InputError(f"input '{path}' is not a valid gzip file: {error}") from None
        frame, invalid = _read_jsonl_bytes(data, str(path))
    elif suffix in TABLE_SUFFIXES:
        frame = _read_table(path, suffix)
        frame = frame.with_columns(
            (pl.lit(f"{path}:") + (pl.int_range(pl.len()) + 1).cast(pl.String)).alias(
                _SOURCE_COLUMN
            )
        )
        invalid = []
    else:
        known = ", ".join((*JSONL_SUFFIXES, *TABLE_SUFFIXES))
        raise InputError(
            f"input '{path}' has an unknown extension '{path.suffix}'; use a folder of "
            f"{'/'.join(TEXT_SUFFIXES)} files or one of {known}"
        )
    if frame.height == 0 and not invalid:
        raise InputError(f"input '{path}' holds no records; remove it from the inputs")
    return frame, invalid, 0, True


def _pick_id_column(frame: pl.DataFrame, config: InputConfig, name: str) -> str | None:
    if config.id_column is not None:
        if config.id_column not in frame.columns:
            raise SchemaError(
                f"input '{name}' has no id column '{config.id_column}' "
                f"(found: {', '.join(c for c in frame.columns if c != _SOURCE_COLUMN)}); "
                "pass --id-column with one of those, or leave it out to number the records"
            )
        return config.id_column
    return next((c for c in _ID_CANDIDATES if c in frame.columns), None)


def _to_corpus(
    frame: pl.DataFrame, config: InputConfig, name: str, made_by_position: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map the id and text fields to `doc_id` and `text`; split off invalid records."""
    if frame.width == 0:
        return pl.DataFrame(), _invalid([])
    if not made_by_position:
        return frame, _invalid([])  # a folder's records are already `doc_id` and `text`
    if config.text_column not in frame.columns:
        found = ", ".join(c for c in frame.columns if c != _SOURCE_COLUMN)
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
        frame = frame.with_columns(pl.col(_SOURCE_COLUMN).alias(DOC_ID))
    frame = frame.with_columns(
        pl.col(DOC_ID).cast(pl.String, strict=False),
        pl.col(TEXT).cast(pl.String, strict=False)
        if frame.schema[TEXT] != pl.String
        else pl.col(TEXT),
    )
    problem = (
        pl.when(pl.col(DOC_ID).is_null() | (pl.col(DOC_ID).str.strip_chars() == ""))
        .then(pl.col(_SOURCE_COLUMN) + pl.lit(": id is null or empty; give every record an id"))
        .when(pl.col(TEXT).is_null())
        .then(
            pl.col(_SOURCE_COLUMN)
            + pl.lit(f": field '{config.text_column}' is null, missing or not text")
        )
    )
    frame = frame.with_columns(problem.alias(DETAIL))
    bad = frame.filter(pl.col(DETAIL).is_not_null())
    invalid = bad.select(
        pl.coalesce(DOC_ID, _SOURCE_COLUMN).alias(DOC_ID),
        pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
        DETAIL,
    )
    good = frame.filter(pl.col(DETAIL).is_null()).drop(DETAIL)
    return good, invalid


def read_corpus(inputs: Sequence[str | Path], config: InputConfig | None = None) -> ReadResult:
    """Read one or more inputs as one corpus of `doc_id`, `text` and pass-through columns.

    A folder is read recursively (``.txt``, ``.md``; the id is the path relative to the folder,
    without its extension). ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.parquet`` and
    ``.csv`` are read as tables; ``-`` reads JSONL from stdin. Records whose id or text is
    missing, malformed JSON lines and repeated ids become ``invalid_record`` rows.

    Raises:
        InputError: an input does not exist, has an unknown extension or cannot be parsed.
        SchemaError: an input lacks the text column or the requested id column.

    Example:
        >>> result = read_corpus(["samples/news"])
        >>> result.corpus.height
        5
    """
    config = config or InputConfig()
    if not inputs:
        raise InputError("no inputs given; pass a folder, a .jsonl/.parquet/.csv file or -")
    frames: list[pl.DataFrame] = []
    invalid_frames: list[pl.DataFrame] = []
    fallback = 0
    for path in inputs:
        frame, invalid, used_fallback, by_position = _read_one(str(path))
        fallback += used_fallback
        good, bad = _to_corpus(frame, config, str(path), by_position)
        if good.width:
            frames.append(good)
        invalid_frames.extend([_invalid(invalid), bad])
    return _combine(frames, invalid_frames, fallback)


def corpus_from_frame(frame: pl.DataFrame, config: InputConfig | None = None) -> ReadResult:
    """Take an in-memory table as a corpus, with the same checks as :func:`read_corpus`.

    Records are named ``frame:N`` (1-based) in messages, and ids are made that way when the
    frame has no id column.

    Raises:
        SchemaError: the frame lacks the text column or the requested id column.
    """
    config = config or InputConfig()
    frame = frame.with_columns(
        (pl.lit("frame:") + (pl.int_range(pl.len()) + 1).cast(pl.String)).alias(_SOURCE_COLUMN)
    )
    good, bad = _to_corpus(frame, config, "frame", True)
    return _combine([good] if good.width else [], [bad], 0, allow_empty=True)


def _combine(
    frames: list[pl.DataFrame],
    invalid_frames: list[pl.DataFrame],
    fallback: int,
    *,
    allow_empty: bool = False,
) -> ReadResult:
    corpus = (
        pl.concat(frames, how="diagonal_relaxed")
        if frames
        else pl.DataFrame(schema={DOC_ID: pl.String, TEXT: pl.String, _SOURCE_COLUMN: pl.String})
    )
    corpus = corpus.with_row_index(ROW_INDEX)
    is_repeat = pl.int_range(pl.len()).over(DOC_ID) > 0
    repeated = corpus.filter(is_repeat)
    if repeated.height:
        first_seen = corpus.filter(~is_repeat).select(
            DOC_ID, pl.col(_SOURCE_COLUMN).alias("_first")
        )
        invalid_frames.append(
            repeated.join(first_seen, on=DOC_ID, how="left").select(
                DOC_ID,
                pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON),
                (
                    pl.col(_SOURCE_COLUMN)
                    + pl.lit(": doc_id '")
                    + pl.col(DOC_ID)
                    + pl.lit("' repeats the id of ")
                    + pl.col("_first")
                    + pl.lit("; ids must be unique (or leave out --id-column to number records)")
                ).alias(DETAIL),
            )
        )
        corpus = corpus.filter(~is_repeat)
    invalid = pl.concat(invalid_frames, how="vertical") if invalid_frames else _invalid([])
    if corpus.height == 0 and invalid.height == 0 and not allow_empty:
        raise InputError("the inputs hold no records")
    return ReadResult(
        corpus=corpus.drop(_SOURCE_COLUMN).with_columns(pl.col(ROW_INDEX).cast(pl.UInt32)),
        invalid=invalid,
        decoded_with_fallback=fallback,
    )


def check_output_path(output: Path, inputs: Sequence[str | Path], *, force: bool) -> None:
    """Refuse an output folder that holds an input, or that is not empty without ``force``.

    Raises:
        InputError: the folder would overwrite or mix with data the user did not ask to replace.
    """
    target = output.resolve()
    for item in inputs:
        if str(item) == STDIN:
            continue
        source = Path(item).resolve()
        if source == target or target in source.parents or source in target.parents:
            raise InputError(
                f"output folder '{output}' overlaps input '{item}'; choose an output folder "
                "outside the inputs"
            )
    if target.exists() and not target.is_dir():
        raise InputError(f"output '{output}' exists and is not a folder; choose another path")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise InputError(
            f"output folder '{output}' is not empty; pass --force to replace it or choose another"
        )


def write_output(
    output: Path,
    tables: dict[str, pl.DataFrame],
    report: dict[str, Any],
    config: OutputConfig,
) -> None:
    """Write the result tables and report.json into ``output`` atomically.

    Everything is written into a hidden temporary folder beside ``output`` and renamed into
    place only when complete, so an interrupted run never leaves a folder that looks finished.
    ``tables`` maps a file stem (``corpus``) to its frame; only ``corpus`` honours
    ``config.format``, the ledger tables are always Parquet.

    Raises:
        InputError: the folder cannot be created or replaced.
    """
    output = output.resolve()
    parent = output.parent
    temporary = parent / f".{output.name}.tmp-{os.getpid()}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if temporary.exists():
            shutil.rmtree(temporary)
        temporary.mkdir()
        for stem, frame in tables.items():
            if stem == "corpus" and config.format == "jsonl":
                frame.write_ndjson(temporary / "corpus.jsonl")
            else:
                frame.write_parquet(temporary / f"{stem}.parquet", statistics=False)
        (temporary / "report.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        previous = parent / f".{output.name}.old-{os.getpid()}"
        if output.exists():
            output.rename(previous)
        temporary.rename(output)
        if previous.exists():
            shutil.rmtree(previous)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise InputError(f"cannot write output folder '{output}': {error.strerror}") from None


def empty_dropped() -> pl.DataFrame:
    """Return an empty dropped table with its schema."""
    return pl.DataFrame(schema=DROPPED_SCHEMA)


def empty_removed_lines() -> pl.DataFrame:
    """Return an empty removed-lines table with its schema."""
    return pl.DataFrame(schema=REMOVED_LINES_SCHEMA)
