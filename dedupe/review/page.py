"""The review page: ``report.html``, one self-contained file written into every output folder.

Styles, scripts (Chart.js 4, vendored in ``assets/`` with its MIT licence) and data are inline,
so the page opens from ``file://`` with no network request. What it shows is capped so that it
stays small on a million-document run: the ``LARGEST_CLUSTERS`` largest clusters with at most
``MEMBERS_SHOWN`` members each, ``NEAR_MISSES_SHOWN`` near misses, ``EXAMPLES`` example lines
per rule, ``LEARNED_SHOWN`` learned lines, a search index of at most ``INDEXED_DROPPED``
dropped rows, and every diff cut to ``DIFF_CHARS`` characters with long shared passages
elided: under 2 MB of data whatever the corpus. The texts shown are read in one scan.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.review.diff import CONTEXT_WORDS, shorten, word_diff
from dedupe.review.explain import OutputTables, label_of, tables_of, where_from
from dedupe.schema import (
    DOC_ID,
    DROP_REASON,
    DUPLICATE_OF,
    LINE,
    MATCHED,
    MEASURE,
    RULE,
    SIMILARITY,
    TEXT,
)

PAGE = "report.html"
LARGEST_CLUSTERS = 20
MEMBERS_SHOWN = 10
NEAR_MISSES_SHOWN = 20
EXAMPLES = 5
LEARNED_SHOWN = 50
INDEXED_DROPPED = 2_000
DIFF_SEGMENTS = 120
# Characters kept of a changed passage or an example line, and of one whole diff.
PASSAGE_CHARS = 300
DIFF_CHARS = 4_000


def _asset(name: str) -> str:
    return resources.files("dedupe.review").joinpath("assets", name).read_text(encoding="utf-8")


def _compact_diff(before: str | None, after: str | None) -> list[list[str]] | None:
    """A capped diff as ``[op, before, after]`` triples, shared passages shortened."""
    if before is None or after is None:
        return None
    triples: list[list[str]] = []
    budget = DIFF_CHARS
    for segment in word_diff(before, after)[:DIFF_SEGMENTS]:
        if segment.op == "equal":
            triple = ["equal", shorten(segment.before, CONTEXT_WORDS), ""]
        else:
            triple = [segment.op, segment.before[:PASSAGE_CHARS], segment.after[:PASSAGE_CHARS]]
        budget -= len(triple[1]) + len(triple[2])
        if budget < 0:
            triples.append(["equal", "[... diff cut: see dedupe explain ...]", ""])
            break
        triples.append(triple)
    return triples


def _person(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "doc_id": row[DOC_ID],
        "title": label_of(row),
        "url": where_from(row),
        "source": str(row.get("source") or ""),
        "reason": row.get(DROP_REASON),
        "matched": row.get(MATCHED),
        "measure": row.get(MEASURE),
        "similarity": row.get(SIMILARITY),
    }


def _texts(tables: OutputTables, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The rows (with text where the output has it) of ``ids``: one scan of each table."""
    found: dict[str, dict[str, Any]] = {}
    wanted = pl.Series(sorted(ids), dtype=pl.String).implode()
    for frame in (tables.corpus, tables.dropped):
        rows = frame.filter(pl.col(DOC_ID).is_in(wanted)).collect()
        found.update({row[DOC_ID]: row for row in rows.iter_rows(named=True)})
    return found


def _largest(ledger: pl.DataFrame) -> list[dict[str, Any]]:
    """The largest clusters by copies (ties by canonical id), each with the copies shown."""
    return (
        ledger.filter(pl.col(DUPLICATE_OF).is_not_null())
        .group_by(DUPLICATE_OF)
        .agg(pl.len().alias("copies"), pl.col(DOC_ID).sort().head(MEMBERS_SHOWN).alias("shown"))
        .sort(["copies", DUPLICATE_OF], descending=[True, False])
        .head(LARGEST_CLUSTERS)
        .to_dicts()
    )


