"""The Spark engine gives the local engine's answers: in local[2] mode, and on a standalone cluster.

The cluster test starts a master and two workers (separate JVMs) on 127.0.0.1 and submits the
README's ``spark-submit`` command to it; it took six minutes on two cores shared with other jobs.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
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


def _fake_package(folder: Path, init: str) -> Path:
    """A folder holding a ``dedupe`` package whose ``__init__`` is ``init``."""
    (folder / "dedupe").mkdir(parents=True)
    (folder / "dedupe" / "__init__.py").write_text(init, encoding="utf-8")
    return folder


def _shim(folder: Path, body: str) -> Path:
    """An executable ``python3`` in ``folder`` that runs ``body`` (a shell script)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "python3"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@_spark_test
@pytest.mark.parametrize(
    ("init", "expected"),
    [
        ("raise ModuleNotFoundError(\"No module named 'dedupe'\")", "cannot import dedupe"),
        ("__version__ = '0.0.1'", "has dedupe 0.0.1"),
    ],
    ids=["missing", "other-version"],
)
def test_workers_without_this_dedupe_fail_with_one_line(  # type: ignore[no-untyped-def]
    spark, tmp_path: Path, init: str, expected: str
) -> None:
    from dedupe.engines.spark.session import check_workers
    from dedupe.errors import SparkUnavailableError

    fake = _fake_package(tmp_path / "fake", init)
    # Away from the checkout: ``python -m`` puts the working folder first on ``sys.path``.
    body = f'cd "{tmp_path}" && PYTHONPATH="{fake}:$PYTHONPATH" exec {sys.executable} "$@"'
    python = _shim(tmp_path / "bin", body)
    context = spark.sparkContext
    before = context.pythonExec
    context.pythonExec = str(python)
    try:
        with pytest.raises(SparkUnavailableError) as caught:
            check_workers(spark, str(python))
    finally:
        context.pythonExec = before
    message = str(caught.value)
    assert expected in message
    assert "--archives" in message
    assert "on every executor" in message
    assert len(message.splitlines()) == 1


