import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from dedupe.normalize import is_blank, normalize_texts, normalized_text


def normalize(text: str) -> str:
    return str(pl.DataFrame({"text": [text]}).select(normalized_text()).item())


def test_normalized_text_folds_nbsp_zero_width_quotes_and_case() -> None:
    assert normalize("\u201cA\u00a0\u00a0Big\u200b  Day\u201d\n") == '"a big day"'


def test_normalized_text_applies_nfkc() -> None:
    assert normalize("\ufb01ne \uff21") == "fine a"


def test_is_blank_counts_nbsp_and_zero_width_as_blank() -> None:
    frame = pl.DataFrame({"line": ["\u00a0", " \u200b ", "", "x"]})
    assert frame.select(is_blank("line")).to_series().to_list() == [True, True, True, False]


@given(st.text())
def test_normalized_text_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


TRICKY = (
    " \t\n\u00a0\u2003\u3000\u0085aAe\u0301\ufb01\u2460\u2019\u201c\u2014\u200b\u0130\u2121x"
    "\u00a9\u00a3\u00bb\u00bd\u00b2\u00c9\u00ad\u0308"
)
tricky_text = st.text(alphabet=st.sampled_from(list(TRICKY)), max_size=30)
# Pure-ASCII texts take the fast path of `normalize_texts`; mixed with others in one series.
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=30)


@given(st.lists(tricky_text | st.text() | ascii_text, max_size=8))
def test_normalize_texts_equals_the_expression(texts: list[str]) -> None:
    series = pl.Series("text", texts, dtype=pl.String)
    expected = series.to_frame().select(normalized_text()).to_series()
    assert normalize_texts(series).to_list() == expected.to_list()


def test_normalize_texts_keeps_row_order_and_nulls_across_its_ascii_path() -> None:
    series = pl.Series("text", ["\u00c9T\u00c9", "A\t\tB ", None, "  x\u00a0y", "Z\n\nz"])
    assert normalize_texts(series).to_list() == ["\u00e9t\u00e9", "a b", None, "x y", "z z"]
    assert normalize_texts(series).name == "text"
