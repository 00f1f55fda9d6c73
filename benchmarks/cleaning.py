"""Measure line cleaning: seeds, L3S-GN1 in article and page mode, and lines per second.

Run from the project root: ``python benchmarks/cleaning.py``. The shared data sets are read by
path (``../shared/data`` or ``--data``) and never copied; results go to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import io
import json
import lzma
import platform
import re
import time
from pathlib import Path
from typing import Any

import polars as pl

from dedupe.clean.phases import clean_corpus
from dedupe.config import CleanConfig

ROOT = Path(__file__).resolve().parent.parent
KEYS = ["doc_id", "line_no"]


def read_xz_ndjson(path: Path) -> pl.DataFrame:
    """Read an xz-compressed JSON-lines file (Polars does not decompress xz itself)."""
    with lzma.open(path) as handle:
        return pl.read_ndjson(io.BytesIO(handle.read()))


def labelled_corpus(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn ``(doc_id, url, lines: [{text, label}])`` into a corpus and its line labels."""
    texts = pl.col("lines").list.eval(
        pl.element().struct.field("text").str.replace_all(r"[\r\n]+", " ")
    )
    corpus = lines.select("doc_id", "url", texts.list.join("\n").alias("text"))
    labels = (
        lines.select("doc_id", pl.col("lines").list.eval(pl.element().struct.field("label")))
        .with_columns(
            pl.int_ranges(1, pl.col("lines").list.len() + 1, dtype=pl.Int32).alias("line_no")
        )
        .explode("lines", "line_no")
        .rename({"lines": "label"})
    )
    return corpus, labels


