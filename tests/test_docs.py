"""The README documents every command and flag, and every command's Example runs."""

import re
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


def test_public_api_is_typed_and_each_name_has_an_example_that_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import doctest
    import inspect

    import dedupe

    monkeypatch.chdir(ROOT)
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in dedupe.__all__:
        if name == "__version__":
            continue
        obj = getattr(dedupe, name)
        assert "Example:" in (obj.__doc__ or ""), f"dedupe.{name} has no Example"
        if callable(obj) and not inspect.isclass(obj):
            hints = inspect.get_annotations(obj)
            assert "return" in hints, f"dedupe.{name} has no return annotation"
        for test in finder.find(obj, name, globs={**vars(dedupe), "dedupe": dedupe}):
            runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0


def readme_options() -> dict[str, tuple[str, str]]:
    """The README option table: flag -> (config key cell, default cell)."""
    section = README.split("| option | config key | default | meaning |", 1)[1].split("\n\n")[0]
    rows = {}
    for line in section.splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) != 4 or cells[0].startswith("**"):
            continue
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", cells[0]):
            rows[flag] = (cells[1], cells[2])
        if "INPUT" in cells[0]:
            rows["INPUT"] = (cells[1], cells[2])
    return rows


def cli_options() -> dict[str, tuple[str, str]]:
    """Each command's options: flag -> (config key as the README writes it, default shown)."""
    import dataclasses

    from dedupe.config import PipelineConfig

    config = PipelineConfig()
    found = {}
    for command in COMMANDS.values():
        for param in command.params:
            if param.name == "help":
                continue
            sections = [
                s.name
                for s in dataclasses.fields(PipelineConfig)
                if param.name in {f.name for f in dataclasses.fields(getattr(config, s.name))}
            ]
            key = ", ".join(f"`[{section}] {param.name}`" for section in sections)
            shown = re.search(r"\[default: (.*)\]$", getattr(param, "help", None) or "")
            default = shown.group(1) if shown else ""
            if not shown and param.show_default is True and param.default not in (None, False, 0):
                default = str(param.default)
            default = f"`{default}`" if default else ""
            for flag in [*param.opts, *getattr(param, "secondary_opts", [])]:
                if flag.startswith("--"):
                    found[flag] = (key, default)
            if param.param_type_name == "argument":
                found["INPUT"] = (key, default)
    return found


def test_readme_option_table_matches_the_commands() -> None:
    readme, cli = readme_options(), cli_options()
    assert sorted(readme) == sorted(cli)
    for flag, (key, default) in cli.items():
        assert readme[flag] == (key, default), flag


def test_every_runtime_dependency_is_imported_by_a_run(tmp_path: Path) -> None:
    import subprocess
    import sys
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.split(r"[<>=\[ ;]", dep)[0].replace("-", "_") for dep in project["dependencies"]]
    code = (
        "import sys, dedupe, dedupe.cli.commands, dedupe.kernels; "
        # A small run uses the kernels' NumPy references; numba loads past NUMPY_WORK bytes.
        "dedupe.kernels.NUMPY_WORK = 0; "
        f"dedupe.run('samples/syndicated.jsonl', output={str(tmp_path / 'o')!r}); "
        # Page mode's stop-word lists (stopwordsiso) are loaded only by a page-mode run.
        "config = dedupe.PipelineConfig(clean=dedupe.CleanConfig(mode='page')); "
        f"dedupe.run('samples/news', config, output={str(tmp_path / 'p')!r}); "
        "print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = set(run.stdout.split())
    assert [name for name in names if name not in loaded] == []
    assert "datasketch" not in loaded
