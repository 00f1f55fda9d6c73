"""Records as read from one input, before their ids and texts are checked: the shared pieces.

Every reader (JSON, tables, folders) yields ``RawBatch`` frames with a ``_source`` column
(``FILE:LINE``) and a list of the records it could not parse, as ``(doc_id, detail)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dedupe.schema import DETAIL, DOC_ID, DROP_REASON, DropReason

SOURCE = "_source"  # "file:line" of each record, for messages; dropped before output
# Windows-1252 decodes every byte that UTF-8 rejects in practice (it is what mislabelled
# "latin-1" pages are), so a non-UTF-8 text file keeps its words instead of being dropped.
FALLBACK_ENCODING = "cp1252"
BOM = b"\xef\xbb\xbf"
INVALID_SCHEMA = {DOC_ID: pl.String, DROP_REASON: pl.String, DETAIL: pl.String}

Invalid = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class RawBatch:
    """One chunk of an input's records, not yet mapped to ``doc_id`` and ``text``.

    ``fixed_schema`` says the frame has every column of the input (a table's header or a
    Parquet schema), so a missing text column can be reported at once; JSON records may gain
    fields later in the file. ``unsupported`` counts the files of a folder left unread, by
    extension.
    """

    frame: pl.DataFrame
    invalid: Invalid
    fallback: int = 0
    fixed_schema: bool = False
    unsupported: dict[str, int] = field(default_factory=dict)


def invalid_frame(rows: Invalid) -> pl.DataFrame:
    """Return ``invalid_record`` rows for ``(doc_id, detail)`` pairs."""
    return pl.DataFrame(
        {
            DOC_ID: [doc_id for doc_id, _ in rows],
            DROP_REASON: [DropReason.INVALID_RECORD.value] * len(rows),
            DETAIL: [detail for _, detail in rows],
        },
        schema=INVALID_SCHEMA,
    )


def is_binary(data: bytes) -> bool:
    """Whether ``data`` holds a NUL byte, which no UTF-8 or Windows-1252 text does.

    The whole of ``data`` is searched (a fast scan), so a NUL byte means the same wherever it
    sits in a file.
    """
    return b"\x00" in data


def document_problem(data: bytes) -> str | None:
    """Why a file of a folder of articles is not a document (empty, binary), or None."""
    if not data.strip():
        return "file is empty; remove it or give it text"
    if is_binary(data):
        return "binary file, not text; remove it"
    return None


def decode_text(data: bytes) -> tuple[str, bool]:
    """Decode a file's bytes as UTF-8 (without a leading BOM), else as Windows-1252.

    Returns the text and whether the fallback was used.
    """
    data = data.removeprefix(BOM)
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode(FALLBACK_ENCODING, errors="replace"), True


def json_kind(value: Any) -> str:
    """Name a JSON value's type as JSON does: ``an array``, ``an object``, ``a number``."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def dtype_kind(dtype: pl.DataType) -> str:
    """Name a Polars column type as a reader of the input would: ``an array``, ``a number``."""
    if isinstance(dtype, pl.List | pl.Array):
        return "an array"
    if isinstance(dtype, pl.Struct):
        return "an object"
    if dtype == pl.Boolean:
        return "true or false"
    if dtype.is_numeric():
        return "a number"
    return f"of type {dtype}"
