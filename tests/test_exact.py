import polars as pl
from polars.testing import assert_frame_equal

from dedupe.config import ExactConfig
from dedupe.duplicates.exact import mark_exact_duplicates


def frame(keys: list[str], ranks: list[int], reasons: list[str | None]) -> pl.DataFrame:
    n = len(keys)
    return pl.DataFrame(
        {
            "doc_id": [chr(ord("a") + i) for i in range(n)],
            "_content_key": [ord(k) for k in keys],
            "_rank": ranks,
            "reason": reasons,
            "duplicate_of": [None] * n,
            "similarity": [None] * n,
        },
        schema_overrides={"reason": pl.String, "duplicate_of": pl.String, "similarity": pl.Float64},
    )


def test_mark_exact_duplicates_keeps_lowest_rank_and_sets_reason() -> None:
    result = mark_exact_duplicates(frame(["x", "x", "y"], [1, 0, 2], [None] * 3), ExactConfig())
    assert result["reason"].to_list() == ["exact_duplicate", None, None]
    assert result["duplicate_of"].to_list() == ["b", None, None]
    assert result["similarity"].to_list() == [1.0, None, None]


def test_mark_exact_duplicates_ignores_rows_already_dropped() -> None:
    result = mark_exact_duplicates(
        frame(["x", "x", "x"], [0, 1, 2], ["invalid_record", None, None]), ExactConfig()
    )
    assert result["reason"].to_list() == ["invalid_record", None, "exact_duplicate"]
    assert result["duplicate_of"].to_list() == [None, None, "b"]


def test_mark_exact_duplicates_disabled_returns_input() -> None:
    corpus = frame(["x", "x"], [0, 1], [None, None])
    assert_frame_equal(mark_exact_duplicates(corpus, ExactConfig(enabled=False)), corpus)


def test_add_content_keys_equal_for_equal_normalized_text() -> None:
    from dedupe.duplicates.exact import add_content_keys

    keyed = add_content_keys(pl.DataFrame({"_normalized": ["a b", "a b", "a c"]}))
    keys = keyed["_content_key"].to_list()
    assert keys[0] == keys[1] != keys[2]
