import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, settings

# No deadline: these machines are shared and 2-core, and a test must fail on its answers, not
# on how busy the machine was (a 200 ms deadline failed at a load average of 14).
# Derandomized: CI must give the same answer on every run (a random search once found the
# caption idempotence case now in tests/test_phases.py and tests/test_captions.py).
settings.register_profile("dev", max_examples=50, deadline=None, derandomize=True)
settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite samples/expected/ golden files"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def samples_dir() -> Path:
    return ROOT / "samples"


@pytest.fixture
def tiny_corpus() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d"],
            "text": [
                "The council voted on Tuesday to build a flood barrier at the old port.",
                "The council voted on Tuesday to build a flood barrier at the old port.",
                "Growers expect the smallest apple harvest in a decade after a late frost.",
                "The library reopened on Saturday after a renovation of three years.",
            ],
            "url": [
                "https://wire.example/a",
                "https://www.copy.example/b",
                "https://wire.example/c",
                "https://wire.example/d",
            ],
        }
    )


@pytest.fixture
def corpus_file(tmp_path: Path, tiny_corpus: pl.DataFrame) -> Path:
    path = tmp_path / "corpus.jsonl"
    tiny_corpus.write_ndjson(path)
    return path


@pytest.fixture(autouse=True, scope="session")
def compiled_kernels() -> None:
    """Load the kernels once, so that no test's deadline pays for numba.

    Loaded, they serve every call (see `dedupe.kernels.use_kernels`), so the tests that compare
    them with their NumPy references do compare two implementations; the small-input NumPy path
    is tested in a fresh process (tests/test_kernels.py).
    """
    import dedupe.clean.captions
    import dedupe.duplicates.near  # noqa: F401 - both register their warm-ups
    from dedupe.kernels import load_kernels

    load_kernels()
