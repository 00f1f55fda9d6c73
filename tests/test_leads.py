import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from dedupe.config import NearConfig
from dedupe.duplicates.fingerprints import fingerprint
from dedupe.duplicates.leads import (
    LEAD_PERM,
    MIN_SHINGLES,
    OPENING_WORDS,
    SHORT_SHINGLES,
    SHORT_SIMILARITY,
    ShortDocumentRule,
    find_lead_candidates,
    lead_signature_column,
    opening_signatures,
    openings,
    polars_openings,
)
from dedupe.duplicates.minhash import EMPTY_HASH
from dedupe.schema import LEAD_SIGNATURE, NORMALIZED

ARTICLE = " ".join(f"word{i} of the long article about the harbor barrier" for i in range(60))
OTHER = " ".join(f"term{i} from an unrelated report on grain prices" for i in range(60))


def test_find_lead_candidates_pairs_a_brief_with_its_article_whatever_their_lengths() -> None:
    brief = " ".join(ARTICLE.split()[:30])
    frame = pl.DataFrame({NORMALIZED: [ARTICLE, OTHER, brief]})
    prints = fingerprint(frame[NORMALIZED], NearConfig())
    pairs = find_lead_candidates(frame, prints, np.arange(3), NearConfig())
    assert pairs.rows() == [(0, 2)]


def test_find_lead_candidates_reads_lead_sets_for_rows_without_a_signature() -> None:
    texts = pl.Series(NORMALIZED, [ARTICLE, ARTICLE + " more words", OTHER])
    column = lead_signature_column(texts, NearConfig())
    assert column.dtype == pl.Array(pl.UInt32, LEAD_PERM)
    frame = pl.DataFrame({LEAD_SIGNATURE: column}).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.col(LEAD_SIGNATURE)).alias(LEAD_SIGNATURE)
    )
    prints = fingerprint(texts, NearConfig())
    pairs = find_lead_candidates(frame, prints, np.arange(3), NearConfig())
    assert pairs.rows() == [(0, 1)]


def test_opening_signatures_of_an_empty_text_never_match() -> None:
    signatures = opening_signatures(pl.Series(["", None]), NearConfig())
    assert signatures.shape == (2, LEAD_PERM)
    assert (signatures == EMPTY_HASH).all()


def test_short_document_rule_asks_more_of_very_short_documents() -> None:
    sizes = np.array(
        [MIN_SHINGLES - 1, MIN_SHINGLES - 1, SHORT_SHINGLES - 1, 200, SHORT_SHINGLES, 10]
    )
    rule = ShortDocumentRule(sizes, threshold=0.5)
    similarity = np.array([1.0, 1.0, 0.65, 0.75, 0.65])
    passed = rule.decide(
        np.array([0, 0, 2, 2, 4]), np.array([3, 5, 3, 3, 3]), np.ones(5, dtype=bool), similarity
    )
    # Tiny inside a long one; tiny beside one of its size; short under SHORT_SIMILARITY; short
    # above it; long enough for the usual thresholds.
    assert SHORT_SIMILARITY == 0.7
    assert passed.tolist() == [False, True, False, True, True]


def test_openings_index_a_headline_with_the_words_after_it() -> None:
    body = " ".join(f"w{i}" for i in range(60))
    texts = pl.Series(["A short headline\n" + body, body, "x " * 30 + "\n" + body])
    normalized = texts.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()
    found = openings(normalized, texts)
    assert found[0] == "a short headline " + " ".join(f"w{i}" for i in range(OPENING_WORDS))
    assert found[1] == " ".join(f"w{i}" for i in range(OPENING_WORDS))
    # A first line longer than HEADLINE_WORDS is no headline.
    assert len(found[2].split()) == OPENING_WORDS
    assert openings(normalized, None)[0].split() == found[0].split()[:OPENING_WORDS]


@given(
    st.lists(
        st.lists(
            st.sampled_from(["a", "Été", "x1", "\u03c3", "", "word", "\n", "  "]), max_size=70
        ).map(" ".join),
        max_size=6,
    )
)
def test_openings_equal_their_polars_reference(texts: list[str]) -> None:
    cleaned = pl.Series(texts, dtype=pl.String)
    normalized = cleaned.str.replace_all(r"\s+", " ").str.strip_chars()
    for given_texts in (None, cleaned):
        assert_series_equal(
            openings(normalized, given_texts), polars_openings(normalized, given_texts)
        )
