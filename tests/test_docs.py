"""The README documents every command and flag, and every command's Example runs."""

import shlex
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dedupe.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Typer vendors its own click; its group exposes `commands` like click's.
COMMANDS = dict(sorted(get_command(app).commands.items()))


def flags() -> list[tuple[str, str]]:
    found = []
    for name, command in COMMANDS.items():
        for param in command.params:
            for opt in [*param.opts, *getattr(param, "secondary_opts", [])]:
                if opt.startswith("--") and opt != "--help":
                    found.append((name, opt))
    return found


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_documents_every_command(command: str) -> None:
    assert f"dedupe {command}" in README


@pytest.mark.parametrize(("command", "flag"), flags(), ids=lambda value: str(value))
def test_readme_documents_every_flag(command: str, flag: str) -> None:
    assert f"`{flag}" in README or f" {flag}" in README, f"{command} {flag} not in README"


@pytest.mark.parametrize("command", COMMANDS)
def test_docstring_example_runs_on_samples(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = COMMANDS[command].help or ""
    example = next(line for line in doc.splitlines() if line.strip().startswith("Example:"))
    args = shlex.split(example.split("Example:", 1)[1])[1:]
    monkeypatch.chdir(ROOT)
    args = [str(tmp_path / a) if a.startswith("out/") else a for a in args]
    if command == "explain":  # it reads the output folder of the run its docstring names
        ran = CliRunner().invoke(app, ["run", "samples/syndicated.jsonl", "-o", args[1], "-q"])
        assert ran.exit_code == 0, ran.output
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def test_flag_field_and_toml_key_share_one_name() -> None:
    import dataclasses

    from dedupe.config import PipelineConfig

    fields = {
        f.name
        for section in dataclasses.fields(PipelineConfig)
        for f in dataclasses.fields(getattr(PipelineConfig(), section.name))
    }
    not_config = {
        "inputs",
        "output",
        "config",
        "dry_run",
        "as_json",
        "quiet",
        "verbose",
        "limit",
        "thresholds",
        "doc_ids",
        "against",
        "engine",
    }
    for command in COMMANDS.values():
        for param in command.params:
            name = param.name or ""
            if name in not_config:
                continue
            assert name in fields, f"option {param.opts} has no config field {name!r}"
            assert f"--{name.replace('_', '-')}" in param.opts, f"flag for {name} is {param.opts}"
