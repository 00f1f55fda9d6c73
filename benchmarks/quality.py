"""Measure near-duplicate quality: pair precision, recall, F1 and ARI, Reuters recall, the seeds.

Three measurements, each at the library's defaults unless options override them:

1. A seeded synthetic corpus (``benchmarks/synth.py``) of syndicated copies and hard negatives:
   pair precision, recall, F1, the adjusted Rand index, hard-negative pairs wrongly merged and the
   recall of each kind of edit.
2. Reuters-21578 as a whole: the share of the silver near-duplicate pairs (exact word 5-gram
   Jaccard >= 0.5, and >= 0.8) that end in one cluster.
3. The five seed articles (``samples/news``), different outlets' write-ups of one story: none may
   be merged with another.
4. The harder mix: the synthetic corpus with briefs and deep cuts of articles, corrections of
   one figure, noisy copies and templated reports of five kinds (``synth.HARD_MIX``): pair
   precision, recall and F1, the recall of each class and the templated reports merged.

``--sweep`` runs a grid over threshold, n-gram size, containment threshold and ``num_perm``.
``--check`` compares with ``benchmarks/baseline.json`` and exits 1 on a regression; ``--update``
rewrites the baseline and refuses to lower a floor without ``--allow-regression``.
Results go to ``benchmarks/results/`` (gitignored) with the git sha, versions and parameters.

Run from the repository root: ``python -m benchmarks.quality [--sweep | --check | --update]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import itertools
import json
import lzma
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.metrics import (
    adjusted_rand_index,
    pair_counts,
    pair_scores,
    predicted_clusters_from_result,
)
from benchmarks.synth import (
    CORPUS_COLUMNS,
    DEFAULT_DATA_DIR,
    DEFAULT_N_ORIGINALS,
    HARD_MIX,
    REUTERS_JSONL,
    REUTERS_SILVER,
    SynthConfig,
    frame_sha256,
    generate_corpus,
    load_base_articles,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
BASELINE = REPO_ROOT / "benchmarks" / "baseline.json"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
SEEDS_DIR = REPO_ROOT / "samples" / "news"

# Metrics gated from below (a floor) and from above (a ceiling) in baseline.json.
FLOOR_METRICS = (
    "synthetic_f1",
    "synthetic_ari",
    "reuters_recall_j50",
    "reuters_recall_j80",
    "mix_precision",
    "mix_f1",
    "mix_brief_recall",
)
CEILING_METRICS = ("hard_negative_pairs_merged", "seed_pairs_merged", "templated_pairs_merged")
# The harder mix's contained copies: every one must be found.
BRIEF_EDITS = ("lead_brief", "short_brief", "deep_cut")
DEFAULT_EPSILON = 0.005

SWEEP_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SWEEP_NGRAMS = (2, 3, 4, 5)
SWEEP_CONTAINMENT = (0.7, 0.8, 0.9, 1.0)
SWEEP_NUM_PERM = (128,)

# dedupe.run(frame, config) -> result with .corpus, .dropped, .report
Runner = Callable[[pl.DataFrame, Any], Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class NearParams:
    """Overrides of ``[near]``; None keeps the library default."""

    threshold: float | None = None
    ngram_size: int | None = None
    num_perm: int | None = None
    containment_threshold: float | None = None
    bands: int | None = None
    rows: int | None = None

    def overrides(self) -> dict[str, Any]:
        """Return the fields that are set, as ``NearConfig`` keyword arguments."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def build_config(params: NearParams) -> Any:
    """Build the pipeline config: library defaults with ``params`` in the ``near`` section."""
    from dedupe.config import NearConfig, PipelineConfig

    return PipelineConfig(near=NearConfig(**params.overrides()))


def default_runner() -> Runner:
    """Return ``dedupe.run``, with a clear message while the library does not export it yet."""
    import dedupe

    runner = getattr(dedupe, "run", None)
    if runner is None:
        raise SystemExit("dedupe.run is not available yet: the pipeline API is not exported")
    return runner  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# Measurements


@dataclass(slots=True)
class SyntheticResult:
    """Scores on the labelled synthetic corpus."""

    precision: float
    recall: float
    f1: float
    ari: float
    n_docs: int
    true_clusters: int
    predicted_clusters: int
    # kind -> [pairs merged, pairs in total]
    hard_negatives: dict[str, list[int]]
    # edit -> [copies merged with their original, copies with that edit]
    recall_by_edit: dict[str, list[int]]
    missing_docs: int
    seconds: float
    # template kind -> [pairs of different reports merged, such pairs in total]
    templated: dict[str, list[int]] = field(default_factory=dict)