@_spark_test
def test_cli_uses_the_driver_python_quietly(tmp_path: Path) -> None:
    """Workers run the driver's interpreter, not ``python3`` from the PATH; no JVM noise."""
    shims = tmp_path / "bin"
    _shim(shims, 'echo "the python3 of the PATH, not the driver\'s" >&2; exit 1')
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "SPARK_HOME")}
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "dedupe", "run", str(ROOT / "samples/syndicated.jsonl")]
    result = subprocess.run(
        [*command, "-o", str(out), "--engine", "spark", "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"dedupe run -> {out}: 10 documents in")
    spark_info = json.loads((out / "report.json").read_text())["details"]["spark"]
    assert spark_info["worker_python"] == sys.executable
    assert spark_info["master"].startswith("local")
    assert spark_info["pyspark"]
    assert spark_info["java"]
    assert spark_info["parallelism"] >= 1


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@_spark_test
@pytest.mark.parametrize("stem", ["corpus", "dropped", "removed_lines"])
def test_outputs_open_in_every_reader(outputs, stem: str) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd
    import pyarrow.parquet as pq

    _, _, local, spark = outputs
    folder = spark / f"{stem}.parquet"
    assert all(name.startswith("part-") and name.endswith(".parquet") for name in _parts(folder))
    assert not [p for p in spark.rglob("*") if p.name.endswith(".crc") or p.name == "_SUCCESS"]
    frame = pl.read_parquet(folder)
    assert frame.schema == pl.read_parquet(local / f"{stem}.parquet").schema
    assert pl.scan_parquet(folder).collect().equals(frame)
    assert pq.read_table(folder).num_rows == frame.height
    assert len(pd.read_parquet(folder)) == frame.height


@_spark_test
def test_outputs_open_in_duckdb(outputs) -> None:  # type: ignore[no-untyped-def]
    duckdb = pytest.importorskip("duckdb")
    _, _, local, spark = outputs
    for stem in ("corpus", "dropped", "removed_lines"):
        ours = duckdb.sql(f"select * from read_parquet('{spark}/{stem}.parquet/*')")
        theirs = duckdb.sql(f"select * from read_parquet('{local}/{stem}.parquet')")
        assert ours.types == theirs.types, stem
        assert len(ours.fetchall()) == len(theirs.fetchall()), stem


def _new_records(local_out: Path) -> Path:
    """New documents for --against: copies of published ones (exact, edited), and new ones."""
    published = pl.read_parquet(local_out / "corpus.parquet").sort("doc_id")
    rng = random.Random(11)
    records = []
    for n, row in enumerate(published.head(40).iter_rows(named=True)):
        text = row["text"] if n % 2 == 0 else _copy(row["text"], rng)
        records.append({"id": f"new-copy-{n:03d}", "source": "late.example", "text": text})
    for n in range(15):
        words = [rng.choice(["ferry", "budget", "orchard", "tunnel", "choir"]) for _ in range(50)]
        records.append(
            {"id": f"new-brief-{n:03d}", "source": "late.example", "text": " ".join(words)}
        )
    records.append(dict(records[-1], id="new-brief-again"))
    path = local_out.parent / "new.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@_spark_test
def test_against_gives_the_local_answers(outputs, spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dedupe.engines.spark.engine import run as run_spark

    _, _, local_out, spark_out = outputs
    new = _new_records(local_out)
    expected = dedupe.run([new], output=tmp_path / "local", against=local_out)
    assert set(expected.dropped.get_column("reason")) >= {"exact_duplicate", "near_duplicate"}
    for name, earlier in (("local", local_out), ("spark", spark_out)):
        found = run_spark(
            spark, [str(new)], output=str(tmp_path / f"spark-{name}"), against=earlier
        )
        assert found.report.dropped_by_reason == expected.report.dropped_by_reason, name
        ours = _read(tmp_path / f"spark-{name}", "dropped").sort("doc_id")
        assert ours.equals(expected.dropped.sort("doc_id")), name
        corpus = _read(tmp_path / f"spark-{name}", "corpus")
        assert corpus.equals(pl.read_parquet(tmp_path / "local" / "corpus.parquet")), name
    # A Spark output's state is the local engine's: the local engine runs against it.
    again = dedupe.run([new], against=spark_out)
    assert again.dropped.sort("doc_id").equals(expected.dropped.sort("doc_id"))


@_spark_test
def test_standalone_cluster_runs_the_readme_command(  # type: ignore[no-untyped-def]
    outputs, corpus_dir: Path, tmp_path: Path
) -> None:
    from benchmarks.spark import readme_submit_command, standalone_cluster

    _, _, local, _ = outputs
    inputs = [
        str(ROOT / "samples/news"),
        str(ROOT / "samples/syndicated.jsonl"),
        str(corpus_dir / "copies.jsonl"),
        str(corpus_dir / "more.parquet"),
    ]
    out = tmp_path / "cluster-out"
    started = time.monotonic()
    with standalone_cluster(tmp_path / "cluster", workers=2, memory="1g") as cluster:
        env = cluster.env()
        env["PYTHONPATH"] = str(ROOT)
        command = readme_submit_command(cluster.master_url, inputs, str(out))
        result = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=1200,
            check=False,
        )
        groups = set(cluster.pids())
    seconds = time.monotonic() - started
    # Every process of the cluster is gone: the master, the workers and their executors.
    assert cluster.alive(groups) == []
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["details"]["spark"]["master"] == cluster.master_url
    assert report["details"]["spark"]["parallelism"] >= 2
    for stem in ("corpus", "removed_lines"):
        assert _read(out, stem).equals(_read(local, stem)), stem
    assert (
        _read(out, "dropped")
        .sort("doc_id", "detail")
        .equals(_read(local, "dropped").sort("doc_id", "detail"))
    )
    theirs = json.loads((local / "report.json").read_text())
    assert report["counts"] == theirs["counts"]
    assert seconds < 900


@_spark_test
def test_progress_follows_the_tasks_of_each_pass(spark) -> None:  # type: ignore[no-untyped-def]
    from dedupe.engines.spark.progress import JobProgress

    calls: list[tuple[str, int, int | None]] = []

    def slow(rows):  # type: ignore[no-untyped-def]
        time.sleep(1.5)
        return rows

    with JobProgress(spark, lambda *call: calls.append(call)) as progress:
        progress.begin("first")
        spark.sparkContext.parallelize(range(4), 4).mapPartitions(slow).count()
        progress.begin("second")
        spark.sparkContext.parallelize(range(2), 2).mapPartitions(slow).count()
    passes = {name: (done, total) for name, done, total in calls}
    assert passes == {"first": (4, 4), "second": (2, 2)}
    assert all(done <= (total or 0) for _, done, total in calls)
