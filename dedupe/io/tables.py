"""CSV and Parquet inputs in batches: Polars reads them, and a CSV row it rejects is read exactly.

A CSV file is read as strings (its fields pass through untouched); from the first row Polars
cannot parse, the rest of the file is read by Python's ``csv`` module, so a row with too many
fields is an invalid record naming its row and line instead of stopping the run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from dedupe.errors import InputError
from dedupe.io.records import SOURCE, Invalid, RawBatch

TABLE_SUFFIXES = (".parquet", ".csv")


def _csv_rows(path: Path, skip: int, batch_size: int) -> Iterator[RawBatch]:
    """Read a CSV file row by row: the exact path, taken from the first row Polars rejects.

    A row with more fields than the header is an invalid record naming its row and line; a
    row with fewer has nulls for the rest, as Polars reads it.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        rows: list[list[str | None]] = []
        sources: list[str] = []
        invalid: Invalid = []
        number = 0
        line = 1
        try:
            header = next(reader, [])
            while True:
                line = reader.line_num + 1
                row = next(reader, None)
                if row is None:
                    break
                if not row:
                    continue
                number += 1
                if number <= skip:
                    continue
                where = f"{path}:{number}"
                if len(row) > len(header):
                    invalid.append(
                        (
                            where,
                            f"{where} (line {line}): the row has {len(row)} fields, the "
                            f"header {len(header)}; quote the text or fix the row",
                        )
                    )
                else:
                    padded: list[str | None] = [v if v != "" else None for v in row]
                    rows.append(padded + [None] * (len(header) - len(row)))
                    sources.append(where)
                if len(rows) + len(invalid) >= batch_size:
                    yield _csv_batch(header, rows, sources, invalid)
                    rows, sources, invalid = [], [], []
        except csv.Error as error:
            raise InputError(
                f"input '{path}' is not a readable CSV file: {error} in the row that starts "
                f"at line {line}"
            ) from None
        except UnicodeDecodeError:
            raise InputError(f"input '{path}' is not UTF-8; re-encode it as UTF-8") from None
        if rows or invalid:
            yield _csv_batch(header, rows, sources, invalid)


def _csv_batch(
    header: list[str], rows: list[list[str | None]], sources: list[str], invalid: Invalid
) -> RawBatch:
    columns = {name: [row[k] for row in rows] for k, name in enumerate(header)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(header, pl.String)).with_columns(
        pl.Series(SOURCE, sources, dtype=pl.String)
    )
    return RawBatch(frame, invalid, fixed_schema=True)


def table_batches(path: Path, suffix: str, batch_size: int) -> Iterator[RawBatch]:
    """Read a ``.parquet`` or ``.csv`` file in batches of ``batch_size`` rows; row k is ``FILE:k``.

    Raises:
        InputError: the file is not readable as its format, or a CSV quote never closes.
    """
    kind = "Parquet" if suffix == ".parquet" else "CSV"
    scan = pl.scan_parquet(path) if suffix == ".parquet" else pl.scan_csv(path, infer_schema=False)
    offset = 1
    try:
        for frame in scan.collect_batches(chunk_size=batch_size):
            numbers = pl.int_range(offset, offset + frame.height, eager=True).cast(pl.String)
            source = (f"{path}:" + numbers).alias(SOURCE)
            yield RawBatch(frame.with_columns(source), [], fixed_schema=True)
            offset += frame.height
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        if kind == "CSV" and not isinstance(error, OSError):
            yield from _csv_rows(path, offset - 1, batch_size)
            return
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InputError(f"input '{path}' is not a readable {kind} file: {first}") from None
