"""A record's id and text: which fields hold them, whether they are strings, what is missing.

A record without an id is named by its ``FILE:LINE``; a text that is not a string makes the
record invalid; a field is missing from an input only when no record of it has the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dedupe.config import InputConfig
from dedupe.errors import SchemaError
from dedupe.io.html import html_texts
from dedupe.io.records import SOURCE, RawBatch, dtype_kind, invalid_frame
from dedupe.schema import DETAIL, DOC_ID, DROP_REASON, TEXT, DropReason

ID_CANDIDATES = (DOC_ID, "id")


@dataclass(slots=True)
class InputFields:
    """Which configured fields one input has shown so far, and every column it has shown."""

    name: str
    columns: dict[str, None] = field(default_factory=dict)
    text: bool = False
    id: bool = False

    def found(self) -> str:
        """The input's columns, for messages."""
        return ", ".join(c for c in self.columns if c != SOURCE) or "no fields"


def missing_text(config: InputConfig, name: str, columns: list[str]) -> SchemaError:
    """The error for an input none of whose records has the text field; both engines raise it."""
    text_field = config.html_column or config.text_column
    parameter = "html_column" if config.html_column else "text_column"
    hint = next((c for c in ("body", "content", "article", "text") if c in columns), None)
    suggestion = f"pass {parameter}={hint!r}" if hint else f"name it with {parameter}="
    found = ", ".join(columns) or "no fields"
    return SchemaError(
        f"input '{name}' has no column '{text_field}' (found: {found}); {suggestion}"
    )


def missing_id(config: InputConfig, name: str, columns: list[str]) -> SchemaError:
    """The error for an input none of whose records has the requested id field."""
    found = ", ".join(columns) or "no fields"
    return SchemaError(
        f"input '{name}' has no id column '{config.id_column}' (found: {found}); pass one of "
        "those as id_column=, or leave it out to number the records"
    )


def _visible(fields: InputFields) -> list[str]:
    return [c for c in fields.columns if c != SOURCE]


def check_fields(config: InputConfig, fields: InputFields) -> None:
    """Raise if no record of an input had the text field, or the requested id field."""
    if not fields.text:
        raise missing_text(config, fields.name, _visible(fields))
    if config.id_column is not None and not fields.id:
        raise missing_id(config, fields.name, _visible(fields))


def _as_strings(
    frame: pl.DataFrame, column: str, label: str, *, numbers: bool
) -> tuple[pl.DataFrame, pl.Expr | None]:
    """Make ``column`` a string column; return the rows' problems (None: there are none).

    Arrays, objects and (for a text) numbers are never turned into strings: their records
    are invalid. A binary column is decoded as UTF-8, record by record.
    """
    dtype = frame.schema[column]
    if dtype in (pl.String, pl.Null, pl.Categorical) or isinstance(dtype, pl.Enum):
        return frame.with_columns(pl.col(column).cast(pl.String)), None
    if numbers and (dtype.is_numeric() or dtype == pl.Boolean):
        return frame.with_columns(pl.col(column).cast(pl.String)), None
    if dtype == pl.Binary:
        decoded: list[str | None] = []
        bad: list[bool] = []
        for value in frame.get_column(column).to_list():
            try:
                decoded.append(None if value is None else value.decode("utf-8"))
                bad.append(False)
            except UnicodeDecodeError:
                decoded.append(None)
                bad.append(True)
        problem = pl.when(pl.Series(bad, dtype=pl.Boolean)).then(
            pl.col(SOURCE) + pl.lit(f": {label} is not UTF-8; re-encode it as UTF-8")
        )
        return frame.with_columns(pl.Series(column, decoded, dtype=pl.String)), problem
    problems = frame.select(
        pl.when(pl.col(column).is_not_null()).then(
            pl.col(SOURCE) + pl.lit(f": {label} is {dtype_kind(dtype)}, not a string")
        )
    ).to_series()
    return frame.with_columns(pl.lit(None, pl.String).alias(column)), pl.lit(problems)


def _blank_to_null(column: str) -> pl.Expr:
    return pl.when(pl.col(column).str.strip_chars() != "").then(pl.col(column))


def to_corpus(
    raw: RawBatch, config: InputConfig, fields: InputFields
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map the id and text fields to `doc_id` and `text`; split off invalid records.

    A record without an id (missing, null or blank) is named by its ``FILE:LINE``.
    """
    frame = raw.frame
    fields.columns.update(dict.fromkeys(frame.columns))
    if frame.width == 0:
        return frame, invalid_frame([])
    text_field = config.html_column or config.text_column
    if text_field in frame.columns:
        fields.text = True
    elif raw.fixed_schema:
        raise missing_text(config, fields.name, _visible(fields))
    else:
        # These records lack the field; others of the file may have it.
        frame = frame.with_columns(pl.lit(None, pl.String).alias(text_field))
    if config.id_column is not None:
        if config.id_column in frame.columns:
            fields.id = True
        elif raw.fixed_schema:
            raise missing_id(config, fields.name, _visible(fields))
        else:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(config.id_column))
        sources = [config.id_column]
    else:
        sources = [c for c in ID_CANDIDATES if c in frame.columns and c != text_field]
    problems: list[pl.Expr] = []
    for column in sources:
        frame, problem = _as_strings(frame, column, f"id field '{column}'", numbers=True)
        problems += [problem] if problem is not None else []
    frame, problem = _as_strings(frame, text_field, f"field '{text_field}'", numbers=False)
    problems += [problem] if problem is not None else []
    doc_id = pl.coalesce(*[_blank_to_null(c) for c in sources], pl.col(SOURCE))
    if config.id_column is not None:
        if config.id_column != DOC_ID and DOC_ID in frame.columns and text_field != DOC_ID:
            # A `doc_id` field that is not the id would collide with the renamed id.
            frame = frame.rename({DOC_ID: f"{DOC_ID}_original"})
        frame = frame.with_columns(doc_id.alias(config.id_column))
        frame = frame.rename({config.id_column: DOC_ID})
    elif sources == ["id"]:
        frame = frame.with_columns(doc_id.alias("id")).rename({"id": DOC_ID})
    elif sources == [DOC_ID]:
        frame = frame.with_columns(doc_id.alias(DOC_ID))
    elif sources:
        # With both fields, `doc_id` is the id; `id` passes through where it was not used.
        used_doc_id = _blank_to_null(DOC_ID).is_not_null()
        frame = frame.with_columns(
            pl.when(used_doc_id).then(pl.col("id")).alias("id"), doc_id.alias(DOC_ID)
        )
    if text_field != TEXT:
        if TEXT in frame.columns:
            frame = frame.rename({TEXT: f"{TEXT}_original"})
        frame = frame.rename({text_field: TEXT})
    if not sources:
        frame = frame.with_columns(pl.col(SOURCE).alias(DOC_ID))
    text_missing = pl.col(SOURCE) + pl.lit(f": field '{text_field}' is null or missing")
    problem = pl.coalesce(*problems, pl.when(pl.col(TEXT).is_null()).then(text_missing))
    frame = frame.with_columns(problem.alias(DETAIL))
    invalid = frame.filter(pl.col(DETAIL).is_not_null()).select(
        DOC_ID, pl.lit(DropReason.INVALID_RECORD.value).alias(DROP_REASON), DETAIL
    )
    good = frame.filter(pl.col(DETAIL).is_null()).drop(DETAIL)
    if config.html_column is not None and good.height:
        pages = html_texts(good.get_column(TEXT).to_list())
        good = good.with_columns(pl.Series(TEXT, pages, dtype=pl.String))
    return good, invalid