def _cluster_data(
    largest: list[dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    clusters = []
    for cluster in largest:
        head = rows.get(cluster[DUPLICATE_OF], {DOC_ID: cluster[DUPLICATE_OF]})
        members = [{**_person(head), "diff": None}]
        for doc_id in cluster["shown"]:
            row = rows.get(doc_id, {DOC_ID: doc_id})
            diff = _compact_diff(head.get(TEXT), row.get(TEXT))
            members.append({**_person(row), "diff": diff})
        clusters.append(
            {"cluster_id": cluster[DUPLICATE_OF], "size": cluster["copies"] + 1, "members": members}
        )
    return clusters


def _near_misses(
    misses: list[dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    shown = []
    for miss in misses:
        left = rows.get(miss["left"], {DOC_ID: miss["left"]})
        right = rows.get(miss["right"], {DOC_ID: miss["right"]})
        shown.append(
            {
                **miss,
                "left_title": label_of(left),
                "right_title": label_of(right),
                "diff": _compact_diff(left.get(TEXT), right.get(TEXT)),
            }
        )
    return shown


def _removed_by_rule(tables: OutputTables) -> list[dict[str, Any]]:
    grouped = (
        tables.removed_lines.group_by(RULE)
        .agg(
            pl.len().alias("lines"),
            pl.col(LINE)
            .str.slice(0, PASSAGE_CHARS)
            .unique()
            .sort()
            .head(EXAMPLES)
            .alias("examples"),
        )
        .sort(["lines", RULE], descending=[True, False])
        .collect()
    )
    return grouped.to_dicts()


def review_data(tables: OutputTables) -> dict[str, Any]:
    """Everything the page shows, capped (see the module docstring), as JSON-ready data."""
    report = tables.report
    details = report.get("details", {})
    near = details.get("near", {})
    similarities = near.get("similarities") or {}
    columns = [DOC_ID, DROP_REASON, MATCHED, DUPLICATE_OF, MEASURE, SIMILARITY]
    ledger = tables.dropped.select(columns).collect()
    largest = _largest(ledger)
    misses = similarities.get("near_misses", [])[:NEAR_MISSES_SHOWN]
    ids = {c[DUPLICATE_OF] for c in largest} | {i for c in largest for i in c["shown"]}
    ids |= {m["left"] for m in misses} | {m["right"] for m in misses}
    rows = _texts(tables, ids)
    return {
        "counts": report.get("counts", {}),
        "parameters": report.get("parameters", {}),
        "near": {k: v for k, v in near.items() if k != "similarities"},
        "similarities": {k: v for k, v in similarities.items() if k != "near_misses"},
        "clusters": _cluster_data(largest, rows),
        "near_misses": _near_misses(misses, rows),
        "removed_by_rule": _removed_by_rule(tables),
        "learned_lines": details.get("clean", {}).get("learned_lines", [])[:LEARNED_SHOWN],
        "index": {"dropped_total": ledger.height, "rows": ledger.head(INDEXED_DROPPED).to_dicts()},
        "caps": {
            "clusters": LARGEST_CLUSTERS,
            "members": MEMBERS_SHOWN,
            "near_misses": NEAR_MISSES_SHOWN,
            "examples": EXAMPLES,
            "learned": LEARNED_SHOWN,
            "indexed_dropped": INDEXED_DROPPED,
        },
    }


def _inline_json(data: Any) -> str:
    # "</" would close the script element; "<\/" is the same string to JSON.
    return json.dumps(data, ensure_ascii=False, default=str).replace("</", "<\\/")


def render_review_page(data: dict[str, Any], *, title: str) -> str:
    """Return the page's HTML for ``review_data``'s answer."""
    return (
        _asset("page.html")
        .replace("{{title}}", html.escape(title))
        .replace("{{style}}", _asset("page.css"))
        .replace("{{chart_js}}", _asset("chart.umd.min.js"))
        .replace("{{script}}", _asset("page.js"))
        .replace("{{data}}", _inline_json(data))
    )


def write_review_page(folder: Path, report: dict[str, Any]) -> Path:
    """Write ``report.html`` into an output folder (or a run's workspace before publishing).

    Raises:
        InputError: the folder lacks the output tables.
    """
    tables = tables_of(folder, report)
    path = folder / PAGE
    title = f"dedupe review: {', '.join(report.get('inputs', []))[:200]}"
    path.write_text(render_review_page(review_data(tables), title=title), encoding="utf-8")
    return path
