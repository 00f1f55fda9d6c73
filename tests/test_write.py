import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from dedupe.config import OutputConfig
from dedupe.errors import InputError, ResourceError
from dedupe.io import write
from dedupe.io.locks import lock_path, workspaces_folder
from dedupe.io.write import Workspace, check_output_file, check_output_path


def test_check_output_path_refuses_folder_holding_input(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(InputError, match="overlaps input"):
        check_output_path(tmp_path, [str(tmp_path / "in")], force=True)


def test_check_output_path_refuses_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="force=True"):
        check_output_path(out, ["-"], force=False)
    check_output_path(out, ["-"], force=True)


def test_workspace_publish_replaces_folder_atomically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old", encoding="utf-8")
    workspace = Workspace(out)
    frame = pl.LazyFrame({"doc_id": ["a"]})
    workspace.write_tables({"corpus": frame}, OutputConfig(format="jsonl"))
    assert (out / "stale.txt").exists()
    workspace.publish({"k": 1})
    workspace.close()
    assert sorted(p.name for p in out.iterdir()) == ["corpus.jsonl", "report.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_workspace_removes_leftovers_of_killed_runs(tmp_path: Path) -> None:
    stale = tmp_path / ".out.tmp-999999999"
    stale.mkdir()
    workspace = Workspace(tmp_path / "out")
    assert not stale.exists()
    assert workspace.root.exists()
    workspace.close()
    assert not workspace.root.exists()


def test_workspace_spills_parts(tmp_path: Path) -> None:
    workspace = Workspace(None)
    path = workspace.write_spill("docs", 3, pl.DataFrame({"a": [1]}))
    assert path.name == "docs-000003.parquet"
    assert pl.read_parquet(path)["a"].to_list() == [1]
    workspace.close()
    assert not path.exists()


@pytest.mark.parametrize(
    "against", ["out", "out/old", "."], ids=["same", "inside-output", "holds-output"]
)
def test_check_output_path_refuses_output_overlapping_against(tmp_path: Path, against: str) -> None:
    out = tmp_path / "out"
    (out / "old").mkdir(parents=True)
    with pytest.raises(InputError, match="overlaps --against"):
        check_output_path(out, ["-"], force=True, against=tmp_path / against)
    assert (out / "old").is_dir()


def test_check_output_file_refuses_an_input(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    source = tmp_path / "in.jsonl"
    with pytest.raises(InputError, match="would overwrite input"):
        check_output_file(source, [str(source)])
    with pytest.raises(InputError, match="would overwrite input"):
        check_output_file(tmp_path / "in" / "c.csv", [str(tmp_path / "in")])
    check_output_file(tmp_path / "clusters.csv", [str(source), "-"])


def old_output(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("old", encoding="utf-8")
    return out


def test_workspace_restores_output_of_a_run_killed_between_renames(tmp_path: Path) -> None:
    out = old_output(tmp_path)
    out.rename(tmp_path / ".out.old-123-abcd")
    (tmp_path / ".out.tmp-123-abcd").mkdir()
    workspace = Workspace(out)
    assert (out / "report.json").read_text(encoding="utf-8") == "old"
    workspace.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_workspace_removes_a_previous_output_a_killed_publish_replaced(tmp_path: Path) -> None:
    out = old_output(tmp_path)
    (tmp_path / ".out.old-123-abcd").mkdir()
    Workspace(out).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


KILLED_PUBLISH = """
import os, sys
from pathlib import Path
import polars as pl
import dedupe.io.write as write
from dedupe.config import OutputConfig

write.exchange_folders = lambda first, second: False
rename = Path.rename

def rename_then_die(self, target):
    moved = rename(self, target)
    if ".old-" in str(target):
        os._exit(9)
    return moved

Path.rename = rename_then_die
workspace = write.Workspace(Path(sys.argv[1]))
workspace.write_tables({"corpus": pl.LazyFrame({"doc_id": ["new"]})}, OutputConfig(format="jsonl"))
workspace.publish({"new": True})
"""


def test_publish_killed_between_its_renames_keeps_the_previous_output(tmp_path: Path) -> None:
    out = old_output(tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_PUBLISH, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 9, killed.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.glob(".out.old-*")]
    workspace = Workspace(out)
    assert (out / "report.json").read_text(encoding="utf-8") == "old"
    workspace.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_publish_replaces_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(write, "exchange_folders", lambda first, second: False)
    out = old_output(tmp_path)
    workspace = Workspace(out)
    workspace.publish({"new": True})
    workspace.close()
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == {"new": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_workspace_locks_its_output_against_a_second_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = Workspace(out)
    with pytest.raises(InputError, match=rf"'{out}' is in use by another dedupe run \(pid \d+\)"):
        Workspace(out)
    first.close()
    assert not lock_path(out).exists()
    Workspace(out).close()


def test_against_is_locked_shared_while_runs_read_it(tmp_path: Path) -> None:
    earlier = old_output(tmp_path)
    readers = [Workspace(tmp_path / name, against=earlier) for name in ("a", "b")]
    with pytest.raises(InputError, match="in use by another dedupe run"):
        Workspace(earlier)
    for reader in readers:
        reader.close()
    writer = Workspace(earlier)
    with pytest.raises(InputError, match="is being written by another dedupe run"):
        Workspace(tmp_path / "c", against=earlier)
    writer.close()
    assert not lock_path(earlier).exists()


def test_against_interrupted_while_publishing_is_restored(tmp_path: Path) -> None:
    earlier = old_output(tmp_path)
    (earlier / "state").mkdir()
    (earlier / "state" / "meta.json").write_text("{}", encoding="utf-8")
    earlier.rename(tmp_path / ".out.old-1-ab")
    Workspace(tmp_path / "next", against=earlier).close()
    assert (earlier / "state" / "meta.json").is_file()


KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from dedupe.io.write import Workspace

for workspace in (Workspace(None), Workspace(Path(sys.argv[1]))):
    print(workspace.root, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_next_run_removes_workspaces_of_killed_runs_wherever_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(tmp_path / "elsewhere" / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(temporary)},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    roots = [Path(line) for line in killed.stdout.split()]
    assert len(roots) == 2
    assert all(root.is_dir() for root in roots)
    assert roots[0].parent == temporary / f"dedupe-workspaces-{os.getuid()}"
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    Workspace(None).close()
    assert not any(root.exists() for root in roots)
    assert list(workspaces_folder().iterdir()) == []


NO_ROOM = (
    "parquet: File out of specification: underlying IO error: No space left on device (os error 28)"
)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (pl.exceptions.ComputeError(NO_ROOM), "no space left on device"),
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on device"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk quota exceeded"),
        (OSError("File too large (os error 27)"), "file too large"),
        (OSError("100000 requested and 12484 written"), "short write"),
    ],
    ids=["polars", "oserror", "quota", "size-limit", "numpy-short-write"],
)
def test_write_spill_without_room_is_one_line_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, reason: str
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    workspace = Workspace(tmp_path / "out")
    monkeypatch.setattr(pl.DataFrame, "write_parquet", fail)
    with pytest.raises(ResourceError) as caught:
        workspace.write_spill("raw", 1, pl.DataFrame({"a": [1]}))
    workspace.close()
    message = str(caught.value)
    assert f"cannot write '{workspace.root / '_spill' / 'raw-000001.parquet'}': {reason}" in message
    assert "\n" not in message


def test_other_compute_errors_are_not_taken_for_write_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise pl.exceptions.ComputeError("a bug")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", fail)
    workspace = Workspace(None)
    with pytest.raises(pl.exceptions.ComputeError, match="a bug"):
        workspace.write_spill("raw", 1, pl.DataFrame({"a": [1]}))
    workspace.close()
