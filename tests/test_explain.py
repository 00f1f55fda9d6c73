"""`explain` answers from an output folder alone, for every kind of ledger row."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedupe import run
from dedupe.cli import app
from dedupe.errors import InputError
from dedupe.review.diff import diff_text, word_diff
from dedupe.review.explain import explain, explanation_text
from tests.test_ledger import words


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with exact, near, containment, emptied and invalid rows."""
    folder = tmp_path_factory.mktemp("explain")
    base = words(1, 200)
    records = [
        {"doc_id": "long", "title": "Long", "text": base + " " + words(2, 30)},
        {"doc_id": "short", "title": "Short", "text": "Loading...\n" + base},
        {"doc_id": "short-twin", "title": "Short twin", "text": base},
        {"doc_id": "other", "title": "Other", "text": words(3, 400)},
        {"doc_id": "trimmed", "title": "Trimmed", "text": " ".join(words(3, 400).split()[:180])},
        {"doc_id": "emptied", "title": "Chrome", "text": "Loading...\nShow More"},
        {"doc_id": "no-text", "title": "Broken", "text": None},
    ]
    source = folder / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    run([source], output=folder / "out")
    return folder / "out"


def one(output: Path, doc_id: str):  # type: ignore[no-untyped-def]
    return explain(output, [doc_id])[0]


def test_explain_exact_duplicate_names_its_twin_and_the_canonical(output: Path) -> None:
    e = one(output, "short-twin")
    assert (e.status, e.reason, e.measure) == ("dropped", "exact_duplicate", "exact")
    assert (e.matched, e.duplicate_of, e.similarity) == ("short", "long", 1.0)
    assert "short is itself a copy" in e.why
    assert e.diff is None
    assert {m.doc_id for m in e.members} == {"long", "short", "short-twin"}


def test_explain_near_duplicate_has_threshold_diff_and_removed_lines(output: Path) -> None:
    e = one(output, "short")
    assert (e.reason, e.measure, e.matched, e.threshold) == (
        "near_duplicate",
        "jaccard",
        "long",
        0.5,
    )
    assert e.similarity is not None
    assert e.similarity >= 0.5
    assert e.diff is not None
    assert [s.op for s in e.diff] == ["equal", "delete"]
    assert [(r.line_no, r.rule) for r in e.removed_lines] == [(1, "builtin:widget")]
    text = explanation_text(e)
    assert "jaccard" in text
    assert ">= threshold 0.5" in text
    assert "[-" in text


def test_explain_containment_uses_the_containment_threshold(output: Path) -> None:
    e = one(output, "trimmed")
    assert (e.measure, e.threshold, e.matched) == ("containment", 0.6, "other")


def test_explain_emptied_document_lists_every_removed_line(output: Path) -> None:
    e = one(output, "emptied")
    assert e.reason == "empty_after_cleaning"
    assert [r.line for r in e.removed_lines] == ["Loading...", "Show More"]
    assert "every line was removed" in e.why


def test_explain_invalid_record_gives_the_detail(output: Path) -> None:
    e = one(output, "no-text")
    assert e.reason == "invalid_record"
    assert e.detail
    assert "text" in e.detail
    assert e.why.startswith("dropped: invalid_record")


def test_explain_kept_canonical_lists_its_cluster(output: Path) -> None:
    e = one(output, "long")
    assert e.status == "kept"
    assert e.members[0].doc_id == "long"
    assert e.members[0].role == "canonical"
    assert "cluster of 3" in e.why


def test_explain_unknown_id_raises_input_error(output: Path) -> None:
    with pytest.raises(InputError, match="'nope' is in neither corpus nor dropped"):
        explain(output, ["long", "nope"])


def test_explain_command_unknown_id_is_one_line_and_exit_1(output: Path) -> None:
    result = CliRunner().invoke(app, ["explain", str(output), "nope"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


def test_explain_command_json_is_a_list_of_explanations(output: Path) -> None:
    result = CliRunner().invoke(app, ["explain", str(output), "short", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["matched"] == "long"
    assert data[0]["diff"][0]["op"] == "equal"


def test_word_diff_marks_changed_words_inside_shared_passages() -> None:
    segments = word_diff("a b c d", "a x c d e")
    assert "".join(s.before for s in segments) == "a b c d"
    assert "".join(s.after for s in segments) == "a x c d e"
    assert diff_text(segments) == "a [-b-] {+x+} c d {+e+}"


def test_explain_learned_line_says_how_many_documents_taught_it(tmp_path: Path) -> None:
    import polars as pl

    texts = [f"Sponsored by Acme Widgets\n{words(10 + n, 120)}" for n in range(6)]
    frame = pl.DataFrame({"doc_id": [f"d{n}" for n in range(6)], "text": texts})
    run(frame, output=tmp_path / "out")
    lines = one(tmp_path / "out", "d0").removed_lines
    assert [(r.line_no, r.rule, r.taught_by) for r in lines] == [(1, "learned:corpus", 6)]
