"""The state of an output: what a later `--against` run reads, checked before it is used."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

import dedupe.pipeline
from dedupe import NearConfig, run
from dedupe.errors import InputError
from dedupe.io.state import read_state_chunks, read_state_meta

ROOT = Path(__file__).resolve().parent.parent
SYNDICATED = ROOT / "samples" / "syndicated.jsonl"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output whose state has two parts (3 documents a part)."""
    out = tmp_path_factory.mktemp("state") / "one"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dedupe.pipeline, "_STATE_CHUNK", 3)
        run([SYNDICATED], output=out)
    return out


@pytest.fixture
def state(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "one"
    shutil.copytree(built, copy)
    return copy


def edit_meta(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "state" / "meta.json"
        found = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(change(found)), encoding="utf-8")

    return edit


def edit_table(name: str, change: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "state" / f"{name}-00000.parquet"
        change(pl.read_parquet(path)).write_parquet(path)

    return edit


def with_id(frame: pl.DataFrame, index: int, value: str | None) -> pl.DataFrame:
    return frame.with_columns(frame["doc_id"].clone().scatter(index, value))


def without(key: str) -> Callable[[dict], dict]:
    return lambda found: {k: v for k, v in found.items() if k != key}


def remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "state" / name).unlink()


def write(name: str, content: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / "state" / name).write_bytes(content)


def cross_part_duplicate(folder: Path) -> None:
    first = pl.read_parquet(folder / "state" / "documents-00000.parquet")["doc_id"][0]
    path = folder / "state" / "documents-00001.parquet"
    second = pl.read_parquet(path)
    with_id(second, 0, first).write_parquet(path)


TAMPERED = [
    ("meta-list", write("meta.json", b"[]"), "meta.json' holds a JSON list, not an object"),
    ("meta-json", write("meta.json", b"{"), "meta.json' cannot be read as JSON"),
    ("meta-key", edit_meta(without("num_perm")), "has no key 'num_perm'"),
    ("meta-type", edit_meta(lambda m: {**m, "num_perm": "128"}), "num_perm='128', not a int"),
    ("meta-format", edit_meta(lambda m: {**m, "format": 9}), "state format 9; this dedupe reads"),
    ("meta-format-1", edit_meta(lambda m: {**m, "format": 1}), "state format 1; this dedupe reads"),
    ("meta-negative", edit_meta(lambda m: {**m, "documents": -1}), "negative documents (-1)"),
    (
        "meta-inflated",
        edit_meta(lambda m: {**m, "documents": 10**9}),
        "counts 1000000000 documents",
    ),
    ("meta-parts", edit_meta(lambda m: {**m, "chunks": 5}), "documents-00002.parquet' is missing"),
    ("missing-part", remove("shingles-00001.parquet"), "shingles-00001.parquet' is missing"),
    (
        "foreign-part",
        lambda f: shutil.copy(
            f / "state" / "lead-00000.parquet", f / "state" / "documents-00009.parquet"
        ),
        "documents-00009.parquet' is not one of the 2 parts",
    ),
    (
        "inflated-count",
        edit_table("documents", lambda d: d.with_columns(pl.col("_shingle_count") * 1000)),
        "shingles-00000.parquet' holds",
    ),
    (
        "negative-count",
        edit_table("documents", lambda d: d.with_columns(-pl.col("_lead_count"))),
        "negative values in '_lead_count'",
    ),
    (
        "null-id",
        edit_table("documents", lambda d: with_id(d, 0, None)),
        "holds 1 null values in 'doc_id'",
    ),
    (
        "repeated-id",
        edit_table("documents", lambda d: with_id(d, 1, d["doc_id"][0])),
        "repeats doc_id",
    ),
    ("repeated-across-parts", cross_part_duplicate, "of an earlier part"),
    (
        "missing-column",
        edit_table("documents", lambda d: d.drop("_content_key")),
        "has no column '_content_key'",
    ),
    (
        "wrong-type",
        edit_table("signatures", lambda d: d.cast(pl.Int64)),
        "has no UInt32 column 'value'",
    ),
    ("corrupt-part", write("lead-00001.parquet", b"PAR1 not really"), "cannot be read"),
]


@pytest.mark.parametrize(
    ("tamper", "message"), [case[1:] for case in TAMPERED], ids=[case[0] for case in TAMPERED]
)
def test_against_tampered_state_is_one_line_naming_the_file(
    state: Path, tmp_path: Path, tamper: Callable[[Path], None], message: str
) -> None:
    tamper(state)
    with pytest.raises(InputError) as caught:
        run([SYNDICATED], output=tmp_path / "two", against=state)
    text = str(caught.value)
    assert message in text
    assert f"against='{state}'" in text
    assert "rebuild it by running `dedupe run`" in text
    assert "\n" not in text
    assert not (tmp_path / "two").exists()


def test_read_state_chunks_reads_every_part_of_a_run(state: Path) -> None:
    chunks = list(read_state_chunks(state, NearConfig()))
    assert len(chunks) == 2
    ids = pl.concat([documents["doc_id"] for documents, _ in chunks])
    assert (
        ids.n_unique()
        == len(ids)
        == json.loads((state / "state" / "meta.json").read_text())["documents"]
    )


def test_read_state_meta_accepts_a_state_without_part_counts(state: Path) -> None:
    # Outputs written before the counts were added still load.
    edit_meta(lambda m: without("documents")(without("chunks")(m)))(state)
    assert "chunks" not in read_state_meta(state)
    assert len(list(read_state_chunks(state, NearConfig()))) == 2
