"""What a later run needs of a published corpus: its documents' keys and fingerprints, as Parquet.

``dedupe run NEW --against OUTPUT`` compares new documents with the canonical documents of an
earlier output without reading their text: ``OUTPUT/state/`` holds, for every canonical
document of that output (and of the outputs it was itself run against), the content key,
the ranking columns, and the shingle sets, lead sets and MinHash signatures, stored flat
(one Parquet column of values each, with per-document counts) so they load as NumPy arrays.
Never pickle: a state folder is data a user may hand over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates.fingerprints import Fingerprints
from dedupe.errors import ConfigError, InputError
from dedupe.schema import CONTENT_KEY, DOC_ID, LENGTH

# 2: the openings' signatures (`_lead_signature`) take a first line of at most 20 words (a
# headline) with the 25 words after it; format 1's were the first 25 words, and comparing the
# two would silently miss briefs, so a format-1 state must be rebuilt.
STATE_FORMAT = 2
_COUNTS = ("_shingle_count", "_lead_count")


def meta(config: NearConfig) -> dict[str, Any]:
    """Return the settings a later run must share to compare with this state."""
    return {
        "format": STATE_FORMAT,
        "hash": "utf8-poly64-fmix64-top32",
        "ngram_size": config.ngram_size,
        "num_perm": config.num_perm,
        "seed": config.seed,
    }


def check_meta(found: dict[str, Any], config: NearConfig, *, origin: str) -> None:
    """Refuse a state built with other near-duplicate settings.

    Raises:
        ConfigError: a setting differs; the message names it and both values.
    """
    expected = meta(config)
    for key, value in expected.items():
        if found.get(key) != value:
            raise ConfigError(
                f"against='{origin}' was built with {key}={found.get(key)!r} but this run "
                f"uses {value!r}; run with the same near-duplicate settings"
            )


def state_tables(documents: pl.DataFrame, fingerprints: Fingerprints) -> dict[str, pl.DataFrame]:
    """Return the state files' tables for ``documents`` (row ``i`` has ``fingerprints`` row ``i``).

    ``documents`` holds `doc_id`, `_content_key`, `_length` and the ranking columns.
    """
    counts = documents.with_columns(
        pl.Series(_COUNTS[0], np.diff(fingerprints.offsets), dtype=pl.Int64),
        pl.Series(_COUNTS[1], np.diff(fingerprints.lead_offsets), dtype=pl.Int64),
    )
    return {
        "documents": counts,
        "shingles": pl.DataFrame({"hash": fingerprints.hashes}, schema={"hash": pl.UInt32}),
        "lead": pl.DataFrame({"hash": fingerprints.lead_hashes}, schema={"hash": pl.UInt32}),
        "signatures": pl.DataFrame(
            {"value": fingerprints.signatures.reshape(-1)}, schema={"value": pl.UInt32}
        ),
    }


def _offsets(counts: pl.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts.to_numpy(), out=offsets[1:])
    return offsets


def from_state_tables(
    tables: dict[str, pl.DataFrame], config: NearConfig
) -> tuple[pl.DataFrame, Fingerprints]:
    """Rebuild the documents table and fingerprints that :func:`state_tables` stored."""
    documents = tables["documents"]
    signatures = tables["signatures"].get_column("value").to_numpy().astype(np.uint32)
    fingerprints = Fingerprints(
        _offsets(documents.get_column(_COUNTS[0])),
        tables["shingles"].get_column("hash").to_numpy().astype(np.uint32),
        _offsets(documents.get_column(_COUNTS[1])),
        tables["lead"].get_column("hash").to_numpy().astype(np.uint32),
        signatures.reshape(documents.height, config.num_perm),
    )
    return documents.drop(*_COUNTS), fingerprints


STATE_TABLES = ("documents", "shingles", "lead", "signatures")
# What each state table must hold: the column and its type (counts may be any integer type).
_DOCUMENT_COLUMNS: dict[str, type[pl.DataType] | pl.DataType] = {
    DOC_ID: pl.String,
    CONTENT_KEY: pl.UInt64,
    LENGTH: pl.Int64,
    _COUNTS[0]: pl.Int64,
    _COUNTS[1]: pl.Int64,
}
_VALUE_COLUMNS = {"shingles": "hash", "lead": "hash", "signatures": "value"}
_META_TYPES: dict[str, type] = {"hash": str, "ngram_size": int, "num_perm": int, "seed": int}
_REBUILD = "rebuild it by running `dedupe run` on that output's inputs again, without --against"


def _damaged(folder: Path, path: Path, problem: str) -> InputError:
    return InputError(f"against='{folder}': '{path}' {problem}; {_REBUILD}")


def read_state_meta(folder: Path) -> dict[str, Any]:
    """Read and check the settings of the ``state/`` of an earlier output folder.

    ``meta.json`` must be an object with every key :func:`meta` writes, of its type, in this
    format version; ``chunks`` and ``documents`` (written since they were added) must be
    non-negative integers.

    Raises:
        InputError: the folder is not a dedupe output with state, or its meta.json is damaged.
    """
    meta_path = folder / "state" / "meta.json"
    if not meta_path.is_file():
        raise InputError(
            f"against='{folder}' is not a dedupe output with near-duplicate state (no "
            "state/meta.json); give the output folder of an earlier run"
        )
    try:
        found = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise _damaged(folder, meta_path, f"cannot be read as JSON ({first})") from None
    if not isinstance(found, dict):
        raise _damaged(folder, meta_path, f"holds a JSON {type(found).__name__}, not an object")
    if found.get("format") != STATE_FORMAT:
        raise _damaged(
            folder,
            meta_path,
            f"has state format {found.get('format')!r}; this dedupe reads format {STATE_FORMAT}",
        )
    expected = {**_META_TYPES, **dict.fromkeys(("chunks", "documents"), int)}
    for key, kind in expected.items():
        if key not in found:
            if key in _META_TYPES:
                raise _damaged(folder, meta_path, f"has no key '{key}'")
            continue
        value = found[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _damaged(folder, meta_path, f"has {key}={value!r}, not a {kind.__name__}")
        if isinstance(value, int) and value < 0:
            raise _damaged(folder, meta_path, f"has a negative {key} ({value})")
    return found


def _state_chunk_names(folder: Path, expected: int | None) -> list[str]:
    """The chunk suffixes of ``state/`` (``00000.parquet``, ...), each with all four tables."""
    state = folder / "state"
    found = sorted(path.name.removeprefix("documents-") for path in state.glob("documents-*"))
    count = len(found) if expected is None else expected
    chunks = [f"{index:05d}.parquet" for index in range(max(count, 1))]
    for chunk in chunks:
        for name in STATE_TABLES:
            if not (state / f"{name}-{chunk}").is_file():
                raise _damaged(folder, state / f"{name}-{chunk}", "is missing")
    extra = [chunk for chunk in found if chunk not in chunks]
    if extra:
        raise _damaged(
            folder, state / f"documents-{extra[0]}", f"is not one of the {len(chunks)} parts"
        )
    return chunks


def _check_documents(folder: Path, path: Path, documents: pl.DataFrame) -> pl.DataFrame:
    """Check the documents table of one chunk and cast its columns to the types used."""
    for column, dtype in _DOCUMENT_COLUMNS.items():
        if column not in documents.columns:
            raise _damaged(folder, path, f"has no column '{column}'")
        found = documents.schema[column]
        if column in (DOC_ID, CONTENT_KEY) and found != dtype:
            raise _damaged(folder, path, f"column '{column}' has type {found}, not {dtype}")
        if column not in (DOC_ID, CONTENT_KEY) and not found.is_integer():
            raise _damaged(folder, path, f"column '{column}' has type {found}, not an integer")
        nulls = documents.get_column(column).null_count()
        if nulls:
            raise _damaged(folder, path, f"holds {nulls} null values in '{column}'")
    for column in (LENGTH, *_COUNTS):
        if (documents.get_column(column) < 0).any():
            raise _damaged(folder, path, f"holds negative values in '{column}'")
    repeated = documents.filter(pl.col(DOC_ID).is_duplicated()).get_column(DOC_ID)
    if len(repeated):
        raise _damaged(folder, path, f"repeats doc_id '{repeated[0]}'")
    return documents.with_columns(
        pl.col(LENGTH).cast(pl.UInt32),
        pl.col(_COUNTS[0]).cast(pl.Int64),
        pl.col(_COUNTS[1]).cast(pl.Int64),
    )


def _read_chunk(
    folder: Path, chunk: str, config: NearConfig, seen: pl.Series
) -> tuple[pl.DataFrame, Fingerprints]:
    """Read and check one chunk: columns, types, nulls, ids new to ``seen``, sizes agreeing."""
    state = folder / "state"
    path = state / f"documents-{chunk}"
    documents = _check_documents(folder, path, pl.read_parquet(path))
    again = documents.filter(pl.col(DOC_ID).is_in(seen.implode())).get_column(DOC_ID)
    if len(again):
        raise _damaged(folder, path, f"repeats doc_id '{again[0]}' of an earlier part")
    tables = {"documents": documents}
    sizes = {
        "shingles": int(documents.get_column(_COUNTS[0]).sum()),
        "lead": int(documents.get_column(_COUNTS[1]).sum()),
        "signatures": documents.height * config.num_perm,
    }
    for name, column in _VALUE_COLUMNS.items():
        part = state / f"{name}-{chunk}"
        schema = pl.read_parquet_schema(part)
        if schema.get(column) != pl.UInt32:
            raise _damaged(folder, part, f"has no UInt32 column '{column}'")
        rows = pl.scan_parquet(part).select(pl.len()).collect().item()
        if rows != sizes[name]:
            raise _damaged(
                folder, part, f"holds {rows} values where its documents count {sizes[name]}"
            )
        tables[name] = pl.read_parquet(part, columns=[column])
    return from_state_tables(tables, config)


def read_state_chunks(
    folder: Path, config: NearConfig
) -> Iterator[tuple[pl.DataFrame, Fingerprints]]:
    """Yield the documents and fingerprints of each chunk of an earlier output's ``state/``.

    One chunk is read at a time, so a caller that spills each one never holds the whole state.
    Each is checked before use: every part present, the columns and their types, no null or
    repeated id (across chunks too), no negative count, and the stored values as many as the
    documents' counts say (so a tampered count never sizes an allocation).

    Raises:
        InputError: a state file is missing, damaged or inconsistent; the message names it.
    """
    found = read_state_meta(folder)
    chunks = _state_chunk_names(folder, found.get("chunks"))
    seen = pl.Series(DOC_ID, [], dtype=pl.String)
    total = 0
    for chunk in chunks:
        try:
            documents, fingerprints = _read_chunk(folder, chunk, config, seen)
        except (OSError, ValueError, pl.exceptions.PolarsError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            path = folder / "state" / f"*-{chunk}"
            raise _damaged(folder, path, f"cannot be read ({first})") from None
        seen = pl.concat([seen, documents.get_column(DOC_ID)])
        total += documents.height
        yield documents, fingerprints
    if found.get("documents", total) != total:
        raise _damaged(
            folder,
            folder / "state" / "meta.json",
            f"counts {found['documents']} documents but its parts hold {total}",
        )
