"""Measure line cleaning: seeds, L3S-GN1, trafilatura's snippets, and lines per second.

The snippet pages are scored with trafilatura's protocol against keep-everything and jusText.

Run from the project root: ``python benchmarks/cleaning.py``. The shared data sets are read by
path (``../shared/data`` or ``--data-dir``) and never copied; results go to ``benchmarks/results/``.
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
    shares["_full_text_removed_by_rule"] = removed_by_rule(labels, result.removed_lines)
    return shares


def removed_by_rule(
    labels: pl.DataFrame, removed: pl.DataFrame, label: str = "full_text"
) -> dict[str, int]:
    """How many lines of one label each rule removed, most first: what a content loss is."""
    lost = (
        labels.filter(pl.col("label") == label)
        .join(removed.select(*KEYS, "rule"), on=KEYS)
        .group_by("rule")
        .len()
        .sort(["len", "rule"], descending=[True, False])
    )
    return dict(lost.iter_rows())


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
    # Lines are compared with their whitespace collapsed, so the titles are too ("JAN  31").
    titles = {" ".join(title.split()) for title in titles}

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


# jusText's stop list of each language code of the snippet pages; others run jusText's
# language-independent mode (an empty stop list and both stop-word thresholds at 0).
JUSTEXT_LANGUAGES = {
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "fi": "Finnish",
}
# Language groups of the snippet table: German is 70% of the pages, so it gets its own row.
LANGUAGE_GROUPS = {"de": "de", "en": "en"}


def whitespace_normalized(text: str) -> str:
    """Collapse runs of whitespace to one space and strip, as trafilatura's evaluation does."""
    return " ".join(text.split())


def score_snippets(pages: pl.DataFrame, outputs: list[str]) -> dict[str, float]:
    """Precision, recall and F1 of trafilatura's snippet protocol, summed over pages.

    A ``with`` snippet found in the whitespace-normalized output is a true positive (else a
    false negative); a ``without`` snippet found is a false positive (else a true negative).
    """
    tp = fn = fp = tn = 0
    for output, with_, without in zip(outputs, pages["with"], pages["without"], strict=True):
        text = whitespace_normalized(output)
        for snippet in with_:
            if whitespace_normalized(snippet) in text:
                tp += 1
            else:
                fn += 1
        for snippet in without:
            if whitespace_normalized(snippet) in text:
                fp += 1
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pages": pages.height, "precision": precision, "recall": recall, "f1": f1}


def justext_outputs(pages: pl.DataFrame) -> list[str]:
    """Run jusText on each page's lines, one ``<p>`` a line, with the page's stop list."""
    import html

    import justext  # type: ignore[import-untyped]  # jusText ships no type hints

    outputs = []
    for text, lang in zip(pages["text"], pages["lang"], strict=True):
        body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
        language = JUSTEXT_LANGUAGES.get(lang)
        options: dict[str, Any] = {}
        if language is None:
            options = {"stopwords_low": 0, "stopwords_high": 0}
        stoplist = justext.get_stoplist(language) if language else frozenset()
        paragraphs = justext.justext(f"<html><body>{body}</body></html>", stoplist, **options)
        outputs.append("\n".join(p.text for p in paragraphs if not p.is_boilerplate))
    return outputs


def snippets(data: Path) -> dict[str, Any]:
    """Score keep-everything, both modes and jusText on the dev snippet pages, per language."""
    pages = read_xz_ndjson(data / "page_snippets" / "pages_dev.jsonl.xz")
    corpus = pages.select("doc_id", "url", "source", "text")
    methods: dict[str, list[str]] = {"keep_everything": pages["text"].to_list()}
    for mode in ("article", "page"):
        cleaned = clean_corpus(corpus, CleanConfig(mode=mode))  # type: ignore[arg-type]
        methods[f"mode_{mode}"] = cleaned.corpus["text"].to_list()
    methods["justext"] = justext_outputs(pages)
    group = pl.col("lang").replace_strict(LANGUAGE_GROUPS, default="other")
    groups = pages.with_columns(group.alias("_group"), pl.int_range(pl.len()).alias("_row"))
    results: dict[str, Any] = {}
    for name, outputs in methods.items():
        results[name] = {"all": score_snippets(pages, outputs)}
        for (label,), part in groups.group_by("_group", maintain_order=True):
            rows = part["_row"].to_list()
            results[name][str(label)] = score_snippets(part, [outputs[i] for i in rows])
    return results


