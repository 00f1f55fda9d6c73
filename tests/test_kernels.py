import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dedupe.kernels import cache_folder, compile_kernels, jit_disabled, kernel

ROOT = Path(__file__).resolve().parent.parent


@kernel
def _double(value: int) -> int:
    return 2 * value


@kernel
def _double_all(values: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    for i in range(len(values)):
        out[i] = _double(values[i])
    return out


def test_kernels_call_each_other() -> None:
    assert _double_all(np.arange(4, dtype=np.int64)).tolist() == [0, 2, 4, 6]


def test_compile_kernels_twice_is_free() -> None:
    compile_kernels()
    assert compile_kernels() == 0.0


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_cli_start_up_does_not_import_numba_or_pyarrow(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from dedupe.cli import app\n"
        "try:\n"
        f"    app({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({'numba', 'pyarrow'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_cache_folder_follows_numba_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    assert cache_folder() == "/somewhere/else"


def test_jit_disabled_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")
    assert jit_disabled()
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "0")
    assert not jit_disabled()


SMALL_RUN = """
import json, sys
import polars as pl
import dedupe
from dedupe import kernels

def tables(out):
    stems = ("corpus", "dropped", "removed_lines")
    return [pl.read_parquet(f"{out}/{stem}.parquet") for stem in stems]

limit = int(sys.argv[2])
if limit >= 0:
    kernels.NUMPY_WORK = limit
dedupe.run(["samples/syndicated.jsonl", "samples/news"], output=sys.argv[1] + "/a")
first = json.load(open(sys.argv[1] + "/a/report.json"))["details"]["jit"]
numba_used = "numba" in sys.modules
kernels.load_kernels()
dedupe.run(["samples/syndicated.jsonl", "samples/news"], output=sys.argv[1] + "/b")
same = all(x.equals(y) for x, y in zip(tables(sys.argv[1] + "/a"), tables(sys.argv[1] + "/b")))
print(json.dumps({"jit": first, "numba": numba_used, "same": same}))
"""


@pytest.mark.parametrize("limit", [-1, 0])
def test_a_small_run_uses_the_numpy_references_and_the_same_answers(
    tmp_path: Path, limit: int
) -> None:
    import json

    result = subprocess.run(
        [sys.executable, "-c", SMALL_RUN, str(tmp_path), str(limit)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["same"]
    if limit < 0:  # the samples are far below the default limit: numba is never imported
        assert not found["numba"]
        assert found["jit"]["loaded"] is False
        assert 0 < found["jit"]["numpy_bytes"] <= found["jit"]["numpy_limit"]
    else:  # no NumPy work allowed: the first call loads the kernels
        assert found["numba"]
        assert found["jit"]["loaded"] is True
        assert found["jit"]["seconds"] >= 0


def test_load_in_background_starts_only_for_work_past_the_limit() -> None:
    code = (
        "import dedupe.duplicates.near\n"
        "from dedupe import kernels\n"
        "assert kernels.load_in_background(1000) is None\n"
        "assert not kernels.compiled()\n"
        "thread = kernels.load_in_background(kernels.NUMPY_WORK + 1)\n"
        "thread.join()\n"
        "assert kernels.compiled() and kernels.load_record()['loaded']\n"
        "assert kernels.load_in_background(kernels.NUMPY_WORK + 1) is None\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "ok"


def test_loading_the_kernels_freezes_numbas_objects_out_of_the_collectors_walks() -> None:
    code = (
        "import gc\n"
        "import dedupe.duplicates.near\n"
        "from dedupe import kernels\n"
        "assert gc.get_freeze_count() == 0\n"
        "kernels.load_kernels()\n"
        "import numba\n"
        "frozen = gc.get_freeze_count()\n"
        "# numba's modules are among the frozen objects: a full collection walks far fewer\n"
        "assert frozen > 10 * len(gc.get_objects()), (frozen, len(gc.get_objects()))\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "ok"
