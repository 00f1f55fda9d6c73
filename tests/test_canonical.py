import polars as pl
import pytest

from dedupe.config import KeepConfig
from dedupe.duplicates.canonical import rank_documents
from dedupe.schema import url_host


@pytest.fixture
def copies() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": [0, 1, 2, 3],
            "doc_id": ["d", "c", "b", "a"],
            "text": ["short", "the longest text", "medium text", "medium text"],
            "published": ["2024-01-03", "2024-01-02", None, "2024-01-01"],
            "url": [
                "https://www.reprint.example/x",
                "https://wire.example/y",
                "http://other.example:8080/z",
                "https://reprint.example/w",
            ],
        }
    )


def ranks(frame: pl.DataFrame, config: KeepConfig) -> list[str]:
    return rank_documents(frame, config).sort("_rank")["doc_id"].to_list()


def test_rank_documents_longest_breaks_ties_by_doc_id(copies: pl.DataFrame) -> None:
    assert ranks(copies, KeepConfig(keep="longest")) == ["c", "a", "b", "d"]


def test_rank_documents_first_follows_input_order(copies: pl.DataFrame) -> None:
    assert ranks(copies, KeepConfig(keep="first")) == ["d", "c", "b", "a"]


def test_rank_documents_earliest_puts_missing_dates_last(copies: pl.DataFrame) -> None:
    assert ranks(copies, KeepConfig(keep="earliest")) == ["a", "c", "d", "b"]


def test_rank_documents_source_priority_uses_url_hosts(copies: pl.DataFrame) -> None:
    config = KeepConfig(keep="source-priority", source_priority=("wire.example", "reprint.example"))
    assert ranks(copies, config) == ["c", "a", "d", "b"]


def test_rank_documents_earliest_without_date_column_keeps_longest(
    copies: pl.DataFrame,
) -> None:
    assert ranks(copies.drop("published"), KeepConfig(keep="earliest"))[0] == "c"


def test_url_host_strips_scheme_www_port_and_path() -> None:
    frame = pl.DataFrame({"url": ["https://WWW.Example.com:443/a?b", "example.org/x", None]})
    hosts = frame.select(url_host("url")).to_series().to_list()
    assert hosts == ["example.com", "example.org", None]