def kept_share(labels: pl.DataFrame, removed: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Per label: line count, share kept and share removed (percent)."""
    judged = labels.join(removed.select(*KEYS, "rule"), on=KEYS, how="left")
    table = (
        judged.group_by("label")
        .agg(
            pl.len().alias("lines"),
            (pl.col("rule").is_null().mean() * 100).alias("kept_pct"),
            (pl.col("rule") == "repeated_caption").sum().alias("removed_as_repeat"),
        )
        .with_columns((100 - pl.col("kept_pct")).alias("removed_pct"))
        .sort("label")
    )
    return {row.pop("label"): row for row in table.to_dicts()}


def seeds() -> dict[str, Any]:
    """Content kept and boilerplate removed on the hand-labelled seed lines."""
    files = sorted((ROOT / "samples" / "news").glob("*.txt"))
    corpus = pl.DataFrame(
        {"doc_id": [f.stem for f in files], "text": [f.read_text("utf-8") for f in files]}
    )
    labels = pl.read_ndjson(ROOT / "samples" / "news_lines.jsonl").with_columns(
        pl.col("line_no").cast(pl.Int32)
    )
    result = clean_corpus(corpus, CleanConfig())
    return kept_share(labels, result.removed_lines)


def l3s(data: Path, mode: str) -> dict[str, Any]:
    """Kept and removed shares per human label of L3S-GN1 in one cleaning mode."""
    corpus, labels = labelled_corpus(
        read_xz_ndjson(data / "l3s_gn1" / "l3s_gn1_block_labels.jsonl.xz")
    )
    start = time.perf_counter()
    result = clean_corpus(corpus, CleanConfig(mode=mode))  # type: ignore[arg-type]
    shares = kept_share(labels, result.removed_lines)
    shares["_seconds"] = {"value": time.perf_counter() - start}
    return shares


def speed(data: Path, mode: str) -> dict[str, float]:
    """Lines per second of `clean_corpus` on the scraped full-page corpus."""
    pages = read_xz_ndjson(data / "scraped_pages" / "raw_pages_lines.jsonl.xz")
    corpus = pages.select(
        pl.concat_str("corpus", pl.lit(":"), "id").alias("doc_id"),
        "url",
        pl.col("lines").list.join("\n").alias("text"),
    )
    lines = int(pages.select(pl.col("lines").list.len().sum()).item())
    start = time.perf_counter()
    clean_corpus(corpus, CleanConfig(mode=mode))  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    return {
        "documents": corpus.height,
        "lines": lines,
        "seconds": seconds,
        "lines_per_second": lines / seconds,
    }


def chrome_classifier(titles: set[str]) -> Any:
    """Return a function naming the kind of generator chrome a line is, or None.

    The kinds come from the site templates of ``benchmarks/synth.py``: ``template`` (header,
    footer, navigation, share and credit lines), ``byline`` (bylines, datelines, image urls),
    ``related`` (another base article's title) and ``headline_suffix``.
    """
    from benchmarks.synth import AGENCIES, AUTHORS, SITES

    exact = {"Sign up for our newsletter", "We use cookies to improve your experience. Accept"}
    patterns = [re.compile(r"^https://media\.")]
    authors = "|".join(map(re.escape, AUTHORS))
    for site in SITES:
        exact |= {*site.header, *site.footer, *site.nav, site.share}
        exact |= (
            {site.credit.format(agency=agency) for agency in AGENCIES} if site.credit else set()
        )
        for part in site.byline.split("\n"):
            shape = re.escape(part).replace(r"\{author\}", f"({authors})")
            patterns.append(
                re.compile("^" + shape.replace(r"\{date\}", r"[A-Z][a-z]+ \d{2} \d{4}") + "$")
            )
    exact.discard("")

    def classify(line: str, title: str) -> str | None:
        line = " ".join(line.split())
        if line in exact:
            return "template"
        if any(pattern.match(line) for pattern in patterns):
            return "byline"
        if line in titles and line != " ".join(title.split()):
            return "related"
        return "headline_suffix" if line.endswith(" | World News") else None

    return classify


def synthetic_residue(path: Path, data: Path) -> dict[str, int]:
    """Count generator chrome lines left in the cleaned non-original documents of a corpus."""
    from benchmarks.synth import load_base_articles

    corpus = pl.read_parquet(path)
    classify = chrome_classifier({article.title.strip() for article in load_base_articles(data)})
    cleaned = clean_corpus(corpus.select("doc_id", "text", "url", "source"), CleanConfig()).corpus
    counts: dict[str, int] = {"documents_with_residue": 0}
    rows = zip(cleaned["text"], corpus["title"], corpus["kind"], strict=True)
    for text, title, kind in rows:
        found = [classify(line, title) for line in text.split("\n")] if kind != "original" else []
        for name in filter(None, found):
            counts[name] = counts.get(name, 0) + 1
        counts["documents_with_residue"] += any(found)
    return counts


def print_table(title: str, shares: dict[str, Any]) -> None:
    """Print one data set's shares as a small table."""
    print(f"\n{title}")
    print(f"{'label':<18}{'lines':>8}{'kept %':>9}{'removed %':>11}{'as repeat':>11}")
    for label, row in shares.items():
        if label.startswith("_"):
            continue
        print(
            f"{label:<18}{row['lines']:>8}{row['kept_pct']:>9.2f}{row['removed_pct']:>11.2f}"
            f"{row['removed_as_repeat']:>11}"
        )


def main() -> None:
    """Run every measurement, print the tables and write ``benchmarks/results/cleaning.json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--synthetic", type=Path, default=None, help="a labelled corpus from benchmarks/synth.py"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"seeds": seeds()}
    print_table("seeds (samples/news_lines.jsonl)", results["seeds"])
    for mode in ("article", "page"):
        results[f"l3s_gn1_{mode}"] = l3s(args.data, mode)
        print_table(f"L3S-GN1, mode={mode}", results[f"l3s_gn1_{mode}"])
    for mode in ("article", "page"):
        results[f"speed_{mode}"] = speed(args.data, mode)
        run = results[f"speed_{mode}"]
        print(
            f"\nscraped_pages, mode={mode}: {run['lines']} lines of {run['documents']} pages "
            f"in {run['seconds']:.2f}s = {run['lines_per_second']:,.0f} lines/s"
        )
    if args.synthetic is not None:
        results["synthetic_residue"] = synthetic_residue(args.synthetic, args.data)
        print(f"\nsynthetic chrome left after cleaning: {results['synthetic_residue']}")
    results["machine"] = {
        "python": platform.python_version(),
        "polars": pl.__version__,
        "processor": platform.processor(),
        "system": platform.platform(),
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cleaning.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
