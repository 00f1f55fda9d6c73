"""The Spark engine gives the local engine's answers (Spark in local[2] mode)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import polars as pl
import pytest

import dedupe
from dedupe.engines.spark import spark_available

needs_spark = [
    pytest.mark.slow,
    pytest.mark.skipif(not spark_available(), reason="pyspark, pyarrow or pandas not installed"),
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime"),
]

ROOT = Path(__file__).resolve().parent.parent
CHROME = [
    ["Loading...", "Share this article", "\u00a0"],
    ["Menu | World | Business | Sport", "Subscribe to our newsletter"],
    ["Advertisement", "Most Popular"],
]
FOOTER = [["Related Articles", "Show More", "Back to top button"], ["\u00a9 2024 Example Media"]]


def _bodies() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples/news").glob("*.txt"))]
    syndicated = [
        json.loads(line)["text"]
        for line in (ROOT / "samples/syndicated.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return seeds + syndicated


def _copy(body: str, rng: random.Random) -> str:
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if rng.random() < 0.3 and len(paragraphs) > 3:
        paragraphs = paragraphs[: max(2, int(len(paragraphs) * rng.uniform(0.5, 0.8)))]
    if rng.random() < 0.4:
        words = " ".join(paragraphs).split(" ")
        for _ in range(max(1, len(words) // 80)):
            words[rng.randrange(len(words))] = rng.choice(["said", "the", "new", "city"])
        paragraphs = [" ".join(words)]
    return "\n".join([*rng.choice(CHROME), *paragraphs, *rng.choice(FOOTER)])


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred documents: syndicated copies of the seeds, unrelated briefs, bad records."""
    rng = random.Random(6)
    folder = tmp_path_factory.mktemp("spark-corpus")
    bodies = _bodies()
    records = []
    for n in range(240):
        body = bodies[n % len(bodies)]
        source = f"site{rng.randrange(12)}.example"
        records.append(
            {
                "id": f"copy-{n:03d}",
                "url": f"https://{source}/story/{n}",
                "source": source,
                "published": f"2024-03-{1 + n % 28:02d}T{n % 24:02d}:00:00",
                "text": _copy(body, rng),
            }
        )
    for n in range(60):
        words = [
            rng.choice(["harbor", "vote", "market", "storm", "bridge", "rail"]) for _ in range(40)
        ]
        records.append(
            {"id": f"brief-{n:03d}", "source": "briefs.example", "text": " ".join(words)}
        )
    lines = [json.dumps(r) for r in records]
    lines[5] = lines[0]  # a repeated id
    lines += [
        '{"id": "null-text", "text": null}',
        '{"id": "no-text", "source": "x.example"}',
        "this line is not JSON",
        '{"id": null, "text": "An id that is null."}',
        "",
        '{"id": "empty", "text": "Loading...\\nShow More"}',
    ]
    (folder / "copies.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pl.DataFrame(records[:20]).with_columns(
        pl.concat_str(pl.lit("pq-"), pl.col("id")).alias("id")
    ).write_parquet(folder / "more.parquet")
    return folder


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("dedupe-tests")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _read(folder: Path, stem: str) -> pl.DataFrame:
    path = folder / f"{stem}.parquet"
    return pl.read_parquet(path / "*.parquet" if path.is_dir() else path)


@pytest.fixture(scope="module")
def outputs(spark, corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from dedupe.engines.spark.engine import run as run_spark

    inputs = [
        str(ROOT / "samples/news"),
        str(ROOT / "samples/syndicated.jsonl"),
        str(corpus_dir / "copies.jsonl"),
        str(corpus_dir / "more.parquet"),
    ]
    out = tmp_path_factory.mktemp("out")
    local = dedupe.run(inputs, output=out / "local")
    result = run_spark(spark, inputs, output=str(out / "spark"))
    return local, result, out / "local", out / "spark"


def _spark_test(test):  # type: ignore[no-untyped-def]
    for mark in needs_spark:
        test = mark(test)
    return test


def test_missing_pyspark_prints_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    from typer.testing import CliRunner

    from dedupe.cli import app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    result = CliRunner().invoke(
        app, ["run", str(ROOT / "samples/news"), "-o", str(tmp_path / "o"), "--engine", "spark"]
    )
    assert result.exit_code == 1
    assert "pip install 'dedupe-corpus[spark]'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


@_spark_test
def test_same_kept_set_and_clusters(outputs) -> None:  # type: ignore[no-untyped-def]
    _, _, local, spark = outputs
    columns = ["doc_id", "text", "cluster_id", "cluster_size", "duplicate_ids"]
    ours = (
        _read(spark, "corpus").select(columns).with_columns(pl.col("cluster_size").cast(pl.Int64))
    )
    theirs = (
        _read(local, "corpus").select(columns).with_columns(pl.col("cluster_size").cast(pl.Int64))
    )
    assert ours.height > 50
    assert ours.equals(theirs)
    assert _read(spark, "corpus").columns == _read(local, "corpus").columns


@_spark_test
def test_same_ledger(outputs) -> None:  # type: ignore[no-untyped-def]
    _, _, local, spark = outputs
    ours, theirs = _read(spark, "dropped"), _read(local, "dropped")
    assert set(ours.get_column("reason")) >= {
        "invalid_record",
        "exact_duplicate",
        "near_duplicate",
        "empty_after_cleaning",
    }
    assert ours.sort("doc_id", "detail").equals(theirs.sort("doc_id", "detail"))
    assert _read(spark, "removed_lines").equals(_read(local, "removed_lines"))


@_spark_test
def test_same_report_counts(outputs) -> None:  # type: ignore[no-untyped-def]
    _, _, local, spark = outputs
    ours = json.loads((spark / "report.json").read_text())
    theirs = json.loads((local / "report.json").read_text())
    assert ours["counts"] == theirs["counts"]
    assert ours["details"]["clean"] == theirs["details"]["clean"]
    for key in ("bands", "rows", "candidate_pairs", "verified_pairs", "near_duplicates"):
        assert ours["details"]["near"][key] == theirs["details"]["near"][key], key
    assert (spark / "report.html").exists()


@_spark_test
def test_same_clusters_table(outputs) -> None:  # type: ignore[no-untyped-def]
    local, result, _, _ = outputs
    ours = pl.from_arrow(result.clusters.toArrow())
    assert isinstance(ours, pl.DataFrame)
    assert ours.height > 0
    assert ours.equals(local.clusters)


def test_missing_java_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dedupe.cli import app

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    if not spark_available():
        pytest.skip("without PySpark the install message comes first")
    result = CliRunner().invoke(
        app, ["run", str(ROOT / "samples/news"), "-o", str(tmp_path / "o"), "--engine", "spark"]
    )
    assert result.exit_code == 1
    assert "needs a Java runtime" in result.output
    assert len(result.output.strip().splitlines()) == 1
