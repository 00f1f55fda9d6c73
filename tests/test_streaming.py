"""Streaming, incremental runs and interrupted runs: issue 5's guarantees."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe import InputConfig, PipelineConfig, PipelineResult, run
from dedupe.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parent.parent
SYNDICATED = ROOT / "samples" / "syndicated.jsonl"


def outcome(result: PipelineResult) -> tuple[list[tuple[str, str]], list[tuple], list[tuple]]:
    corpus = result.corpus.select("doc_id", "text").sort("doc_id").rows()
    dropped = result.dropped.sort("doc_id").rows()
    removed = result.removed_lines.sort("doc_id", "line_no").rows()
    return corpus, dropped, removed


def partition(result: PipelineResult) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {d: {d} for d in result.corpus["doc_id"]}
    for doc_id, target in zip(
        result.dropped["doc_id"], result.dropped["duplicate_of"], strict=True
    ):
        groups.setdefault(target or doc_id, {target or doc_id}).add(doc_id)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("batch_size", [1, 3, 7])
def test_run_in_batches_equals_one_batch(batch_size: int) -> None:
    whole = run([SYNDICATED])
    batched = run([SYNDICATED], PipelineConfig(input=InputConfig(batch_size=batch_size)))
    assert outcome(batched) == outcome(whole)


@pytest.mark.parametrize("workers", [1, 3])
def test_workers_never_change_the_result(workers: int) -> None:
    config = PipelineConfig(input=InputConfig(batch_size=2, workers=workers))
    assert outcome(run([SYNDICATED], config)) == outcome(run([SYNDICATED]))


@settings(deadline=None, max_examples=15)
@given(st.integers(1, 10), st.permutations(range(10)))
def test_batching_never_changes_the_result(batch_size: int, order: list[int]) -> None:
    frame = pl.read_ndjson(SYNDICATED)[order]
    whole = run(frame)
    batched = run(frame, PipelineConfig(input=InputConfig(batch_size=batch_size)))
    assert outcome(batched) == outcome(whole)


def test_against_gives_the_same_clusters_as_one_run(tmp_path: Path) -> None:
    frame = pl.read_ndjson(SYNDICATED)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    frame[[0, 2, 5, 7, 9]].write_ndjson(first)
    frame[[1, 3, 4, 6, 8]].write_ndjson(second)
    whole = run([SYNDICATED])
    monday = run([first], output=tmp_path / "monday")
    tuesday = run([second], output=tmp_path / "tuesday", against=tmp_path / "monday")
    combined = PipelineResult(
        pl.concat([monday.corpus, tuesday.corpus], how="diagonal_relaxed").lazy(),
        pl.concat([monday.dropped, tuesday.dropped], how="diagonal_relaxed").lazy(),
        pl.LazyFrame(),
        pl.DataFrame(),
        tuesday.report,
    )
    assert partition(combined) == partition(whole)
    # A Tuesday copy of a Monday document names the Monday document.
    assert set(tuesday.dropped["duplicate_of"].drop_nulls()) <= set(monday.corpus["doc_id"]) | set(
        tuesday.corpus["doc_id"]
    )
    assert "wire-harbor" in set(tuesday.dropped["duplicate_of"])


def test_against_state_accumulates_for_the_next_run(tmp_path: Path) -> None:
    frame = pl.read_ndjson(SYNDICATED)
    first, second, third = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "c"))
    frame[[0, 7]].write_ndjson(first)
    frame[[8]].write_ndjson(second)
    frame[[1, 2]].write_ndjson(third)
    run([first], output=tmp_path / "one")
    run([second], output=tmp_path / "two", against=tmp_path / "one")
    three = run([third], output=tmp_path / "three", against=tmp_path / "two")
    assert three.corpus.height == 0
    assert set(three.dropped["duplicate_of"]) == {"wire-harbor"}


def test_against_refuses_other_settings(tmp_path: Path) -> None:
    run([SYNDICATED], output=tmp_path / "one")
    config = PipelineConfig.from_dict({"near": {"ngram_size": 4}})
    with pytest.raises(ConfigError, match="ngram_size=3 but this run uses 4"):
        run([SYNDICATED], config, output=tmp_path / "two", against=tmp_path / "one")


def test_against_needs_a_dedupe_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a dedupe output with near-duplicate state"):
        run([SYNDICATED], against=tmp_path)


def big_corpus(path: Path, documents: int) -> Path:
    base = pl.read_ndjson(SYNDICATED)
    rows = [
        {"id": f"d{i}", "text": f"Story {i}.\n" + base["text"][i % base.height] + f"\nEnd {i}."}
        for i in range(documents)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.slow
def test_sigkill_leaves_no_complete_looking_output_and_rerun_completes(tmp_path: Path) -> None:
    corpus = big_corpus(tmp_path / "big.jsonl", 4000)
    previous = tmp_path / "previous"
    run([SYNDICATED], output=previous)
    before = {p.name: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "dedupe",
        "run",
        str(corpus),
        "-o",
        str(out),
        "-q",
        "--batch-size",
        "200",
        "--against",
        str(previous),
    ]
    kills = 0
    for pause in (0.0, 0.3, 1.0):
        process = subprocess.Popen(command, cwd=ROOT)
        # Kill only once the run is under way: its workspace exists beside the output.
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if any(p.name.startswith(".out.") for p in tmp_path.iterdir()):
                break
            time.sleep(0.02)
        time.sleep(pause)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if process.returncode == -signal.SIGKILL:
            kills += 1
            assert not (out / "corpus.parquet").exists() or (out / "report.json").exists()
            assert not out.exists() or (out / "report.json").exists()
    # The corpus is large enough that every kill lands mid-run; a run that finished first
    # would prove nothing.
    assert kills == 3
    after = {p.name: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    assert after == before
    completed = subprocess.run([*command, "--force"], cwd=ROOT, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert (out / "report.json").exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []
