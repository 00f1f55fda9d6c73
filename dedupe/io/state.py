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

STATE_FORMAT = 1
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


def read_state_meta(folder: Path) -> dict[str, Any]:
    """Read the settings of the ``state/`` of an earlier output folder.

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
        found: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"against='{folder}' has a damaged state/meta.json: {error}") from None
    return found


def read_state_chunks(
    folder: Path, config: NearConfig
) -> Iterator[tuple[pl.DataFrame, Fingerprints]]:
    """Yield the documents and fingerprints of each chunk of an earlier output's ``state/``.

    One chunk is read at a time, so a caller that spills each one never holds the whole state.

    Raises:
        InputError: a state file is missing or damaged.
    """
    state = folder / "state"
    chunks = sorted(path.name.removeprefix("documents-") for path in state.glob("documents-*"))
    for chunk in chunks:
        try:
            tables = {name: pl.read_parquet(state / f"{name}-{chunk}") for name in STATE_TABLES}
            documents, fingerprints = from_state_tables(tables, config)
        except (OSError, ValueError, pl.exceptions.PolarsError) as error:
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise InputError(f"against='{folder}' has a damaged state folder: {first}") from None
        yield documents, fingerprints
