import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from dedupe import KeepConfig, NearConfig, PipelineConfig, run
from dedupe.config import CleanConfig, ExactConfig
from dedupe.errors import ConfigError, InputError, SchemaError


@pytest.fixture
def syndicated(samples_dir: Path) -> Path:
    return samples_dir / "syndicated.jsonl"


def test_run_keeps_the_five_seed_write_ups_apart(samples_dir: Path) -> None:
    result = run([samples_dir / "news"])
    assert result.corpus.height == 5
    assert result.dropped.height == 0
    assert result.removed_lines.height > 0


def test_run_marks_exact_and_near_copies_of_the_wire_story(syndicated: Path) -> None:
    result = run([syndicated])
    harbor = result.corpus.filter(
        pl.col("doc_id").str.contains("harbor") & (pl.col("cluster_size") > 1)
    )
    assert harbor.height == 1
    assert harbor["cluster_size"].item() == 5
    reasons = dict(zip(result.dropped["doc_id"], result.dropped["reason"], strict=True))
    assert reasons.get("daily-harbor-trimmed") == "near_duplicate"
    assert reasons.get("post-harbor-edited") == "near_duplicate"
    assert reasons.get("wire-harbor-rescrape") == "exact_duplicate"
    assert "harbor-followup" in result.corpus["doc_id"].to_list()
    assert {"library", "rail"} <= set(result.corpus["doc_id"])


def test_run_kept_row_lists_its_copies_and_their_urls(syndicated: Path) -> None:
    result = run([syndicated], PipelineConfig(keep=KeepConfig(keep="earliest")))
    wire = result.corpus.filter(pl.col("doc_id") == "wire-harbor").row(0, named=True)
    copies = sorted(result.dropped.filter(pl.col("duplicate_of") == "wire-harbor")["doc_id"])
    assert wire["duplicate_ids"] == copies
    assert wire["cluster_size"] == len(copies) + 1
    assert "https://daily.example/news/harbor" in wire["duplicate_urls"]


def test_run_duplicate_of_always_names_a_kept_document(syndicated: Path) -> None:
    result = run([syndicated])
    targets = set(result.dropped["duplicate_of"].drop_nulls())
    assert targets <= set(result.corpus["doc_id"])


def test_run_source_priority_keeps_the_wire_copy(syndicated: Path) -> None:
    config = PipelineConfig(
        keep=KeepConfig(keep="source-priority", source_priority=("wire.example",))
    )
    result = run([syndicated], config)
    assert "wire-harbor" in result.corpus["doc_id"].to_list()


def test_run_emptied_document_is_dropped_with_reason() -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "text": ["Loading...\nShow More", "A real line."]})
    result = run(frame)
    assert result.dropped.select("doc_id", "reason").rows() == [("a", "empty_after_cleaning")]


def test_run_invalid_records_are_in_dropped_and_run_goes_on() -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "text": ["A real sentence here.", None]})
    result = run(frame)
    assert result.corpus["doc_id"].to_list() == ["a"]
    assert result.dropped["reason"].to_list() == ["invalid_record"]


def test_run_stages_can_be_turned_off(syndicated: Path) -> None:
    config = PipelineConfig(
        clean=CleanConfig(enabled=False),
        exact=ExactConfig(enabled=False),
        near=NearConfig(enabled=False),
    )
    result = run([syndicated], config)
    assert result.dropped.height == 0
    assert result.removed_lines.height == 0


