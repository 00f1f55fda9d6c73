import polars as pl
from polars.testing import assert_frame_equal

from dedupe.clean.lines import explode_lines, fold_kept_lines


def test_explode_lines_numbers_lines_from_one_over_all_newline_kinds() -> None:
    corpus = pl.DataFrame({"doc_id": ["a", "b"], "text": ["x\r\ny\rz\n", ""]})
    expected = pl.DataFrame(
        {
            "doc_id": ["a", "a", "a", "a", "b"],
            "line_no": [1, 2, 3, 4, 1],
            "line": ["x", "y", "z", "", ""],
        },
        schema={"doc_id": pl.String, "line_no": pl.Int32, "line": pl.String},
    )
    assert_frame_equal(explode_lines(corpus), expected)


def test_fold_kept_lines_keeps_rows_columns_and_drops_empty_lines() -> None:
    corpus = pl.DataFrame({"doc_id": ["a", "b"], "text": ["x \n\ny", "gone"], "url": ["u", "v"]})
    kept = explode_lines(corpus).filter(pl.col("doc_id") == "a")
    folded = fold_kept_lines(corpus, kept)
    assert folded.columns == ["doc_id", "text", "url"]
    assert folded.get_column("text").to_list() == ["x\ny", ""]
    assert folded.get_column("url").to_list() == ["u", "v"]