def print_snippets(results: dict[str, Any]) -> None:
    """Print the snippet scores: one row per method and language group."""
    print("\ntrafilatura snippets (pages_dev), precision / recall / F1")
    print("(content kept: the `with` snippets kept, of those the page's own text holds)")
    print(
        f"{'method':<18}{'group':<7}{'pages':>6}{'precision':>11}{'recall':>8}{'F1':>7}"
        f"{'content kept %':>16}"
    )
    everything = results.get("keep_everything", {})
    for name, groups in results.items():
        for label in ("all", "de", "en", "other"):
            if label in groups:
                row = groups[label]
                # Cleaning only removes lines: the page's text holds what any method finds.
                held = everything.get(label, {}).get("recall")
                kept = f"{100 * row['recall'] / held:.2f}" if held else "-"
                print(
                    f"{name:<18}{label:<7}{row['pages']:>6}{row['precision']:>11.3f}"
                    f"{row['recall']:>8.3f}{row['f1']:>7.3f}{kept:>16}"
                )


def synthetic_chrome(data: Path, *, n_docs: int = 3000, seed: int = 0) -> dict[str, Any]:
    """Boilerplate removed and content kept on a generated corpus with variable chrome.

    The corpus is `benchmarks.synth.generate_corpus` with `add_variable_chrome`; a line is
    boilerplate when it is the generator's chrome (`chrome_classifier`), a variable chrome line
    or blank but for NBSP and zero-width characters, and content otherwise.
    """
    from benchmarks.synth import (
        SynthConfig,
        add_variable_chrome,
        generate_corpus,
        load_base_articles,
    )

    articles = load_base_articles(data)
    corpus = add_variable_chrome(
        generate_corpus(articles, SynthConfig(seed=seed), n_docs=n_docs), seed=seed
    )
    classify = chrome_classifier({article.title.strip() for article in articles})
    result = clean_corpus(corpus.select("doc_id", "text", "url", "source"), CleanConfig())
    removed = {(row[0], row[1]) for row in result.removed_lines.select(KEYS).iter_rows()}
    counts = {"boilerplate": [0, 0], "content": [0, 0], "variable_chrome": [0, 0]}
    rows = corpus.select("doc_id", "text", "title", "variable_chrome").iter_rows()
    for doc_id, text, title, variable in rows:
        added = set(variable)
        for line_no, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            if not line:
                continue
            blank = not line.replace("\u00a0", "").replace("\u200b", "").strip()
            chrome = blank or line in added or classify(line, title) is not None
            label = "boilerplate" if chrome else "content"
            gone = (doc_id, line_no) in removed
            counts[label][0] += 1
            counts[label][1] += gone
            if line in added:
                counts["variable_chrome"][0] += 1
                counts["variable_chrome"][1] += gone
    return {
        "documents": corpus.height,
        **{
            label: {
                "lines": total,
                "removed_pct": 100 * gone / total if total else 0.0,
                "kept_pct": 100 * (total - gone) / total if total else 0.0,
            }
            for label, (total, gone) in counts.items()
        },
    }


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
    # --data-dir as the other benchmarks spell it; --data as this one always did.
    parser.add_argument(
        "--data-dir", "--data", dest="data", type=Path, default=ROOT.parent / "shared" / "data"
    )
    parser.add_argument(
        "--synthetic", type=Path, default=None, help="a labelled corpus from benchmarks/synth.py"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"seeds": seeds()}
    print_table("seeds (samples/news_lines.jsonl)", results["seeds"])
    for mode in ("article", "page"):
        results[f"l3s_gn1_{mode}"] = l3s(args.data, mode)
        print_table(f"L3S-GN1, mode={mode}", results[f"l3s_gn1_{mode}"])
        lost = results[f"l3s_gn1_{mode}"]["_full_text_removed_by_rule"]
        print("full_text removed, by rule: " + ", ".join(f"{r} {n}" for r, n in lost.items()))
    results["synthetic_chrome"] = synthetic_chrome(args.data)
    chrome = results["synthetic_chrome"]
    print(
        f"\nsynthetic corpus with variable chrome ({chrome['documents']} documents, article mode)"
    )
    for label in ("boilerplate", "variable_chrome", "content"):
        row = chrome[label]
        print(
            f"{label:<18}{row['lines']:>8} lines  removed {row['removed_pct']:6.2f}%  "
            f"kept {row['kept_pct']:6.2f}%"
        )
    results["snippets"] = snippets(args.data)
    print_snippets(results["snippets"])
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
