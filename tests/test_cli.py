import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import Result
from typer.main import get_command
from typer.testing import CliRunner

import dedupe.duplicates.near
from dedupe.cli import app
from dedupe.io.locks import FolderLock

runner = CliRunner()
COMMANDS = sorted(get_command(app).commands)
# The commands that run the pipeline (explain reads an output folder and has no config).
PIPELINE_COMMANDS = [c for c in COMMANDS if c != "explain"]


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
    dropped = pl.read_ndjson(out / "dropped.jsonl")
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
                "--config",
                str(tmp / "typed.toml"),
            ],
            "[near] threshold must be a number",
        ),
        (
            lambda tmp: [
                "run",
                str(tmp / "dated.jsonl"),
                "-o",
                str(tmp / "o"),
                "--keep",
                "earliest",
                "--date-column",
                "nope",
            ],
            "--date-column nope is not a column",
        ),
        (
            lambda tmp: [
                "run",
                str(tmp / "dated.jsonl"),
                "-o",
                str(tmp / "o"),
                "--keep",
                "earliest",
            ],
            "needs a date column",
        ),
        (
            lambda tmp: [
                "run",
                str(tmp / "dated.jsonl"),
                "-o",
                str(tmp / "o"),
                "--source-column",
                "site",
            ],
            "--source-column site is not a column",
        ),
        (
            lambda tmp: [
                "run",
                str(tmp / "dated.jsonl"),
                "-o",
                str(tmp / "o"),
                "--keep",
                "source-priority",
                "--source-priority",
                "nope.com",
            ],
            "matches no document",
        ),
    ],
    ids=[
        "missing",
        "extension",
        "text-column",
        "not-empty",
        "bad-config",
        "config-type",
        "date-column",
        "no-date-column",
        "source-column",
        "source-priority",
    ],
)
def test_run_user_errors_exit_1_with_one_line(
    tmp_path: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / "body.jsonl").write_text('{"id": "1", "body": "text"}\n', encoding="utf-8")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    (tmp_path / "bad.toml").write_text("[nope]\n", encoding="utf-8")
    (tmp_path / "typed.toml").write_text('[near]\nthreshold = "high"\n', encoding="utf-8")
    (tmp_path / "dated.jsonl").write_text(
        '{"id": "1", "text": "A line of text.", "url": "https://a.example/1"}\n', encoding="utf-8"
    )
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
        (lambda tmp: ["dups", "IN", "-o", str(tmp / "nope" / "x.parquet")], "does not exist"),
    ],
    ids=["config-folder", "float-batch-size", "float-num-perm", "negative-seed",
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
    clusters = json.loads(result.stdout)["clusters"]
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


def wide_help(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", PIPELINE_COMMANDS)
def test_help_renders_square_brackets_as_written(command: str) -> None:
    text = wide_help(command)
    for section in ("[input]", "[clean]", "[exact]", "[near]", "[keep]", "[output]"):
        assert section in text
    if command == "run":
        assert "pip install 'dedupe-corpus[spark]'" in text


@pytest.mark.parametrize("command", PIPELINE_COMMANDS)
def test_help_groups_options_in_panels_with_readable_metavars(command: str) -> None:
    text = wide_help(command)
    for panel in ("Input", "Near duplicates", "Canonical copy", "Output", "Performance"):
        if command != "clean" or panel not in ("Near duplicates", "Canonical copy"):
            assert f"─ {panel} ─" in text, panel
    assert "<int>" not in text
    assert "<float>" not in text
    assert "<str>" not in text
    assert text.count("<bool>") == 1  # --help's own, drawn by Typer


def test_help_shows_the_config_defaults() -> None:
    text = wide_help("run")
    for shown in ("[default: 0.5]", "[default: 3]", "[default: 128]", "[default: longest]",
                  "[default: parquet]", "[default: 10,000]", "FLOAT", "INPUT"):  # fmt: skip
        assert shown in text, shown


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--threshold", "1.5"], "--threshold"),
        (["--drop-pattern", "(a"], "--drop-pattern"),
        (["--batch-size", "0"], "--batch-size"),
        (["--bands", "4"], "--bands"),
        (["--keep", "newest"], "--keep"),
        (["--keep", "source-priority"], "--source-priority"),
    ],
    ids=["threshold", "regex", "batch-size", "bands-alone", "keep", "priority-missing"],
)
def test_bad_flag_value_is_a_usage_error_naming_flag_and_value(
    samples_dir: Path, tmp_path: Path, args: list[str], flag: str
) -> None:
    result = runner.invoke(
        app, ["run", str(samples_dir / "news"), "-o", str(tmp_path / "o"), *args]
    )
    assert result.exit_code == 2, result.output
    assert flag in result.stderr
    assert args[1] in result.stderr
    assert "---" not in result.stderr.replace("───", "")
    assert not (tmp_path / "o").exists()


