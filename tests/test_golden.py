"""Golden outputs of `dedupe run` on the samples, compared byte for byte."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedupe.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"news": ROOT / "samples" / "news", "syndicated": ROOT / "samples" / "syndicated.jsonl"}
# Report fields that change from machine to machine, not with the behaviour.
VOLATILE = ("versions", "seconds", "inputs")


def stable_report(path: Path) -> str:
    report = json.loads(path.read_text(encoding="utf-8"))
    for key in VOLATILE:
        report.pop(key, None)
    for stage in report["stages"]:
        stage.pop("seconds")
    # Compilation time and numba's cache folder depend on the machine and its cache.
    report["details"].pop("jit")
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def outputs(out: Path) -> dict[str, str]:
    return {
        "corpus.jsonl": (out / "corpus.jsonl").read_text(encoding="utf-8"),
        "dropped.jsonl": (out / "dropped.jsonl").read_text(encoding="utf-8"),
        "removed_lines.jsonl": (out / "removed_lines.jsonl").read_text(encoding="utf-8"),
        "report.json": stable_report(out / "report.json"),
    }


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_run_output_matches_golden_files(name: str, tmp_path: Path, update_golden: bool) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(SAMPLES[name]), "-o", str(out), "-q", "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    expected_dir = ROOT / "samples" / "expected"
    for file, content in outputs(out).items():
        golden = expected_dir / f"{name}.run.{file}"
        if update_golden:
            golden.write_text(content, encoding="utf-8")
        assert golden.read_text(encoding="utf-8") == content, f"{golden} differs"


def test_run_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    files = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt
        result = CliRunner().invoke(app, ["run", str(SAMPLES["syndicated"]), "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
        files.append(
            [
                (out / f).read_bytes()
                for f in ("corpus.parquet", "dropped.parquet", "removed_lines.parquet")
            ]
        )
    assert files[0] == files[1]
