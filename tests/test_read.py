import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from dedupe.config import InputConfig
from dedupe.errors import InputError, SchemaError
from dedupe.io.read import collect, frame_batches, iter_batches, read_corpus


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_corpus_folder_ids_are_relative_paths_without_extension(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("beta", encoding="utf-8")
    (tmp_path / "ignored.json").write_text("{}", encoding="utf-8")
    result = read_corpus([tmp_path])
    assert result.corpus["doc_id"].to_list() == ["a", "sub/b"]
    assert result.corpus["text"].to_list() == ["alpha", "beta"]


def test_read_corpus_jsonl_passes_other_fields_through(corpus_file: Path) -> None:
    result = read_corpus([corpus_file])
    assert result.corpus.columns == ["_row", "doc_id", "text", "url"]
    assert result.invalid.height == 0


def test_read_corpus_maps_id_and_text_columns(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", [json.dumps({"key": 7, "body": "hello"})])
    result = read_corpus([path], InputConfig(id_column="key", text_column="body"))
    assert result.corpus.select("doc_id", "text").row(0) == ("7", "hello")


def test_read_corpus_without_id_field_numbers_records_by_file_and_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl", [json.dumps({"text": "a"}), "", json.dumps({"text": "b"})]
    )
    ids = read_corpus([path]).corpus["doc_id"].to_list()
    assert ids == [f"{path}:1", f"{path}:3"]


def test_read_corpus_numbers_lines_without_a_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"text": "a"}) + "\n" + json.dumps({"text": "b"}), encoding="utf-8")
    ids = read_corpus([path]).corpus["doc_id"].to_list()
    assert ids == [f"{path}:1", f"{path}:2"]


def test_read_corpus_reads_gzip_parquet_and_csv(tmp_path: Path, tiny_corpus: pl.DataFrame) -> None:
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(tiny_corpus.head(1).write_ndjson().encode()))
    parquet = tmp_path / "b.parquet"
    tiny_corpus.slice(1, 1).write_parquet(parquet)
    csv = tmp_path / "c.csv"
    tiny_corpus.slice(2, 2).write_csv(csv)
    result = read_corpus([gz, parquet, csv])
    assert result.corpus["doc_id"].to_list() == ["a", "b", "c", "d"]


def test_read_corpus_malformed_jsonl_line_becomes_invalid_record(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl",
        [
            json.dumps({"id": "1", "text": "a"}),
            '{"id": "2", "text": ',
            json.dumps({"id": "3", "text": "c"}),
        ],
    )
    result = read_corpus([path])
    assert result.corpus["doc_id"].to_list() == ["1", "3"]
    assert result.invalid["reason"].to_list() == ["invalid_record"]
    assert f"{path}:2: malformed JSON" in result.invalid["detail"][0]


def test_read_corpus_null_or_missing_text_becomes_invalid_record(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl",
        [
            json.dumps({"id": "1", "text": None}),
            json.dumps({"id": "2"}),
            json.dumps({"id": "3", "text": "ok"}),
        ],
    )
    result = read_corpus([path])
    assert result.corpus["doc_id"].to_list() == ["3"]
    assert result.invalid["doc_id"].to_list() == ["1", "2"]
    assert all("is null or missing" in d for d in result.invalid["detail"])


