from pathlib import Path

import polars as pl
import pytest

from dedupe.config import OutputConfig
from dedupe.errors import InputError
from dedupe.io.write import Workspace, check_output_path


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
