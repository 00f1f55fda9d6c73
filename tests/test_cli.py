import json
import shutil
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


def test_clean_dry_run_prints_rules_and_writes_nothing(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = tmp_path / "news"
    shutil.copytree(samples_dir / "news", news)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["clean", "news", "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert "builtin:" in result.stdout
    assert "repeated_caption" in result.stdout
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


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


def test_run_config_file_lists_are_used_and_reported(samples_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "dedupe.toml"
    config.write_text('[clean]\ndrop_pattern = ["^Harbor"]\n', encoding="utf-8")
    args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--json", "-q", "--config", str(config)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["parameters"]["clean"]["drop_pattern"] == ["^Harbor"]
    assert report["counts"]["lines_removed_by_rule"]["user:^Harbor"] > 0


def write_toml(tmp: Path, text: str) -> str:
    path = tmp / "c.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["run", "IN", "-o", str(tmp / "o"), "--config", str(tmp)], "is a folder"),
        (
            lambda tmp: ["run", "IN", "-o", str(tmp / "o"), "--config",
                         write_toml(tmp, "[input]\nbatch_size = 2.5\n")],
            "[input] batch_size must be an integer, got 2.5",
        ),
        (
            lambda tmp: ["run", "IN", "-o", str(tmp / "o"), "--config",
                         write_toml(tmp, "[near]\nnum_perm = 64.5\n")],
            "[near] num_perm must be an integer, got 64.5",
        ),
        (
            lambda tmp: ["run", "IN", "-o", str(tmp / "o"), "--config",
                         write_toml(tmp, "[near]\nseed = -1\n")],
            "seed must be between 0 and 2**32 - 1",
        ),
        (
            lambda tmp: ["run", "IN", "-o", str(tmp / "o"), "--id-column", "text"],
            "id_column and text_column are both 'text'",
        ),
        (lambda tmp: ["dups", "IN", "-o", str(tmp / "nope" / "x.parquet")], "No such file"),
    ],
    ids=["config-folder", "float-batch-size", "float-num-perm", "negative-seed", "id-is-text",
         "dups-missing-folder"],
)  # fmt: skip
def test_config_and_option_mistakes_are_one_line(
    samples_dir: Path, tmp_path: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    args = [str(samples_dir / "syndicated.jsonl") if a == "IN" else a for a in make_args(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "None" not in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra",
    [["--text-column", "id"], ["--drop-pattern", r"^\p{Lu}+$"]],
    ids=["text-column-id", "unicode-class-pattern"],
)
def test_run_accepts_options_the_engine_supports(
    samples_dir: Path, tmp_path: Path, extra: list[str]
) -> None:
    args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(tmp_path / "o"), "-q"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output


def test_run_counts_unsupported_folder_files_in_report_and_summary(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The harbor council approved a flood barrier.", encoding="utf-8")
    (folder / "b.pdf").write_bytes(b"%PDF")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(folder), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "files not read 1 (.pdf 1)" in result.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["details"]["read"]["unsupported_files"] == {".pdf": 1}


def test_run_reads_html_pages_and_an_html_column(tmp_path: Path) -> None:
    page = "<html><body><nav>Home | World</nav><h1>News</h1><p>{}</p><script>x()</script>"
    stories = [
        "The council of the harbor city voted on Tuesday to fund a movable flood barrier at the "
        "mouth of the river, after a storm season that flooded the old town three times.",
        "Growers in the valley expect the smallest apple harvest in a decade this autumn, after "
        "a late frost in April killed most of the blossom on the higher orchards.",
    ]
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.html").write_text(page.format(stories[0]), "utf-8")
    records = tmp_path / "pages.jsonl"
    line = json.dumps({"id": "b", "html": page.format(stories[1])})
    records.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "o"
    args = ["run", str(folder), str(records), "-o", str(out), "--format", "jsonl", "-q"]
    result = runner.invoke(app, [*args, "--html-column", "html", "--mode", "page"])
    assert result.exit_code == 0, result.output
    texts = pl.read_ndjson(out / "corpus.jsonl").get_column("text").to_list()
    assert len(texts) == 2
    for text, story in zip(texts, stories, strict=True):
        assert story in text.splitlines()
        assert "<" not in text
        assert "x()" not in text


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