def test_run_writes_every_output_file(syndicated: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([syndicated], output=out)
    assert sorted(p.name for p in out.iterdir()) == [
        "corpus.parquet",
        "dropped.parquet",
        "removed_lines.parquet",
        "report.html",
        "report.json",
        "state",
    ]
    assert sorted(p.name for p in (out / "state").iterdir()) == [
        "documents-00000.parquet",
        "lead-00000.parquet",
        "meta.json",
        "shingles-00000.parquet",
        "signatures-00000.parquet",
    ]


def test_run_refuses_output_inside_input(samples_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="overlaps"):
        run([folder], output=folder / "out")


def test_run_report_counts_stages_and_reasons(syndicated: Path) -> None:
    report = run([syndicated]).report.to_dict()
    assert report["counts"]["documents_in"] == 10
    assert [s["name"] for s in report["stages"]] == [
        "read",
        "clean",
        "normalize",
        "fingerprint",
        "rank",
        "exact",
        "near",
        "clusters",
    ]
    assert report["details"]["near"]["bands"] >= 1
    assert report["versions"]["polars"] == pl.__version__


def test_run_handles_a_50_mb_document_without_error() -> None:
    paragraph = "The council met again to discuss the harbor and the market district. "
    big = "\n".join(paragraph * 8 + str(i) for i in range(90_000))
    assert len(big) > 50_000_000
    frame = pl.DataFrame({"id": ["big", "small"], "text": [big, "A short article."]})
    result = run(frame)
    assert result.report.documents_in == 2


def test_run_reports_progress_through_the_callback(syndicated: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    run([syndicated], on_progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = [stage for stage, _, _ in calls]
    assert stages[0] == "read"
    assert {"read", "clean", "near", "clusters"} <= set(stages)
    assert ("clean", 10, 10) in calls


@pytest.mark.parametrize(
    "make_source",
    [
        lambda path: str(path),
        lambda path: path,
        lambda path: [str(path), Path("samples/news")],
        lambda path: pl.read_ndjson(path),
        lambda path: pl.scan_ndjson(path),
        lambda path: pl.read_ndjson(path).to_arrow(),
        lambda path: pl.read_ndjson(path).to_pandas(),
    ],
    ids=["str", "path", "list", "dataframe", "lazyframe", "arrow", "pandas"],
)
def test_run_takes_what_pipelines_hold(
    syndicated: Path, make_source: Callable[[Path], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(syndicated.parent.parent)
    result = run(make_source(syndicated))
    assert result.report.documents_in in (10, 15)
    assert {"coast-harbor", "library", "rail"} <= set(result.corpus["doc_id"])


def test_run_output_may_be_a_string(syndicated: Path, tmp_path: Path) -> None:
    result = run(syndicated, output=str(tmp_path / "out"))
    assert (tmp_path / "out" / "report.json").exists()
    assert result.corpus.height == result.report.kept


@pytest.mark.parametrize("source", [42, [1, 2], {"text": "x"}], ids=["int", "list-of-int", "dict"])
def test_run_refuses_other_sources_saying_what_it_accepts(source: object) -> None:
    with pytest.raises(TypeError, match="a Polars DataFrame or LazyFrame, a pyarrow Table"):
        run(source)


def test_run_refuses_an_output_that_is_not_a_path(syndicated: Path) -> None:
    with pytest.raises(TypeError, match="output must be a folder path"):
        run(syndicated, output=3)  # type: ignore[arg-type]  # the wrong type is the test


def test_run_errors_speak_of_parameters_not_flags() -> None:
    with pytest.raises(SchemaError, match="text_column='body'") as caught:
        run(pl.DataFrame({"id": ["a"], "body": ["text"]}))
    assert "--" not in str(caught.value)


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (KeepConfig(keep="earliest", date_column="nope"), "date_column='nope' is not a column"),
        (KeepConfig(source_column="nope"), "source_column='nope' is not a column"),
        (KeepConfig(keep="earliest"), "needs a date column"),
        (KeepConfig(keep="source-priority", source_priority=("x.example",)), "needs a source"),
    ],
    ids=["date-column", "source-column", "no-date", "no-source"],
)
def test_run_checks_named_columns_on_the_first_batch(keep: KeepConfig, message: str) -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "text": ["One line here.", "Another line."]})
    with pytest.raises(ConfigError, match=message):
        run(frame, PipelineConfig(keep=keep))


def test_run_refuses_source_priorities_that_match_nothing(syndicated: Path) -> None:
    config = PipelineConfig(keep=KeepConfig(keep="source-priority", source_priority=("nope.com",)))
    with pytest.raises(ConfigError, match="matches no document"):
        run(syndicated, config)


def test_run_warns_of_a_source_priority_that_matches_nothing(
    syndicated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="dedupe")
    priority = ("nope.com", "wire.example")
    run(
        syndicated,
        PipelineConfig(keep=KeepConfig(keep="source-priority", source_priority=priority)),
    )
    assert "nope.com" in caplog.text


def test_run_reports_documents_done_per_pass(syndicated: Path, tmp_path: Path) -> None:
    events: list[tuple[str, int, int | None]] = []
    run(syndicated, output=tmp_path / "o", on_progress=lambda *event: events.append(event))
    stages = [stage for stage, _, _ in events]
    assert stages[0] == "read"
    assert ("clean", 10, 10) in events
    assert events[-2:] == [("publish", 0, None), ("publish", 1, 1)]
    assert ("write", 5, 5) in events
    assert {"rank", "exact", "near", "clusters"} <= set(stages)
    reads = [done for stage, done, _ in events if stage == "read"]
    assert reads == sorted(reads)
    assert reads[-1] == 10


REPORT = (
    "{company} said on {day} that revenue for the quarter rose {growth}% to {revenue} billion "
    "dollars, as demand in its main markets held up better than the company had expected. "
    "Chief executive {ceo} said the company would keep its outlook for the full year unchanged "
    "and would update investors at its next results in {month}. The results are unaudited and "
    "a recording of the call will be available on its website."
)


def test_run_reads_the_facts_of_batches_with_other_columns(tmp_path: Path) -> None:
    acme = REPORT.format(
        company="Acme Foods",
        day="Tuesday",
        growth="4.5",
        revenue="3.2",
        ceo="Jane Doe",
        month="May",
    )
    beta = REPORT.format(
        company="Beta Motors",
        day="Monday",
        growth="2.1",
        revenue="7.9",
        ceo="John Roe",
        month="August",
    )
    with_url, without_url = tmp_path / "b.jsonl", tmp_path / "a.jsonl"
    pl.DataFrame({"id": ["acme"], "text": [acme], "url": ["https://a.example/1"]}).write_ndjson(
        with_url
    )
    pl.DataFrame({"id": ["beta"], "text": [beta]}).write_ndjson(without_url)
    # Each file is a batch of its own, and only the second has a url: the check of the facts
    # reads the texts of both spilled batches.
    result = run([without_url, with_url])
    assert result.dropped.height == 0
    assert result.report.details["near"]["fact_vetoes"] == 1