def test_read_corpus_missing_text_column_lists_columns_and_parameter(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", [json.dumps({"url": "u", "body": "b"})])
    with pytest.raises(
        SchemaError,
        match=r"no column 'text' \(found: url, body\); pass "
        r"text_column='body'",
    ):
        read_corpus([path])


def test_read_corpus_repeated_id_becomes_invalid_record(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl",
        [json.dumps({"id": "1", "text": "a"}), json.dumps({"id": "1", "text": "b"})],
    )
    result = read_corpus([path])
    assert result.corpus["text"].to_list() == ["a"]
    assert "repeats the id of" in result.invalid["detail"][0]
    assert f"{path}:2" in result.invalid["detail"][0]


def test_read_corpus_non_utf8_text_file_decodes_with_fallback(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes("caf\u00e9 au lait".encode("cp1252"))
    result = read_corpus([tmp_path])
    assert result.corpus["text"].to_list() == ["caf\u00e9 au lait"]
    assert result.decoded_with_fallback == 1


def test_read_corpus_binary_and_empty_text_files_become_invalid(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("words", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    result = read_corpus([tmp_path])
    assert result.corpus["doc_id"].to_list() == ["good"]
    details = dict(zip(result.invalid["doc_id"], result.invalid["detail"], strict=True))
    assert "binary file" in details["image"]
    assert "file is empty" in details["empty"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.jsonl", None, "does not exist"),
        ("notes.docx", b"x", "unknown extension '.docx'"),
        ("empty.jsonl", b"", "holds no records"),
        ("broken.parquet", b"not parquet", "not a readable Parquet file"),
        ("binary.jsonl", b"\x00\x01\x02", "binary file"),
    ],
    ids=["missing", "unknown-extension", "empty", "bad-parquet", "binary-jsonl"],
)
def test_read_corpus_whole_input_problems_raise_input_error(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_corpus([path])


def test_frame_batches_apply_the_same_checks() -> None:
    frame = pl.DataFrame({"id": ["x", "x", None], "text": ["a", "b", "c"]})
    result = collect(frame_batches(frame))
    assert result.corpus["doc_id"].to_list() == ["x"]
    assert result.invalid.height == 2


def test_iter_batches_numbers_rows_and_finds_repeated_ids_across_batches(tmp_path: Path) -> None:
    lines = [json.dumps({"id": str(i % 7), "text": f"text {i} " * 500}) for i in range(10)]
    path = write_lines(tmp_path / "x.jsonl", lines)
    batches = list(iter_batches([path], batch_size=2))
    assert len(batches) > 1
    result = collect(iter(batches))
    assert result.corpus["_row"].to_list() == list(range(7))
    assert result.corpus["doc_id"].to_list() == [str(i) for i in range(7)]
    assert result.invalid.height == 3
    assert f"{path}:9: doc_id '1' repeats the id of {path}:2" in result.invalid["detail"][1]


def test_iter_batches_caps_jsonl_batches_at_batch_size(tmp_path: Path) -> None:
    # Short records: one chunk of bytes holds many more than a batch.
    lines = [json.dumps({"id": str(i % 40), "text": f"t{i}"}) for i in range(45)] + ["{bad"]
    batches = list(iter_batches([write_lines(tmp_path / "x.jsonl", lines)], batch_size=4))
    assert max(b.corpus.height for b in batches) == 4
    assert [b.corpus.height + b.invalid.height for b in batches][:2] == [10, 4]
    result = collect(iter(batches))
    assert result.corpus["_row"].to_list() == list(range(40))
    assert result.invalid.height == 6


def test_iter_batches_splits_folders_and_tables(tmp_path: Path, tiny_corpus: pl.DataFrame) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text(f"text {i}", encoding="utf-8")
    csv = tmp_path / "c.csv"
    tiny_corpus.write_csv(csv)
    batches = list(iter_batches([folder, csv], batch_size=2))
    assert [b.corpus.height for b in batches] == [2, 2, 1, 2, 2]
    assert collect(iter(batches)).corpus["_row"].to_list() == list(range(9))


def test_read_corpus_non_utf8_jsonl_line_becomes_invalid_record(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = json.dumps({"id": "1", "text": "fine"}).encode()
    bad = '{"id": "2", "text": "caf\u00e9"}'.encode("cp1252")
    path.write_bytes(good + b"\n" + bad + b"\n")
    result = read_corpus([path])
    assert result.corpus["doc_id"].to_list() == ["1"]
    assert f"{path}:2: line is not UTF-8" in result.invalid["detail"][0]