def test_config_file_with_a_wrong_type_names_key_type_and_file(
    samples_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[near]\nthreshold = "high"\n', encoding="utf-8")
    result = runner.invoke(
        app,
        ["run", str(samples_dir / "news"), "-o", str(tmp_path / "o"), "--config", str(config)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 1
    assert f"{config}: [near] threshold must be a number, got 'high' (str)" in result.stderr


def test_dups_rejects_an_unknown_table_extension_before_reading(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    result = runner.invoke(app, ["dups", str(missing), "-o", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2, result.output
    assert "--output" in result.stderr


def test_dups_does_not_overwrite_a_table_without_force(samples_dir: Path, tmp_path: Path) -> None:
    table = tmp_path / "clusters.csv"
    table.write_text("keep me\n", encoding="utf-8")
    args = ["dups", str(samples_dir / "syndicated.jsonl"), "-o", str(table), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--force" in result.stderr
    assert table.read_text(encoding="utf-8") == "keep me\n"
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert "cluster_id" in table.read_text(encoding="utf-8")


def test_clean_dry_run_json_prints_only_json(samples_dir: Path) -> None:
    result = runner.invoke(app, ["clean", str(samples_dir / "news"), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["lines_removed"] > 0
    assert "lines that would be removed" in result.stderr


def test_dups_json_prints_report_and_clusters(samples_dir: Path) -> None:
    result = runner.invoke(app, ["dups", str(samples_dir / "syndicated.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["documents_in"] == 10
    assert {"cluster_id", "size", "members"} <= set(data["clusters"][0])
    assert {"doc_id", "canonical"} <= set(data["clusters"][0]["members"][0])


@pytest.mark.parametrize(
    "make_args",
    [
        lambda samples, tmp: ["run", str(samples / "syndicated.jsonl"), "-o", str(tmp / "o")],
        lambda samples, tmp: ["clean", str(samples / "syndicated.jsonl"), "-o", str(tmp / "o")],
        lambda samples, tmp: ["dups", str(samples / "syndicated.jsonl")],
    ],
    ids=["run", "clean", "dups"],
)
def test_quiet_prints_one_summary_line_on_stderr_for_every_command(
    samples_dir: Path, tmp_path: Path, make_args: Callable[[Path, Path], list[str]]
) -> None:
    result = runner.invoke(app, [*make_args(samples_dir, tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "documents in" in line
    assert "clusters" in line


def test_format_jsonl_applies_to_every_table(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(out), "--format", "jsonl"]
    result = runner.invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"corpus.jsonl", "dropped.jsonl", "removed_lines.jsonl", "report.json"} <= names
    assert not any(name.endswith(".parquet") for name in names)
    assert f"wrote {out}" in result.stderr


def test_library_messages_are_said_in_flags() -> None:
    from dedupe.cli import translate

    message = "has no column 'text' (found: id, body); pass text_column='body'"
    assert translate(message).endswith("pass --text-column body")
    assert translate("pass force=True to replace it") == "pass --force to replace it"
    assert translate("built with ngram_size=3 but") == "built with --ngram-size 3 but"


def test_clean_needs_no_column_for_the_keep_policy_of_a_config_file(
    samples_dir: Path, tmp_path: Path
) -> None:
    config = tmp_path / "dedupe.toml"
    config.write_text('[keep]\nkeep = "earliest"\n', encoding="utf-8")
    args = ["clean", str(samples_dir / "news"), "--dry-run", "-q", "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def test_run_id_column_equal_to_the_text_column_is_a_usage_error(
    samples_dir: Path, tmp_path: Path
) -> None:
    args = ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(tmp_path / "o")]
    result = runner.invoke(app, [*args, "--id-column", "text"])
    assert result.exit_code == 2
    assert "--id-column and --text-column are both" in " ".join(result.output.split())


def one_line_error(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_dups_refuses_to_overwrite_its_input(samples_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes((samples_dir / "syndicated.jsonl").read_bytes())
    result = runner.invoke(app, ["dups", str(source), "-o", str(source), "-q"])
    one_line_error(result, "would overwrite input")
    assert source.read_bytes() == (samples_dir / "syndicated.jsonl").read_bytes()


@pytest.mark.parametrize("against", ["out/old", "out"], ids=["inside-output", "output"])
def test_run_force_refuses_an_output_overlapping_against(
    samples_dir: Path, tmp_path: Path, against: str
) -> None:
    source = str(samples_dir / "syndicated.jsonl")
    earlier = tmp_path / against
    assert runner.invoke(app, ["run", source, "-o", str(earlier), "-q"]).exit_code == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = runner.invoke(
        app, ["run", source, "-o", str(tmp_path / "out"), "--force", "--against", str(earlier)]
    )
    one_line_error(result, "overlaps --against")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_run_republished_ids_are_duplicates_not_a_loop(tmp_path: Path) -> None:
    # Issue 11.1: this pair of commands exhausted memory; a subprocess under 2 GB and 120 s.
    source = tmp_path / "one.jsonl"
    source.write_text(
        '{"id":"a","text":"The harbor council approved a new flood barrier on Tuesday."}\n'
        '{"id":"b","text":"Growers expect the smallest apple harvest in a decade."}\n',
        encoding="utf-8",
    )
    changed = tmp_path / "changed.jsonl"
    changed.write_text(
        '{"id":"a","text":"The harbor council approved a new flood barrier on Tuesday."}\n'
        '{"id":"b","text":"The library reopened on Saturday after three years of work."}\n'
        '{"id":"c","text":"The harbor council approved a new flood barrier on Tuesday."}\n',
        encoding="utf-8",
    )
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
        "from dedupe.cli import app; sys.argv[0] = 'dedupe'; app()"
    )
    for args in (
        [str(source), "-o", str(tmp_path / "m1")],
        [str(changed), "--against", str(tmp_path / "m1"), "-o", str(tmp_path / "t1")],
        [str(changed), "--against", str(tmp_path / "t1"), "-o", str(tmp_path / "t2")],
    ):
        done = subprocess.run(
            [sys.executable, "-c", code, "run", *args, "-q"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    dropped = pl.read_parquet(tmp_path / "t1" / "dropped.parquet").sort("doc_id")
    assert dropped.select("doc_id", "reason", "duplicate_of").rows() == [
        ("a", "exact_duplicate", "a"),
        ("b", "invalid_record", None),
        ("c", "exact_duplicate", "a"),
    ]
    assert "already published in --against" in dropped["detail"][1]
    for out in ("t1", "t2"):
        ids = pl.read_parquet(tmp_path / out / "state" / "documents-*.parquet")["doc_id"]
        assert sorted(ids) == ["a", "b"]


def test_run_on_a_locked_output_exits_1(samples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock = FolderLock(out, shared=False)
    try:
        result = runner.invoke(app, ["run", str(samples_dir / "news"), "-o", str(out)])
    finally:
        lock.release()
    one_line_error(result, "is in use by another dedupe run")
    assert not out.exists()


def test_run_out_of_memory_names_the_stage(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(dedupe.duplicates.near, "assign_canonicals", exhausted)
    result = runner.invoke(
        app, ["run", str(samples_dir / "syndicated.jsonl"), "-o", str(tmp_path / "o")]
    )
    one_line_error(result, "out of memory in stage 'near' at --batch-size")
    assert "smaller --batch-size" in result.stderr
    assert not (tmp_path / "o").exists()


def test_run_on_a_full_disk_names_the_path_and_keeps_the_previous_output(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    source = str(samples_dir / "syndicated.jsonl")
    assert runner.invoke(app, ["run", source, "-o", str(out), "-q"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    sink = pl.LazyFrame.sink_parquet

    def full(frame: pl.LazyFrame, path: Path, *args: object, **kwargs: Any) -> object:
        if Path(path).name != "dropped.parquet":
            return sink(frame, path, *args, **kwargs)
        raise pl.exceptions.ComputeError(
            "parquet: File out of specification: underlying IO error: "
            "No space left on device (os error 28)"
        )

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", full)
    result = runner.invoke(app, ["run", source, "-o", str(out), "--force", "-q"])
    one_line_error(result, "dropped.parquet': no space left on device")
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def big_corpus(path: Path, documents: int) -> Path:
    rows = (
        {
            "id": f"d{i}",
            "text": f"Story {i} of the harbor council.\n"
            + " ".join(f"word{(i * 7 + j) % 5000}" for j in range(60)),
        }
        for i in range(documents)
    )
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def isolated_env(tmp_path: Path) -> dict[str, str]:
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(temporary)}


def wait_for_spill(tmp_path: Path) -> None:
    """Wait until a run has spilled its first batch, in its workspace wherever that is."""
    deadline = time.monotonic() + 120
    while not list(tmp_path.rglob("raw-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.02)


def registry(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "tmp" / f"dedupe-workspaces-{os.getuid()}"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.slow
def test_run_killed_by_a_file_size_limit_keeps_the_previous_output(
    samples_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["run", str(samples_dir / "news"), "-o", str(out), "-q"]).exit_code == 0
    )
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    corpus = big_corpus(tmp_path / "big.jsonl", 3000)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    done = subprocess.run(
        [sys.executable, "-m", "dedupe", "run", str(corpus), "-o", str(out), "--force", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
        env=isolated_env(tmp_path),
    )
    assert done.returncode == 1, done.stderr
    assert "file too large for the file size limit" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl", "out", "tmp"]
    assert registry(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "dups"])
def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path, command: str) -> None:
    corpus = big_corpus(tmp_path / "big.jsonl", 3000)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "dedupe", command, str(corpus)]
    if command == "run":
        args += ["-o", str(out), "--batch-size", "300"]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=isolated_env(tmp_path)
    )
    wait_for_spill(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, error = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, error
    assert "terminated; no output was published" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl", "tmp"]
    assert registry(tmp_path) == []


@pytest.mark.slow
def test_dups_workspace_left_by_sigkill_is_removed_by_the_next_run(
    samples_dir: Path, tmp_path: Path
) -> None:
    corpus = big_corpus(tmp_path / "big.jsonl", 3000)
    env = isolated_env(tmp_path)
    command = [sys.executable, "-m", "dedupe", "dups", "-q"]
    process = subprocess.Popen([*command, str(corpus)], env=env)
    wait_for_spill(tmp_path)
    process.kill()
    process.wait(timeout=60)
    assert registry(tmp_path)
    done = subprocess.run(
        [*command, str(samples_dir / "news")], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert registry(tmp_path) == []
