"""Explaining one document's fate from an output folder alone: kept or dropped, and why.

Everything is read from the folder a run published (``corpus``, ``dropped``,
``removed_lines``, ``report.json``), never from the input, so a decision can be checked long
after the run, on another machine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.errors import InputError
from dedupe.normalize import normalize_texts
from dedupe.review.diff import DiffSegment, diff_text, word_diff
from dedupe.schema import (
    CLUSTER_ID,
    DETAIL,
    DOC_ID,
    DROP_REASON,
    DROPPED_SCHEMA,
    DUPLICATE_OF,
    LINE,
    LINE_NO,
    MATCHED,
    MEASURE,
    REMOVED_LINES_SCHEMA,
    RULE,
    SIMILARITY,
    SOURCE_CANDIDATES,
    TEXT,
    URL_CANDIDATES,
    DropReason,
    Measure,
    url_host,
)

TITLE_CANDIDATES = ("title", "headline")
# Words of the text shown for a document without a title.
FIRST_WORDS = 12


@dataclass(frozen=True, slots=True)
class OutputTables:
    """The tables of a published output folder, scanned lazily, and its report."""

    folder: Path
    corpus: pl.LazyFrame
    dropped: pl.LazyFrame
    removed_lines: pl.LazyFrame
    report: dict[str, Any]


_EMPTY_SCHEMAS: dict[str, Any] = {
    "corpus": {DOC_ID: pl.String, TEXT: pl.String},
    "dropped": dict(DROPPED_SCHEMA),
    "removed_lines": dict(REMOVED_LINES_SCHEMA),
}


def scan_table(folder: Path, stem: str) -> pl.LazyFrame:
    """Scan table ``stem`` of an output folder in whichever format it was written."""
    jsonl = folder / f"{stem}.jsonl"
    if jsonl.is_file() and jsonl.stat().st_size == 0:
        # An empty JSON Lines file has no types to infer; it is the table's empty schema.
        return pl.LazyFrame(schema=_EMPTY_SCHEMAS[stem])
    if jsonl.exists():
        # The Spark engine writes a folder of part files under the same name.
        return pl.scan_ndjson(jsonl / "*.json" if jsonl.is_dir() else jsonl)
    path = folder / f"{stem}.parquet"
    return pl.scan_parquet(path / "*.parquet" if path.is_dir() else path)


def read_output(folder: Path) -> OutputTables:
    """Open the output folder of a run (local or Spark engine).

    Raises:
        InputError: the folder is missing or is not a finished output folder.
    """
    report_path = folder / "report.json"
    if not report_path.is_file():
        raise InputError(
            f"'{folder}' is not an output folder of dedupe run (no report.json); "
            "pass the folder given to --output"
        )
    return tables_of(folder, json.loads(report_path.read_text(encoding="utf-8")))


def tables_of(folder: Path, report: dict[str, Any]) -> OutputTables:
    """Scan the tables of an output folder (or of a run's workspace), given its report.

    Raises:
        InputError: the folder lacks a table.
    """
    for stem in ("corpus", "dropped", "removed_lines"):
        if not any((folder / f"{stem}.{suffix}").exists() for suffix in ("parquet", "jsonl")):
            raise InputError(f"'{folder}' has no {stem} table; run dedupe run again")
    return OutputTables(
        folder=folder,
        corpus=scan_table(folder, "corpus"),
        dropped=scan_table(folder, "dropped"),
        removed_lines=scan_table(folder, "removed_lines"),
        report=report,
    )


def label_of(row: dict[str, Any]) -> str:
    """A document's title, else its first words, for a human reading a list."""
    title = next((row[c] for c in TITLE_CANDIDATES if row.get(c)), None)
    if title:
        return str(title)
    words = str(row.get(TEXT) or "").split()
    return " ".join(words[:FIRST_WORDS]) + (" ..." if len(words) > FIRST_WORDS else "")


def where_from(row: dict[str, Any]) -> str:
    """A document's url, else its source, else an empty string."""
    value = next((row[c] for c in (*URL_CANDIDATES, *SOURCE_CANDIDATES) if row.get(c)), "")
    return str(value)


@dataclass(frozen=True, slots=True)
class Member:
    """One document of a cluster, as a reviewer reads it."""

    doc_id: str
    role: str
    matched: str | None
    measure: str | None
    similarity: float | None
    label: str
    where: str


@dataclass(frozen=True, slots=True)
class RemovedLine:
    """A line removed from the document; ``taught_by`` is how many documents taught it."""

    line_no: int
    line: str
    rule: str
    taught_by: int | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why one document was kept or dropped, with what it matched and how."""

    doc_id: str
    status: str
    why: str
    label: str
    where: str
    reason: str | None = None
    detail: str | None = None
    matched: str | None = None
    duplicate_of: str | None = None
    measure: str | None = None
    similarity: float | None = None
    threshold: float | None = None
    cluster_id: str | None = None
    members: list[Member] = field(default_factory=list)
    removed_lines: list[RemovedLine] = field(default_factory=list)
    diff: list[DiffSegment] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the explanation as JSON-ready data."""
        data = asdict(self)
        data["diff"] = None if self.diff is None else [s.to_dict() for s in self.diff]
        return data


def _rows(frame: pl.LazyFrame, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    found = frame.filter(pl.col(DOC_ID).is_in(list(ids))).collect()
    return {row[DOC_ID]: row for row in found.iter_rows(named=True)}


def _threshold(measure: str | None, parameters: dict[str, Any]) -> float | None:
    near = parameters.get("near", {})
    if measure == Measure.JACCARD.value:
        return float(near["threshold"]) if "threshold" in near else None
    if measure == Measure.CONTAINMENT.value:
        value = near.get("containment_threshold")
        return float(value) if value is not None else None
    return None


def _taught_by(report: dict[str, Any]) -> dict[tuple[str, str | None, str], int]:
    """Documents that taught each learned line, by (rule, scope, normalized line).

    A learned line is keyed by its normalized text within its scope (a source, or the corpus);
    the (rule, None, line) entry answers for any scope.
    """
    learned = report.get("details", {}).get("clean", {}).get("learned_lines", [])
    found: dict[tuple[str, str | None, str], int] = {}
    for r in learned:
        rule, line, documents = str(r["rule"]), str(r["line"]), int(r["documents"])
        found[(rule, r.get("scope"), line)] = documents
        found[(rule, None, line)] = max(documents, found.get((rule, None, line), 0))
    return found


def _scope(row: dict[str, Any]) -> str | None:
    source = next((row[c] for c in SOURCE_CANDIDATES if row.get(c)), None)
    if source is not None:
        return str(source).lower()
    url = where_from(row)
    if not url:
        return None
    host = pl.DataFrame({"url": [url]}).select(url_host("url")).item()
    return None if host is None else str(host)


def _removed_lines(
    removed: pl.DataFrame, row: dict[str, Any], taught: dict[tuple[str, str | None, str], int]
) -> list[RemovedLine]:
    lines = removed.filter(pl.col(DOC_ID) == row[DOC_ID]).sort(LINE_NO)
    keys = normalize_texts(lines.get_column(LINE)).to_list()
    scope = _scope(row)
    found = []
    for (number, line, rule), key in zip(
        lines.select(LINE_NO, LINE, RULE).iter_rows(), keys, strict=True
    ):
        documents = taught.get((rule, scope, key), taught.get((rule, None, key)))
        found.append(RemovedLine(number, line, rule, documents))
    return found


def _members(tables: OutputTables, cluster_id: str) -> list[Member]:
    copies = tables.dropped.filter(pl.col(DUPLICATE_OF) == cluster_id).collect()
    head = _rows(tables.corpus, [cluster_id]).get(cluster_id)
    members = []
    if head is not None:
        members.append(
            Member(cluster_id, "canonical", None, None, None, label_of(head), where_from(head))
        )
    for row in copies.sort(DOC_ID).iter_rows(named=True):
        members.append(
            Member(
                row[DOC_ID],
                str(row[DROP_REASON]),
                row.get(MATCHED),
                row.get(MEASURE),
                row.get(SIMILARITY),
                label_of(row),
                where_from(row),
            )
        )
    return members


def _why(row: dict[str, Any], status: str, members: int, threshold: float | None) -> str:
    reason = row.get(DROP_REASON)
    if status == "kept":
        if members > 1:
            return f"kept: the canonical copy of a cluster of {members} documents"
        return "kept: no other document is an exact or near duplicate of it"
    similarity = row.get(SIMILARITY)
    if reason == DropReason.EXACT_DUPLICATE.value:
        text = f"dropped: exact_duplicate: its normalized text equals {row[MATCHED]}'s"
    elif reason == DropReason.NEAR_DUPLICATE.value:
        text = (
            f"dropped: near_duplicate of {row[MATCHED]}: {row.get(MEASURE)} "
            f"{similarity:.3f} >= threshold {threshold}"
        )
    elif reason == DropReason.EMPTY_AFTER_CLEANING.value:
        return "dropped: empty_after_cleaning: every line was removed by a rule (listed below)"
    else:
        return f"dropped: {reason}: {row.get(DETAIL) or 'no detail'}"
    if row.get(DUPLICATE_OF) and row[DUPLICATE_OF] != row[MATCHED]:
        text += f"; {row[MATCHED]} is itself a copy, the cluster's canonical is {row[DUPLICATE_OF]}"
    return text


def explain(output: Path, doc_ids: Sequence[str]) -> list[Explanation]:
    """Explain each document's fate from a published output folder.

    Raises:
        InputError: the folder is not an output folder, or an id is in neither table.

    Example:
        >>> from pathlib import Path
        >>> explain(Path("out/news"), ["bbc-harbor"])[0].status  # doctest: +SKIP
        'kept'
    """
    tables = read_output(output)
    kept = _rows(tables.corpus, doc_ids)
    dropped = _rows(tables.dropped, doc_ids)
    unknown = [i for i in doc_ids if i not in kept and i not in dropped]
    if unknown:
        raise InputError(
            f"doc id {unknown[0]!r} is in neither corpus nor dropped of '{output}'; "
            "check the id (ids are case-sensitive)"
        )
    parameters = tables.report.get("parameters", {})
    taught = _taught_by(tables.report)
    removed = tables.removed_lines.filter(pl.col(DOC_ID).is_in(list(doc_ids))).collect()
    explanations = []
    for doc_id in doc_ids:
        row, status = (kept[doc_id], "kept") if doc_id in kept else (dropped[doc_id], "dropped")
        measure = row.get(MEASURE)
        threshold = _threshold(measure, parameters)
        cluster_id = row.get(CLUSTER_ID) if status == "kept" else row.get(DUPLICATE_OF)
        members = _members(tables, cluster_id) if cluster_id else []
        lines = _removed_lines(removed, row, taught)
        explanations.append(
            Explanation(
                doc_id=doc_id,
                status=status,
                why=_why(row, status, len(members), threshold),
                label=label_of(row),
                where=where_from(row),
                reason=row.get(DROP_REASON) if status == "dropped" else None,
                detail=row.get(DETAIL),
                matched=row.get(MATCHED),
                duplicate_of=row.get(DUPLICATE_OF),
                measure=measure,
                similarity=row.get(SIMILARITY) if status == "dropped" else None,
                threshold=threshold,
                cluster_id=cluster_id,
                members=members if len(members) > 1 else [],
                removed_lines=lines,
                diff=_diff(tables, row) if measure in ("jaccard", "containment") else None,
            )
        )
    return explanations


def text_of(tables: OutputTables, doc_id: str) -> str | None:
    """The cleaned text of a kept or dropped document, when the output holds it."""
    for frame in (tables.corpus, tables.dropped):
        if TEXT not in frame.collect_schema().names():
            continue
        found = frame.filter(pl.col(DOC_ID) == doc_id).select(TEXT).collect()
        if found.height:
            value = found.item(0, 0)
            return None if value is None else str(value)
    return None


def _diff(tables: OutputTables, row: dict[str, Any]) -> list[DiffSegment] | None:
    """The word diff from the matched document to this one; None without both texts."""
    matched = text_of(tables, row[MATCHED])
    own = row.get(TEXT)
    if matched is None or own is None:
        return None
    return word_diff(matched, str(own))


def explanation_text(explanation: Explanation) -> str:
    """Render an explanation as plain text for a terminal."""
    e = explanation
    lines = [f"{e.doc_id}  {e.label}" + (f"  <{e.where}>" if e.where else ""), f"  {e.why}"]
    if e.matched is not None:
        lines.append(
            f"  matched {e.matched} ({e.measure}, similarity {e.similarity:.3f}"
            + (f", threshold {e.threshold}" if e.threshold is not None else "")
            + f"); canonical {e.duplicate_of}"
        )
    if e.members:
        lines.append(f"  cluster {e.cluster_id} ({len(e.members)} documents):")
        for m in e.members:
            score = (
                "" if m.similarity is None else f" {m.measure} {m.similarity:.3f} vs {m.matched}"
            )
            lines.append(f"    {m.doc_id}  [{m.role}{score}]  {m.label}  {m.where}".rstrip())
    if e.removed_lines:
        lines.append(f"  removed lines ({len(e.removed_lines)}):")
        for r in e.removed_lines:
            taught = f" (taught by {r.taught_by} documents)" if r.taught_by is not None else ""
            lines.append(f"    {r.line_no:>4}  {r.rule}{taught}: {r.line.strip()[:100]!r}")
    if e.diff is not None:
        lines.append(f"  diff from {e.matched} to {e.doc_id} ([-removed-] {{+added+}}):")
        lines.append("    " + diff_text(e.diff))
    elif e.measure in ("jaccard", "containment"):
        lines.append("  (no diff: the output holds no text for one side; see --no-dropped-text)")
    return "\n".join(lines)