def predicted_labels(frame: pl.DataFrame, result: Any) -> pl.DataFrame:
    """Join a run's clusters onto ``frame``; a document missing from the output is a singleton."""
    predicted = predicted_clusters_from_result(result.corpus, result.dropped)
    joined = frame.join(predicted, on="doc_id", how="left", maintain_order="left")
    return joined.with_columns(
        missing=pl.col("predicted_cluster").is_null(),
        predicted_cluster=pl.col("predicted_cluster").fill_null("missing:" + pl.col("doc_id")),
    )


def _pairs(count: pl.Expr) -> pl.Expr:
    return (count * (count - 1) // 2).cast(pl.Int64)


def hard_negative_merges(labelled: pl.DataFrame) -> dict[str, list[int]]:
    """Count hard-negative pairs in one predicted cluster, per kind of negative.

    A follow-up or write-up pairs with every member of the cluster it must stay apart from; the
    briefs of one group pair with each other.
    """
    counts: dict[str, list[int]] = {}
    negatives = labelled.filter(pl.col("kind").is_in(["follow_up", "write_up"]))
    members = labelled.select(
        pl.col("true_cluster").alias("negative_of"), pl.col("predicted_cluster").alias("other")
    )
    pairs = negatives.join(members, on="negative_of", how="inner")
    for kind in ("follow_up", "write_up"):
        of_kind = pairs.filter(pl.col("kind") == kind)
        merged = of_kind.filter(pl.col("predicted_cluster") == pl.col("other")).height
        counts[kind] = [merged, of_kind.height]
    briefs = labelled.filter(pl.col("kind") == "brief")
    total = briefs.group_by("negative_of").len("n").select(_pairs(pl.col("n")).sum()).item()
    merged = (
        briefs.group_by("negative_of", "predicted_cluster")
        .len("n")
        .select(_pairs(pl.col("n")).sum())
        .item()
    )
    counts["brief"] = [int(merged or 0), int(total or 0)]
    return counts


def recall_by_edit(labelled: pl.DataFrame) -> dict[str, list[int]]:
    """Count, per edit type, the copies that ended in their original's predicted cluster."""
    originals = (
        labelled.filter(pl.col("kind") == "original")
        .sort("doc_id")
        .unique("true_cluster", keep="first", maintain_order=True)
        .select("true_cluster", pl.col("predicted_cluster").alias("original_cluster"))
    )
    copies = (
        labelled.filter(pl.col("kind") == "copy")
        .join(originals, on="true_cluster", how="inner")
        .with_columns(
            merged=pl.col("predicted_cluster") == pl.col("original_cluster"),
            edit=pl.col("edits").str.split(","),
        )
        .explode("edit")
    )
    table = copies.group_by("edit").agg(pl.col("merged").sum(), pl.len()).sort("edit")
    return {edit: [int(m), int(n)] for edit, m, n in table.iter_rows()}


def templated_merges(labelled: pl.DataFrame) -> dict[str, list[int]]:
    """Count pairs of different templated reports in one predicted cluster, per template kind.

    Templated reports and their republications carry ``negative_of`` ``tpl:<kind>``; two
    documents of one kind from different reports (``true_cluster``) must never be merged.
    """
    reports = labelled.filter(pl.col("negative_of").str.starts_with("tpl:")).with_columns(
        template=pl.col("negative_of").str.strip_prefix("tpl:")
    )

    def pairs(*keys: str) -> pl.DataFrame:
        return (
            reports.group_by("template", *keys)
            .len("n")
            .group_by("template")
            .agg(_pairs(pl.col("n")).sum().alias("pairs"))
        )

    table = (
        pairs()
        .join(pairs("true_cluster"), on="template", suffix="_same")
        .join(pairs("predicted_cluster"), on="template", suffix="_predicted")
        .join(pairs("predicted_cluster", "true_cluster"), on="template", suffix="_both")
        .sort("template")
    )
    return {
        kind: [int(predicted - both), int(total - same)]
        for kind, total, same, predicted, both in table.select(
            "template", "pairs", "pairs_same", "pairs_predicted", "pairs_both"
        ).iter_rows()
    }


def evaluate_synthetic(frame: pl.DataFrame, config: Any, runner: Runner) -> SyntheticResult:
    """Run the pipeline over a labelled synthetic corpus and score its clusters."""
    started = time.perf_counter()
    result = runner(frame.select(CORPUS_COLUMNS), config)
    seconds = time.perf_counter() - started
    labelled = predicted_labels(frame, result)
    truth, predicted = labelled["true_cluster"], labelled["predicted_cluster"]
    precision, recall, f1 = pair_scores(truth, predicted)
    return SyntheticResult(
        precision=precision,
        recall=recall,
        f1=f1,
        ari=adjusted_rand_index(truth, predicted),
        n_docs=frame.height,
        true_clusters=truth.n_unique(),
        predicted_clusters=predicted.n_unique(),
        hard_negatives=hard_negative_merges(labelled),
        recall_by_edit=recall_by_edit(labelled),
        missing_docs=int(labelled["missing"].sum()),
        seconds=seconds,
        templated=templated_merges(labelled),
    )


@dataclass(slots=True)
class ReutersResult:
    """Recall of the Reuters silver near-duplicate pairs."""

    recall_j50: float
    recall_j80: float
    pairs_j50: int
    pairs_j80: int
    # Silver pairs with a document whose body is empty (not run, so not counted).
    pairs_skipped: int
    n_docs: int
    predicted_pairs: int
    seconds: float


def load_reuters_corpus(data_dir: Path) -> pl.DataFrame:
    """Read Reuters-21578 as a corpus: ``doc_id`` the newid, ``text`` title and body.

    Stories with an empty body are left out.
    """
    rows = []
    with lzma.open(data_dir / REUTERS_JSONL, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            body = record.get("body") or ""
            if not body.strip():
                continue
            title = record.get("title") or ""
            rows.append((str(record["newid"]), f"{title}\n{body}"))
    return pl.DataFrame(rows, schema={"doc_id": pl.String, "text": pl.String}, orient="row")


def load_silver_pairs(data_dir: Path) -> pl.DataFrame:
    """Read the silver pairs as ``jaccard``, ``doc_a``, ``doc_b`` (newids as strings)."""
    pairs = json.loads((data_dir / REUTERS_SILVER).read_text(encoding="utf-8"))
    return pl.DataFrame(
        [(float(j), str(a), str(b)) for j, a, b in pairs],
        schema={"jaccard": pl.Float64, "doc_a": pl.String, "doc_b": pl.String},
        orient="row",
    )


def evaluate_reuters(
    corpus: pl.DataFrame, silver: pl.DataFrame, config: Any, runner: Runner
) -> ReutersResult:
    """Run the pipeline over Reuters and measure the share of silver pairs in one cluster."""
    started = time.perf_counter()
    result = runner(corpus, config)
    seconds = time.perf_counter() - started
    labelled = predicted_labels(corpus.select("doc_id"), result)
    cluster = labelled.select("doc_id", "predicted_cluster")
    joined = (
        silver.join(cluster.rename({"doc_id": "doc_a", "predicted_cluster": "a"}), on="doc_a")
        .join(cluster.rename({"doc_id": "doc_b", "predicted_cluster": "b"}), on="doc_b")
        .with_columns(same=pl.col("a") == pl.col("b"))
    )
    at50 = joined.filter(pl.col("jaccard") >= 0.5)
    at80 = joined.filter(pl.col("jaccard") >= 0.8)
    predicted_pairs = pair_counts(labelled["doc_id"], labelled["predicted_cluster"])
    return ReutersResult(
        recall_j50=int(at50["same"].sum()) / at50.height if at50.height else 1.0,
        recall_j80=int(at80["same"].sum()) / at80.height if at80.height else 1.0,
        pairs_j50=at50.height,
        pairs_j80=at80.height,
        pairs_skipped=silver.height - joined.height,
        n_docs=corpus.height,
        predicted_pairs=predicted_pairs.predicted_pairs,
        seconds=seconds,
    )


def load_seeds(seeds_dir: Path = SEEDS_DIR) -> pl.DataFrame:
    """Read the seed articles, one .txt each, ``doc_id`` the file name."""
    paths = sorted(seeds_dir.glob("*.txt"))
    return pl.DataFrame(
        {"doc_id": [p.stem for p in paths], "text": [p.read_text("utf-8") for p in paths]},
        schema={"doc_id": pl.String, "text": pl.String},
    )


def evaluate_seeds(seeds: pl.DataFrame, config: Any, runner: Runner) -> int:
    """Return the number of seed pairs put in one cluster (must be 0)."""
    if seeds.height < 2:
        return 0
    labelled = predicted_labels(seeds, runner(seeds, config))
    return pair_counts(labelled["doc_id"], labelled["predicted_cluster"]).predicted_pairs


# ---------------------------------------------------------------------------------------------
# Recording and the gate


def environment() -> dict[str, Any]:
    """Return the git sha, package versions and machine, as recorded with every result."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        sha, dirty = "unknown", False
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in ("polars", "numpy", "datasketch", "rapidfuzz", "dedupe-corpus"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    try:
        import dedupe

        versions["dedupe"] = dedupe.__version__
    except ImportError:
        versions["dedupe"] = None
    return {
        "git_sha": sha,
        "git_dirty": dirty,
        "versions": versions,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def gated_metrics(
    synthetic: SyntheticResult, reuters: ReutersResult | None, seed_pairs: int | None
) -> dict[str, float]:
    """Return the numbers the baseline gates, by name."""
    metrics: dict[str, float] = {
        "synthetic_f1": synthetic.f1,
        "synthetic_ari": synthetic.ari,
        "hard_negative_pairs_merged": sum(m for m, _ in synthetic.hard_negatives.values()),
    }
    if reuters is not None:
        metrics["reuters_recall_j50"] = reuters.recall_j50
        metrics["reuters_recall_j80"] = reuters.recall_j80
    if seed_pairs is not None:
        metrics["seed_pairs_merged"] = seed_pairs
    return metrics


def mix_metrics(mix: SyntheticResult) -> dict[str, float]:
    """Return the gated numbers of the harder mix (briefs, corrections, noise, templates)."""
    found = sum(mix.recall_by_edit.get(edit, [0, 0])[0] for edit in BRIEF_EDITS)
    total = sum(mix.recall_by_edit.get(edit, [0, 0])[1] for edit in BRIEF_EDITS)
    return {
        "mix_precision": mix.precision,
        "mix_f1": mix.f1,
        "mix_brief_recall": found / total if total else 1.0,
        "templated_pairs_merged": sum(m for m, _ in mix.templated.values()),
    }


def check_against_baseline(
    metrics: dict[str, float],
    corpus_sha: str,
    baseline: dict[str, Any],
    mix_sha: str | None = None,
) -> list[str]:
    """Return one message per regression against the baseline (empty: the gate passes)."""
    problems = []
    if baseline.get("corpus_sha256") not in (None, corpus_sha):
        problems.append(
            f"generated corpus sha256 {corpus_sha[:12]} differs from the pinned "
            f"{baseline['corpus_sha256'][:12]}: the generator changed; rerun with --update"
        )
    if mix_sha is not None and baseline.get("mix_corpus_sha256") not in (None, mix_sha):
        problems.append(
            f"harder mix sha256 {mix_sha[:12]} differs from the pinned "
            f"{baseline['mix_corpus_sha256'][:12]}: the generator changed; rerun with --update"
        )
    if metrics.get("seed_pairs_merged", 0) > 0:
        problems.append(
            f"{metrics['seed_pairs_merged']:g} pairs of seed articles merged; different "
            "outlets' write-ups of one story must all be kept"
        )
    epsilon = float(baseline.get("epsilon", DEFAULT_EPSILON))
    for name, floor in baseline.get("floors", {}).items():
        if name not in metrics:
            problems.append(f"{name} was not measured (floor {floor}); do not skip it with --check")
        elif metrics[name] < floor - epsilon:
            problems.append(
                f"{name} = {metrics[name]:.4f} fell below its floor {floor} - {epsilon}"
            )
    for name, ceiling in baseline.get("ceilings", {}).items():
        if name not in metrics:
            problems.append(f"{name} was not measured (ceiling {ceiling})")
        elif metrics[name] > ceiling:
            problems.append(f"{name} = {metrics[name]:g} rose above its ceiling {ceiling}")
    return problems


def updated_baseline(
    metrics: dict[str, float],
    corpus_sha: str,
    generator: dict[str, Any],
    old: dict[str, Any] | None,
    *,
    allow_regression: bool,
    mix_sha: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Return the new baseline and the regressions that block it without ``allow_regression``.

    Floors are the measured values rounded down to 4 decimals; ceilings are the measured counts.
    """
    floors = {n: math.floor(metrics[n] * 10_000) / 10_000 for n in FLOOR_METRICS if n in metrics}
    ceilings = {n: metrics[n] for n in CEILING_METRICS if n in metrics}
    refused = []
    if metrics.get("seed_pairs_merged", 0) > 0:
        refused.append(f"{metrics['seed_pairs_merged']:g} pairs of seed articles merged")
    if old is not None:
        for name, floor in old.get("floors", {}).items():
            if floors.get(name, -math.inf) < floor:
                refused.append(f"floor {name} would drop from {floor} to {floors.get(name)}")
        for name, ceiling in old.get("ceilings", {}).items():
            if ceilings.get(name, math.inf) > ceiling:
                refused.append(f"ceiling {name} would rise from {ceiling} to {ceilings.get(name)}")
    baseline = {
        "corpus_sha256": corpus_sha,
        "generator": generator,
        "epsilon": (old or {}).get("epsilon", DEFAULT_EPSILON),
        "floors": floors,
        "ceilings": ceilings,
    }
    if mix_sha is not None:
        baseline["mix_corpus_sha256"] = mix_sha
    return baseline, ([] if allow_regression else refused)


def write_results(results_dir: Path, payload: dict[str, Any]) -> Path:
    """Write one results JSON named by time and git sha; return its path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"quality-{stamp}-{payload['environment']['git_sha'][:8]}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Tables


def _share(pair: Sequence[int]) -> str:
    merged, total = pair
    return f"{merged}/{total}" + (f" ({merged / total:.3f})" if total else "")


def print_report(
    params: dict[str, Any],
    synthetic: SyntheticResult,
    reuters: ReutersResult | None,
    seed_pairs: int | None,
) -> None:
    """Print the measurements as a plain table."""
    rows: list[tuple[str, str]] = [
        ("near parameters", json.dumps(params, sort_keys=True)),
        ("synthetic docs / true clusters", f"{synthetic.n_docs} / {synthetic.true_clusters}"),
        ("predicted clusters", str(synthetic.predicted_clusters)),
        ("pair precision", f"{synthetic.precision:.4f}"),
        ("pair recall", f"{synthetic.recall:.4f}"),
        ("pair F1", f"{synthetic.f1:.4f}"),
        ("adjusted Rand index", f"{synthetic.ari:.4f}"),
    ]
    for kind, pair in synthetic.hard_negatives.items():
        rows.append((f"hard negatives merged: {kind} pairs", _share(pair)))
    for edit, pair in synthetic.recall_by_edit.items():
        rows.append((f"copies merged, edit {edit}", _share(pair)))
    if synthetic.missing_docs:
        rows.append(("documents missing from the output", str(synthetic.missing_docs)))
    rows.append(("synthetic run seconds", f"{synthetic.seconds:.1f}"))
    if reuters is not None:
        rows += [
            ("Reuters docs (non-empty bodies)", str(reuters.n_docs)),
            ("Reuters silver recall J>=0.5", f"{reuters.recall_j50:.4f} of {reuters.pairs_j50}"),
            ("Reuters silver recall J>=0.8", f"{reuters.recall_j80:.4f} of {reuters.pairs_j80}"),
            ("Reuters silver pairs skipped (empty body)", str(reuters.pairs_skipped)),
            ("Reuters predicted pairs", str(reuters.predicted_pairs)),
            ("Reuters run seconds", f"{reuters.seconds:.1f}"),
        ]
    if seed_pairs is not None:
        verdict = "ok" if seed_pairs == 0 else "FAIL"
        rows.append(("seed pairs merged (must be 0)", f"{seed_pairs} {verdict}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def print_mix_report(mix: SyntheticResult) -> None:
    """Print the harder mix's scores: pairs, contained copies, corrections, noise, templates."""
    rows: list[tuple[str, str]] = [
        ("harder mix docs / true clusters", f"{mix.n_docs} / {mix.true_clusters}"),
        ("mix pair precision", f"{mix.precision:.4f}"),
        ("mix pair recall", f"{mix.recall:.4f}"),
        ("mix pair F1", f"{mix.f1:.4f}"),
    ]
    for kind, pair in mix.hard_negatives.items():
        rows.append((f"mix hard negatives merged: {kind} pairs", _share(pair)))
    for kind, pair in mix.templated.items():
        rows.append((f"mix templated reports merged: {kind} pairs", _share(pair)))
    for edit, pair in mix.recall_by_edit.items():
        rows.append((f"mix copies merged, edit {edit}", _share(pair)))
    rows.append(("mix run seconds", f"{mix.seconds:.1f}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


SWEEP_COLUMNS = (
    "threshold",
    "ngram",
    "contain",
    "perm",
    "P",
    "R",
    "F1",
    "ARI",
    "neg",
    "R@.5",
    "R@.8",
    "seeds",
    "secs",
)


def _sweep_row(
    params: NearParams,
    synthetic: SyntheticResult,
    reuters: ReutersResult | None,
    seed_pairs: int | None,
) -> list[str]:
    return [
        f"{params.threshold}",
        f"{params.ngram_size}",
        f"{params.containment_threshold}",
        f"{params.num_perm}",
        f"{synthetic.precision:.4f}",
        f"{synthetic.recall:.4f}",
        f"{synthetic.f1:.4f}",
        f"{synthetic.ari:.4f}",
        f"{sum(m for m, _ in synthetic.hard_negatives.values())}",
        f"{reuters.recall_j50:.4f}" if reuters else "-",
        f"{reuters.recall_j80:.4f}" if reuters else "-",
        f"{seed_pairs}" if seed_pairs is not None else "-",
        f"{synthetic.seconds + (reuters.seconds if reuters else 0):.1f}",
    ]


def sweep_grid(args: argparse.Namespace) -> Iterable[NearParams]:
    """Yield every combination of the sweep's axes."""
    for threshold, ngram, containment, num_perm in itertools.product(
        args.sweep_thresholds, args.sweep_ngrams, args.sweep_containment, args.sweep_num_perm
    ):
        yield NearParams(
            threshold=threshold,
            ngram_size=ngram,
            containment_threshold=containment,
            num_perm=num_perm,
        )


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality",
        description="Measure near-duplicate quality on a labelled synthetic corpus, Reuters "
        "silver pairs and the seed articles.",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR)
    parser.add_argument("--n-originals", type=int, default=None, help="default: 2000")
    parser.add_argument("--seed", type=int, default=None, help="generator seed; default 0")
    near = parser.add_argument_group("near-duplicate parameters (default: the library's)")
    near.add_argument("--threshold", type=float)
    near.add_argument("--ngram-size", type=int)
    near.add_argument("--num-perm", type=int)
    near.add_argument("--containment-threshold", type=float)
    near.add_argument("--bands", type=int)
    near.add_argument("--rows", type=int)
    parser.add_argument("--skip-reuters", action="store_true", help="skip the Reuters run")
    parser.add_argument("--sweep", action="store_true", help="run the parameter grid")
    parser.add_argument("--sweep-thresholds", type=float, nargs="+", default=SWEEP_THRESHOLDS)
    parser.add_argument("--sweep-ngrams", type=int, nargs="+", default=SWEEP_NGRAMS)
    parser.add_argument("--sweep-containment", type=float, nargs="+", default=SWEEP_CONTAINMENT)
    parser.add_argument("--sweep-num-perm", type=int, nargs="+", default=SWEEP_NUM_PERM)
    gate = parser.add_mutually_exclusive_group()
    gate.add_argument("--check", action="store_true", help="exit 1 on a regression")
    gate.add_argument("--update", action="store_true", help="rewrite the baseline")
    parser.add_argument("--allow-regression", action="store_true", help="let --update lower")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.sweep and (args.check or args.update):
        parser.error("--sweep cannot be combined with --check or --update")
    return args


def main(argv: Sequence[str] | None = None, runner: Runner | None = None) -> int:
    """Run the measurements, print them, record them and apply the gate; return the exit code."""
    args = parse_args(argv)
    run = runner or default_runner()
    baseline = json.loads(args.baseline.read_text("utf-8")) if args.baseline.exists() else None
    pinned = (baseline or {}).get("generator", {}) if args.check else {}
    generator = {
        "n_originals": args.n_originals or pinned.get("n_originals", DEFAULT_N_ORIGINALS),
        "seed": args.seed if args.seed is not None else pinned.get("seed", 0),
    }
    articles = load_base_articles(args.data_dir)
    frame = generate_corpus(articles, SynthConfig(**generator))
    corpus_sha = frame_sha256(frame)
    print(f"synthetic corpus: {frame.height} docs, sha256 {corpus_sha}", file=sys.stderr)
    mix_frame = generate_corpus(articles, SynthConfig(**generator, **HARD_MIX))
    mix_sha = frame_sha256(mix_frame)
    print(f"harder mix: {mix_frame.height} docs, sha256 {mix_sha}", file=sys.stderr)
    reuters_corpus = silver = None
    if not args.skip_reuters:
        reuters_corpus = load_reuters_corpus(args.data_dir)
        silver = load_silver_pairs(args.data_dir)
    seeds = load_seeds(args.seeds_dir)

    def measure(
        params: NearParams,
    ) -> tuple[SyntheticResult, ReutersResult | None, int | None]:
        config = build_config(params)
        synthetic = evaluate_synthetic(frame, config, run)
        reuters = None
        if reuters_corpus is not None and silver is not None:
            reuters = evaluate_reuters(reuters_corpus, silver, config, run)
        seed_pairs = evaluate_seeds(seeds, config, run) if seeds.height else None
        return synthetic, reuters, seed_pairs

    payload: dict[str, Any] = {
        "environment": environment(),
        "generator": {**generator, "n_docs": frame.height, "corpus_sha256": corpus_sha},
    }
    if args.sweep:
        print("  ".join(f"{c:>9}" for c in SWEEP_COLUMNS), flush=True)
        payload["sweep"] = []
        for params in sweep_grid(args):
            synthetic, reuters, seed_pairs = measure(params)
            row = _sweep_row(params, synthetic, reuters, seed_pairs)
            print("  ".join(f"{c:>9}" for c in row), flush=True)
            payload["sweep"].append(
                {
                    "params": params.overrides(),
                    "synthetic": dataclasses.asdict(synthetic),
                    "reuters": dataclasses.asdict(reuters) if reuters else None,
                    "seed_pairs_merged": seed_pairs,
                }
            )
        print(f"results: {write_results(args.results_dir, payload)}", file=sys.stderr)
        return 0

    params = NearParams(
        threshold=args.threshold,
        ngram_size=args.ngram_size,
        num_perm=args.num_perm,
        containment_threshold=args.containment_threshold,
        bands=args.bands,
        rows=args.rows,
    )
    config = build_config(params)
    synthetic, reuters, seed_pairs = measure(params)
    mix = evaluate_synthetic(mix_frame, config, run)
    print_report(_near_section(config), synthetic, reuters, seed_pairs)
    print_mix_report(mix)
    metrics = gated_metrics(synthetic, reuters, seed_pairs) | mix_metrics(mix)
    payload.update(
        params=_near_section(config),
        synthetic=dataclasses.asdict(synthetic),
        mix={**dataclasses.asdict(mix), "corpus_sha256": mix_sha},
        reuters=dataclasses.asdict(reuters) if reuters else None,
        seed_pairs_merged=seed_pairs,
        metrics=metrics,
    )
    print(f"results: {write_results(args.results_dir, payload)}", file=sys.stderr)
    if params.overrides() and (args.check or args.update):
        print("note: the gate is meant for the library defaults; overrides given", file=sys.stderr)
    if args.check:
        if baseline is None:
            print(f"no baseline at {args.baseline}; create it with --update", file=sys.stderr)
            return 1
        problems = check_against_baseline(metrics, corpus_sha, baseline, mix_sha)
        for problem in problems:
            print(f"REGRESSION: {problem}", file=sys.stderr)
        print("quality gate: " + ("FAILED" if problems else "passed"), file=sys.stderr)
        return 1 if problems else 0
    if args.update:
        new, refused = updated_baseline(
            metrics,
            corpus_sha,
            generator,
            baseline,
            allow_regression=args.allow_regression,
            mix_sha=mix_sha,
        )
        if refused:
            for reason in refused:
                print(f"refused: {reason}", file=sys.stderr)
            print("baseline not written; pass --allow-regression to lower it", file=sys.stderr)
            return 1
        args.baseline.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n", "utf-8")
        print(f"baseline written to {args.baseline}", file=sys.stderr)
    return 0


def _near_section(config: Any) -> dict[str, Any]:
    try:
        return dict(config.to_dict()["near"])
    except (AttributeError, KeyError):
        return {}


if __name__ == "__main__":
    raise SystemExit(main())
