import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dedupe.cli import app

runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


def test_run_writes_output_and_prints_summary_on_stderr(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(samples_dir / "news"), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "documents in" in result.stderr
    assert result.stdout == ""
    assert (out / "corpus.parquet").exists()


def test_run_json_prints_report_on_stdout(samples_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", str(samples_dir / "news"), "-o", str(tmp_path / "o"), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["documents_in"] == 5
    assert result.stderr.startswith("dedupe run -> ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_reads_jsonl_from_stdin(samples_dir: Path, tmp_path: Path) -> None:
    data = (samples_dir / "syndicated.jsonl").read_text(encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "-", "-o", str(out), "--format", "jsonl", "-q"], input=data)
    assert result.exit_code == 0, result.output
    kept = pl.read_ndjson(out / "corpus.jsonl")
    dropped = pl.read_parquet(out / "dropped.parquet")
    assert kept.height + dropped.height == 10


def test_run_options_reach_the_report(samples_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            str(samples_dir / "syndicated.jsonl"),
            "-o",
            str(tmp_path / "o"),
            "--json",
            "--threshold",
            "0.6",
            "--num-perm",
            "64",
            "--bands",
            "16",
            "--rows",
            "4",
            "--keep",
            "source-priority",
            "--source-priority",
            "wire.example",
            "--drop-pattern",
            "^Harbor",
            "--no-verify",
        ],
    )
    assert result.exit_code == 0, result.output
    parameters = json.loads(result.stdout)["parameters"]
    assert (
        parameters["near"]
        | {"threshold": 0.6, "num_perm": 64, "bands": 16, "rows": 4, "verify": False}
        == parameters["near"]
    )
    assert parameters["keep"]["source_priority"] == ["wire.example"]


def test_run_config_file_is_read_and_flags_win(samples_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "dedupe.toml"
    config.write_text("[near]\nthreshold = 0.9\nnum_perm = 32\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "run",
            str(samples_dir / "news"),
            "-o",
            str(tmp_path / "o"),
            "--json",
            "-q",
            "--config",
            str(config),
            "--threshold",
            "0.7",
        ],
    )
    assert result.exit_code == 0, result.output
    near = json.loads(result.stdout)["parameters"]["near"]
    assert (near["threshold"], near["num_perm"]) == (0.7, 32)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["run", str(tmp / "missing.jsonl"), "-o", str(tmp / "o")], "does not exist"),
        (lambda tmp: ["run", str(tmp / "notes.docx"), "-o", str(tmp / "o")], "unknown extension"),
        (lambda tmp: ["run", str(tmp / "body.jsonl"), "-o", str(tmp / "o")], "--text-column body"),
        (lambda tmp: ["run", str(tmp / "body.jsonl"), "-o", str(tmp / "full")], "--force"),
        (
            lambda tmp: [
                "run",
                str(tmp / "body.jsonl"),
                "-o",
                str(tmp / "o"),
                "--config",
                str(tmp / "bad.toml"),
            ],
            "unknown section",
        ),
        (
            lambda tmp: [
                "run",
                str(tmp / "body.jsonl"),
                "-o",
                str(tmp / "o"),
                "--drop-pattern",
                "(a",
            ],
            "not a valid regex",
        ),
    ],
    ids=["missing", "extension", "text-column", "not-empty", "bad-config", "bad-regex"],
)
def test_run_user_errors_exit_1_with_one_line(
    tmp_path: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / "body.jsonl").write_text('{"id": "1", "body": "text"}\n', encoding="utf-8")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[nope]\n", encoding="utf-8")
    result = runner.invoke(app, make_args(tmp_path))
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_bad_option_value_is_a_usage_error(samples_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", str(samples_dir / "news"), "-o", str(tmp_path / "o"), "--keep", "newest"]
    )
    assert result.exit_code == 2


def test_clean_dry_run_prints_rules_and_writes_nothing(samples_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["clean", str(samples_dir / "news"), "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert "builtin:" in result.stdout
    assert "repeated_caption" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_clean_without_output_or_dry_run_is_a_usage_error(samples_dir: Path) -> None:
    result = runner.invoke(app, ["clean", str(samples_dir / "news")])
    assert result.exit_code == 2


def test_clean_writes_cleaned_corpus_without_dedup(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = runner.invoke(app, ["clean", str(samples_dir / "syndicated.jsonl"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["dropped_by_reason"].get("near_duplicate") is None
    assert report["counts"]["lines_removed"] > 0


def test_dups_prints_clusters_and_writes_table(samples_dir: Path, tmp_path: Path) -> None:
    table = tmp_path / "clusters.csv"
    result = runner.invoke(app, ["dups", str(samples_dir / "syndicated.jsonl"), "-o", str(table)])
    assert result.exit_code == 0, result.output
    assert "canonical" in result.stdout
    clusters = pl.read_csv(table)
    assert {"cluster_id", "doc_id", "canonical", "reason", "similarity"} <= set(clusters.columns)
    assert clusters.filter(pl.col("canonical")).height >= 2


def test_dups_rejects_unknown_table_extension(samples_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["dups", str(samples_dir / "news"), "-o", str(tmp_path / "x.xls")])
    assert result.exit_code == 2


def test_version_flag() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "dedupe" in result.stdout


def test_import_dedupe_does_not_load_the_cli_stack() -> None:
    code = "import sys, dedupe; print(sorted({'typer', 'rich'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dups_shows_titles_urls_and_how_many_clusters(samples_dir: Path) -> None:
    result = runner.invoke(app, ["dups", str(samples_dir / "syndicated.jsonl"), "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "showing 1 of 2 clusters" in result.stdout
    assert "<https://post.example/harbor>" in result.stdout
    assert "near_duplicate of coast-harbor, jaccard 0.870" in result.stdout
    assert "Flood gates for the old port" in result.stdout


def test_dups_json_prints_every_cluster(samples_dir: Path) -> None:
    result = runner.invoke(app, ["dups", str(samples_dir / "syndicated.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)
    assert [c["size"] for c in clusters] == [5, 2]
    twin = next(m for m in clusters[0]["members"] if m["doc_id"] == "wire-harbor")
    assert (twin["matched"], twin["measure"]) == ("coast-harbor", "exact")
    assert twin["where"] == "https://wire.example/harbor-barrier"


def test_dups_thresholds_prints_the_table(samples_dir: Path) -> None:
    result = runner.invoke(app, ["dups", str(samples_dir / "syndicated.jsonl"), "--thresholds"])
    assert result.exit_code == 0, result.output
    assert "0.50 (this run)" in result.stdout
    assert "containment threshold" in result.stdout


def test_run_sample_runs_on_a_seeded_sample(samples_dir: Path, tmp_path: Path) -> None:
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(out), "--sample", "4"]
        result = runner.invoke(app, [*args, "--json", "-q"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["counts"]["documents_in"] == 4
        outs.append((out / "corpus.parquet").read_bytes())
    assert outs[0] == outs[1]


def test_run_no_dropped_text_leaves_text_out(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(out), "--no-dropped-text"]
    result = runner.invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output
    dropped = pl.read_parquet(out / "dropped.parquet")
    assert "text" not in dropped.columns
    assert "url" in dropped.columns
    assert (out / "report.html").exists()
