"""The supervising parent: a native memory abort in the child becomes one line (issue 11.9)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dedupe.cli import supervise

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

# Loaded by the child's interpreter only (the parent has no DEDUPE_SUPERVISED=1): the near
# stage dies the way Polars does when an allocation fails, with no Python code running.
ABORTING = textwrap.dedent(
    """
    import os

    if os.environ.get("DEDUPE_SUPERVISED") == "1":
        import dedupe.duplicates.near as near

        def abort(*args, **kwargs):
            os.write(2, b"memory allocation of 17028288 bytes failed\\nstack backtrace:\\n")
            os.write(2, b"   0: polars::something\\n")
            os.abort()

        near.assign_canonicals = abort
    """
)


def command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "dedupe", *arguments]


def environment(tmp_path: Path, hook: str | None = None) -> dict[str, str]:
    paths = [str(ROOT)]
    if hook is not None:
        (tmp_path / "hook").mkdir()
        (tmp_path / "hook" / "sitecustomize.py").write_text(hook)
        paths.insert(0, str(tmp_path / "hook"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DEDUPE_")}
    return {**environ, "PYTHONPATH": os.pathsep.join(paths)}


@linux_only
def test_a_native_allocation_abort_is_one_line_naming_the_stage(
    samples_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        command("run", str(samples_dir / "syndicated.jsonl"), "-o", str(out), "-q"),
        capture_output=True,
        text=True,
        env=environment(tmp_path, ABORTING),
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: out of memory in stage 'near' at --batch-size 10000 (an allocation of "
        "17,028,288 bytes failed); run again with a smaller --batch-size 2500 and "
        "--workers 1, or with more memory (nothing was published)"
    ]
    assert not out.exists()


@linux_only
def test_the_child_keeps_exit_codes_output_and_the_program_name(
    samples_dir: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        command("run", str(samples_dir / "news"), "-o", str(tmp_path / "o"), "--json", "-q"),
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")
    usage = subprocess.run(
        command("run", str(tmp_path / "missing.jsonl"), "--bands", "x"),
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=300,
    )
    assert usage.returncode == 2
    assert "Usage: python -m dedupe run" in usage.stderr


def test_watch_holds_back_allocator_lines_and_passes_the_rest(
    capfdbinary: pytest.CaptureFixture[bytes],
) -> None:
    watch = supervise._Watch()
    watch.status(b"batch_size=400")
    watch.status(b"stage=clean")
    watch.native(b"<jemalloc>: background thread creation failed (11)")
    watch.native(b"a warning from a native library")
    watch.native(b"terminate called after throwing an instance of 'std::bad_alloc'")
    watch.native(b"  what():  std::bad_alloc")
    assert capfdbinary.readouterr().err == b"a warning from a native library\n"
    assert watch.aborted
    assert watch.held == 3
    assert watch.message() == (
        "error: out of memory in stage 'clean' at --batch-size 400; run again with a smaller "
        "--batch-size 100 and --workers 1, or with more memory (nothing was published)"
    )


def test_help_version_and_other_commands_run_in_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(supervise.SUPERVISED, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert supervise._supervise(["run", "x.jsonl", "-o", "out"])
    assert supervise._supervise(["-q", "dups", "x.jsonl"])
    assert not supervise._supervise(["--version"])
    assert not supervise._supervise(["run", "--help"])
    assert not supervise._supervise(["explain", "out", "a"])
    monkeypatch.setenv(supervise.SUPERVISED, "0")
    assert not supervise._supervise(["run", "x.jsonl", "-o", "out"])
    monkeypatch.delenv(supervise.SUPERVISED)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not supervise._supervise(["run", "x.jsonl", "-o", "out"])


def test_telling_writes_each_stage_once_and_calls_the_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, int, int | None]] = []

    def callback(stage: str, done: int, total: int | None) -> None:
        calls.append((stage, done, total))

    monkeypatch.delenv(supervise.STATUS_FD, raising=False)
    assert supervise.telling(callback) is callback
    read, write = os.pipe()
    monkeypatch.setenv(supervise.STATUS_FD, str(write))
    progress = supervise.telling(callback)
    for event in [("read", 0, None), ("read", 5, None), ("near", 0, 1), ("near", 1, 1)]:
        progress(*event)
    supervise.tell("batch_size", 7)
    os.close(write)
    with os.fdopen(read, "rb") as told:
        assert told.read() == b"stage=read\nstage=near\nbatch_size=7\n"
    assert len(calls) == 4
