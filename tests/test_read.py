import gzip
import io
import json
import os
import random
import re
import sys
import zlib
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
    assert result.corpus["doc_id"].to_list() == ["x", "frame:3"]
    assert result.invalid.height == 1


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


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


GOOD = {"id": "b", "text": "good text"}
# (file name, content, kept ids, fragments of each invalid record's detail, in order)
RECORD_CASES = [
    ("surrogate", "x.jsonl", b'{"id": "a", "text": "bad \\udc00"}\n' + jsonl(GOOD), ["b"],
     ["x.jsonl:1: holds a lone surrogate escape"]),
    ("list-text", "x.jsonl", jsonl({"id": "a", "text": ["x", "y"]}, GOOD), ["b"],
     ["x.jsonl:1: field 'text' is an array, not a string"]),
    ("object-text", "x.jsonl", jsonl({"id": "a", "text": {"nested": "text"}}, GOOD), ["b"],
     ["x.jsonl:1: field 'text' is an object, not a string"]),
    ("number-text-mixed", "x.jsonl", jsonl({"id": "a", "text": 12}, GOOD), ["b"],
     ["x.jsonl:1: field 'text' is a number"]),
    ("number-text-only", "x.jsonl", jsonl({"id": "a", "text": 12}, {"id": "c", "text": 1.5}),
     [], ["x.jsonl:1: field 'text' is a number", "x.jsonl:2: field 'text' is a number"]),
    ("list-text-only", "x.jsonl", jsonl({"id": "a", "text": ["x"]}), [],
     ["x.jsonl:1: field 'text' is an array"]),
    ("list-id", "x.jsonl", jsonl({"id": ["a"], "text": "t"}, GOOD), ["b"],
     ["x.jsonl:1: id field 'id' is an array"]),
    ("object-id", "x.jsonl", jsonl({"id": {"a": 1}, "text": "t"}, GOOD), ["b"],
     ["x.jsonl:1: id field 'id' is an object"]),
    ("text-like-json-is-kept", "x.jsonl", jsonl({"id": "a", "text": "[1] 2024"}, GOOD),
     ["a", "b"], []),
    ("number-like-text-is-kept", "x.jsonl", jsonl({"id": "a", "text": "1010"}, GOOD),
     ["a", "b"], []),
    ("bom", "x.jsonl", b"\xef\xbb\xbf" + jsonl({"id": "a", "text": "first"}, GOOD),
     ["a", "b"], []),
    ("nul-first-line", "x.jsonl", b'{"id": "a", "text": "x\x00y"}\n' + jsonl(GOOD), ["b"],
     ["x.jsonl:1: line holds a NUL byte"]),
    ("nul-late", "x.jsonl", jsonl(*[GOOD | {"id": str(i)} for i in range(300)])
     + b'{"id": "z", "text": "x\x00y"}\n', [str(i) for i in range(300)],
     ["x.jsonl:301: line holds a NUL byte"]),
    ("empty-ids", "x.jsonl", jsonl({"id": "", "text": "a"}, {"id": " ", "text": "b"}, GOOD),
     ["x.jsonl:1", "x.jsonl:2", "b"], []),
    ("parquet-binary-text", "x.parquet",
     parquet_bytes(pl.DataFrame({"id": ["a", "b"], "text": [b"\xff\xfe bad", b"good"]})),
     ["b"], ["x.parquet:1: field 'text' is not UTF-8"]),
    ("csv-extra-fields", "x.csv", b"id,text\n1,hello\n2,a,b,c\n3,fine\n", ["1", "3"],
     ["x.csv:2 (line 3): the row has 4 fields, the header 2"]),
    ("csv-bom", "x.csv", b"\xef\xbb\xbfid,text\n1,hello\n", ["1"], []),
    ("json-array", "x.json", json.dumps([{"id": "a", "text": "t"}, 7, GOOD]).encode(),
     ["a", "b"], ["x.json:2: a number, not an object"]),
    ("json-pretty-object", "x.json", b'{"id": "a",\n "text": "b"}', [],
     ["x.json:1: malformed JSON", "x.json:2: malformed JSON"]),
    ("json-lines-in-json", "x.json", jsonl({"id": "a", "text": "t"}, GOOD), ["a", "b"], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "kept", "details"),
    [case[1:] for case in RECORD_CASES],
    ids=[case[0] for case in RECORD_CASES],
)
def test_read_corpus_unusable_records_become_invalid_records(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    kept: list[str],
    details: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(content)
    result = read_corpus([name])
    assert result.corpus["doc_id"].to_list() == kept
    found = result.invalid["detail"].to_list()
    assert len(found) == len(details), found
    for detail, fragment in zip(found, details, strict=True):
        assert fragment in detail
    assert set(result.invalid["reason"]) <= {"invalid_record"}


def test_read_corpus_never_turns_a_non_string_text_into_one(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(jsonl({"id": "a", "text": {"nested": "text"}}, GOOD))
    assert "nested" not in " ".join(read_corpus([path]).corpus["text"])


def three_hundred_then_one(field: str) -> bytes:
    first = [{"id": str(i), "body": "x"} if field == "text" else {"text": f"doc {i}"} for i in
             range(300)]  # fmt: skip
    return jsonl(*first, {"id": "z", "text": "hello there"})


@pytest.mark.parametrize("field", ["text", "id"])
def test_iter_batches_outcome_does_not_depend_on_batch_size(tmp_path: Path, field: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(three_hundred_then_one(field))
    results = [collect(iter_batches([path], batch_size=size)) for size in (1, 7, 10_000)]
    for result in results[1:]:
        assert result.corpus["doc_id"].to_list() == results[0].corpus["doc_id"].to_list()
        assert result.invalid["detail"].to_list() == results[0].invalid["detail"].to_list()
    expected_invalid = 300 if field == "text" else 0
    assert results[0].invalid.height == expected_invalid
    assert results[0].corpus.height == 301 - expected_invalid


@pytest.mark.parametrize("size", [1, 10_000])
def test_iter_batches_text_field_in_no_record_is_an_error_at_every_size(
    tmp_path: Path, size: int
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(jsonl(*[{"id": str(i), "body": "x"} for i in range(5)]))
    with pytest.raises(SchemaError, match=r"no column 'text' \(found: id, body\)"):
        collect(iter_batches([path], batch_size=size))


def test_read_corpus_id_field_is_doc_id_else_id_record_by_record(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(
        jsonl({"doc_id": "d1", "id": "i1", "text": "a"}, {"id": "i2", "text": "b"}, {"text": "c"})
    )
    result = read_corpus([path])
    assert result.corpus["doc_id"].to_list() == ["d1", "i2", f"{path}:3"]
    assert result.corpus["id"].to_list() == ["i1", None, None]


def test_read_corpus_text_column_named_id_numbers_the_records(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(jsonl({"id": "the text", "url": "u"}))
    result = read_corpus([path], InputConfig(text_column="id"))
    assert result.corpus.select("doc_id", "text").row(0) == (f"{path}:1", "the text")


def corrupt_gzip(path: Path) -> Path:
    draw = random.Random(0)
    records = [{"id": str(i), "text": draw.randbytes(60).hex()} for i in range(400)]
    data = gzip.compress(jsonl(*records), mtime=0)
    for middle in range(len(data) // 2, len(data) - 100, 37):
        # Garbage in the middle of the deflate stream, not only a wrong checksum at its end.
        corrupt = data[:middle] + b"\xff" * 8 + data[middle + 8 :]
        try:
            gzip.decompress(corrupt)
        except zlib.error:
            path.write_bytes(corrupt)
            return path
        except (OSError, EOFError):
            continue
    raise AssertionError("no corruption gave zlib.error")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("unterminated.csv", b'id,text\n1,"hello\n2,fine\n', "the row that starts at line 2"),
        ("broken.json", b'[{"id": "a"', r"is not valid JSON \(.* at line 1, column"),
    ],
    ids=["csv-unterminated-quote", "json-broken"],
)
def test_read_corpus_broken_files_name_the_file_and_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as raised:
        read_corpus([path])
    assert str(path) in str(raised.value)


def test_read_corpus_corrupt_gzip_is_one_input_error(tmp_path: Path) -> None:
    path = corrupt_gzip(tmp_path / "x.jsonl.gz")
    with pytest.raises(InputError, match=r"x.jsonl.gz' is a corrupt gzip file \(Error -3"):
        read_corpus([path])


def test_read_corpus_unreadable_file_is_one_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(jsonl(GOOD))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError, match=r"cannot read .*x.jsonl': Permission denied"):
        read_corpus([path])


def test_read_corpus_unreadable_folder_file_is_one_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("words", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InputError, match=r"cannot read .*a.txt': Permission denied"):
        read_corpus([tmp_path])


def test_read_corpus_folder_follows_links_only_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the corpus", encoding="utf-8")
    (folder / "a.txt").write_text("alpha", encoding="utf-8")
    (folder / "inside.txt").symlink_to(folder / "a.txt")
    (folder / "outside.txt").symlink_to(outside)
    (folder / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    result = read_corpus([folder])
    assert result.corpus["doc_id"].to_list() == ["a", "inside"]
    assert "not part of the corpus" not in result.corpus["text"].to_list()
    details = dict(zip(result.invalid["doc_id"], result.invalid["detail"], strict=True))
    assert "outside the input folder" in details["outside"]
    assert "broken link" in details["broken"]
    assert result.unsupported_files == {"(link to a folder)": 1}


def test_read_corpus_folder_file_name_not_utf8_is_invalid_record(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("words", encoding="utf-8")
    Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff.txt")).write_text("text", encoding="utf-8")
    result = read_corpus([tmp_path])
    assert result.corpus["doc_id"].to_list() == ["good"]
    assert result.invalid["doc_id"].to_list() == ["bad\\xff"]
    assert "bad\\xff.txt: file name is not UTF-8" in result.invalid["detail"][0]


def test_read_corpus_folder_counts_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha", encoding="utf-8")
    for name in ("b.pdf", "c.PDF", "README", "d.jsonl"):
        (tmp_path / name).write_bytes(b"x")
    result = read_corpus([tmp_path])
    assert result.corpus["doc_id"].to_list() == ["a"]
    assert result.unsupported_files == {".jsonl": 1, ".pdf": 2, "(no extension)": 1}


def test_read_corpus_folder_of_only_unsupported_files_says_so(tmp_path: Path) -> None:
    (tmp_path / "b.pdf").write_bytes(b"x")
    with pytest.raises(InputError, match=r"holds no .txt, .md, .html, .htm files \(it holds 1"):
        read_corpus([tmp_path])


def test_read_corpus_nul_byte_makes_a_text_file_binary_wherever_it_is(tmp_path: Path) -> None:
    (tmp_path / "early.txt").write_bytes(b"a\x00" + b"words " * 3000)
    (tmp_path / "late.txt").write_bytes(b"words " * 3000 + b"\x00")
    (tmp_path / "good.txt").write_text("words", encoding="utf-8")
    result = read_corpus([tmp_path])
    assert result.corpus["doc_id"].to_list() == ["good"]
    assert all("binary file" in d for d in result.invalid["detail"])


def test_read_corpus_text_file_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfHarbor news")
    assert read_corpus([tmp_path]).corpus["text"].to_list() == ["Harbor news"]


PAGE = (
    "<html><head><title>Site</title><style>p {color: red}</style></head><body>"
    "<nav><a href='/'>Home</a> | <a href='/w'>World</a></nav>"
    "<h1>Harbor <b>barrier</b> approved</h1><p>The council voted.<br>It cost more.</p>"
    "<script>track()</script><div>Photo: <span>AP</span></div></body></html>"
)
PAGE_TEXT = "Home | World\nHarbor barrier approved\nThe council voted.\nIt cost more.\nPhoto: AP"


def test_read_corpus_folder_html_files_become_text_lines(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "b.htm").write_bytes("<p>caf\u00e9</p>".encode("cp1252"))
    result = read_corpus([tmp_path])
    assert result.corpus["text"].to_list() == [PAGE_TEXT, "caf\u00e9"]
    assert result.decoded_with_fallback == 1


def test_read_corpus_html_column_is_the_text_field(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(jsonl({"id": "a", "html": PAGE, "text": "old"}, {"id": "b", "html": None}))
    result = read_corpus([path], InputConfig(html_column="html"))
    assert result.corpus.select("doc_id", "text", "text_original").row(0) == (
        "a",
        PAGE_TEXT,
        "old",
    )
    assert "field 'html' is null or missing" in result.invalid["detail"][0]


def test_read_corpus_html_without_lxml_says_which_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.html").write_text(PAGE, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "lxml", None)
    with pytest.raises(InputError, match=re.escape('pip install "dedupe-corpus[html]"')):
        read_corpus([tmp_path])


def test_read_corpus_expands_a_glob_pattern(tmp_path: Path) -> None:
    (tmp_path / "day").mkdir()
    for name in ("b", "a"):
        (tmp_path / "day" / f"{name}.jsonl.gz").write_bytes(
            gzip.compress(jsonl({"id": name, "text": f"text {name}"}))
        )
    (tmp_path / "day" / "c.csv").write_text("id,text\nc,x\n", encoding="utf-8")
    result = read_corpus([str(tmp_path / "day" / "*.jsonl.gz")])
    assert result.corpus["doc_id"].to_list() == ["a", "b"]
    with pytest.raises(InputError, match="matches no files"):
        read_corpus([str(tmp_path / "day" / "*.parquet")])
