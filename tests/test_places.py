"""The compiled reading of facts equals its Polars reference."""

import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from dedupe.duplicates.places import FACTS_TYPE, fact_places, polars_fact_places

# Words of every kind the rules tell apart: capitals, figures, sentence ends, end
# punctuation, entity residue, hyphenated wraps, non-ASCII letters, figures and spaces.
PIECES = [
    "Acme",
    "Corp",
    "the",
    "said",
    "The",
    "But",
    "rose",
    "4.5%",
    "1,200",
    "U.S.",
    "end.",
    'said."',
    "(D-Ill.)",
    "AT&amp;T",
    "Micro-\nsoft",
    "Été",
    "zürich",
    "ΟΔΟΣ",
    "\u03c3",
    "Σ",
    "٣",
    "Ⅻ",
    "ǅ",
    "...",
    "!",
    "'",
    "\n",
    "\n\n",
    " ",
    "  ",
    "\t",
    "\u2009",
    "\u00a0",
    "\u3000",
    "\u2019s",
    "\u201cQuote\u201d",
    "HEADLINE",
    "IN",
    "CAPS",
    "x",
    "42",
    "Jane",
    "Doe",
]


@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join), max_size=8))
def test_fact_places_equals_the_polars_reference(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    assert_series_equal(fact_places(series), polars_fact_places(series))


@given(st.lists(st.text(max_size=60), max_size=6))
def test_fact_places_equals_the_polars_reference_on_any_text(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    assert_series_equal(fact_places(series), polars_fact_places(series))


def test_fact_places_of_null_empty_and_no_fact() -> None:
    found = fact_places(pl.Series([None, "", "no facts here at all"], dtype=pl.String))
    assert found.dtype == FACTS_TYPE
    assert found.to_list() == [None, [], []]
