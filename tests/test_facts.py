import numpy as np
import polars as pl
import pytest

import dedupe.duplicates.facts as facts_module
from dedupe.duplicates.facts import (
    FACTS_TYPE,
    MIN_SUBSTITUTED,
    VETO_JACCARD,
    FactCheck,
    fact_places,
    is_vetoed,
    substituted_facts,
)

EARNINGS = (
    "Shares of {company} rose {move}% to {price} dollars on {day}, after the company said "
    "revenue grew to {revenue} billion dollars. Chief executive {ceo} said demand was strong "
    "in {city} and the outlook for the year was unchanged."
)
ACME = EARNINGS.format(
    company="Acme Corp",
    move="4.5",
    price="12.30",
    day="Tuesday",
    revenue="3.2",
    ceo="Jane Doe",
    city="Boston",
)
BETA = EARNINGS.format(
    company="Beta Inc",
    move="2.1",
    price="40.10",
    day="Monday",
    revenue="7.9",
    ceo="John Roe",
    city="Denver",
)
ACME_CORRECTED = ACME.replace("3.2 billion", "3.4 billion")
# A trimmed copy with a paragraph added: it loses facts and gains others, in other sentences.
ACME_UPDATED = ACME.split(" Chief")[0] + " Analysts at Gamma Bank in Paris cut their forecast."


def facts_of(*texts: str | None) -> pl.Series:
    return fact_places(pl.Series(list(texts), dtype=pl.String))


def test_fact_places_keep_runs_of_capitals_and_figures_with_their_neighbours() -> None:
    [facts] = facts_of("Shares of Acme Corp rose 4.5% to 9C on Tuesday.\nThe Bank said so.")
    assert [(f["place"], f["fact"]) for f in facts] == [
        ("of|rose", "Acme Corp"),
        ("rose|to", "4.5%"),
        ("to|on", "9C"),
        ("on|", "Tuesday"),
        # A name of two capitalized words opening a sentence counts.
        ("|said", "The Bank"),
    ]


def test_fact_places_skip_headlines_in_capitals_and_words_opening_a_sentence() -> None:
    [facts] = facts_of("MARKETS RALLY AS FED HOLDS\nThe shares rose. But the bank fell.")
    assert facts.to_list() == []


@pytest.mark.parametrize(
    "noisy",
    [
        "Shares of AT&amp;T rose in Trump&#8217;s Dallas.",
        "Shares of AT&T rose in Trump\u2019s Dallas.",
    ],
    ids=["entities", "typography"],
)
def test_fact_places_agree_across_entity_residue_and_typography(noisy: str) -> None:
    clean, other = facts_of("Shares of AT&T rose in Trump's Dallas.", noisy)
    assert other.to_list() == clean.to_list()


def test_fact_places_of_null_are_null_and_of_no_fact_empty() -> None:
    missing, plain = facts_of(None, "nothing to see here")
    assert missing is None
    assert plain.to_list() == []


def test_substituted_facts_counts_places_where_both_hold_a_fact_of_their_own() -> None:
    acme, beta, corrected, updated = facts_of(ACME, BETA, ACME_CORRECTED, ACME_UPDATED)
    found = substituted_facts(
        pl.Series([acme, acme, acme], dtype=FACTS_TYPE),
        pl.Series([beta, corrected, updated], dtype=FACTS_TYPE),
    )
    reports, correction, update = found.rows(named=True)
    assert reports["substituted"] == reports["places"] == 7
    assert {"Acme Corp", "Jane Doe", "Tuesday"} <= set(reports["only_left"])
    assert (correction["only_left"], correction["only_right"]) == (["3.2"], ["3.4"])
    # The update's new facts stand in new sentences: nothing is substituted.
    assert update["substituted"] == 0
    assert is_vetoed(found).tolist() == [True, False, False]


def test_is_vetoed_needs_several_substitutions_and_a_share_of_the_places() -> None:
    found = pl.DataFrame(
        {"places": [4, 40, 6, None], "substituted": [2, 3, 1, None]},
        schema={"places": pl.UInt32, "substituted": pl.UInt32},
    )
    assert MIN_SUBSTITUTED == 2
    # Templated; a copy with noise in 3 of its 40 places; a correction; unknown facts.
    assert is_vetoed(found).tolist() == [True, False, False, False]


def fact_source(facts: pl.Series):  # type: ignore[no-untyped-def]
    asked: list[list[int]] = []

    def source(rows: np.ndarray) -> pl.Series:
        asked.append(sorted(rows.tolist()))
        return facts.gather(rows)

    return source, asked


def test_fact_check_vetoes_templated_reports_and_reports_their_facts() -> None:
    source, _ = fact_source(facts_of(ACME, BETA, ACME_CORRECTED))
    check = FactCheck(source, 3)
    passed = check.decide(
        np.array([0, 0]), np.array([1, 2]), np.array([True, True]), np.full(2, 0.5)
    )
    assert passed.tolist() == [False, True]
    vetoes = check.vetoes(pl.Series(["acme", "beta", "acme-corrected"]))
    assert vetoes["fact_vetoes"] == 1
    [pair] = vetoes["vetoed_pairs"]
    assert (pair["doc_id"], pair["other"], pair["substituted"]) == ("acme", "beta", 7)
    assert "Acme Corp" in pair["facts_only_in_doc"]
    assert "Beta Inc" in pair["facts_only_in_other"]


def test_fact_check_leaves_pairs_sharing_most_shingles_and_unknown_ones_alone() -> None:
    source, _ = fact_source(facts_of(ACME, BETA, None))
    check = FactCheck(source, 3)
    passed = check.decide(
        np.array([0, 0]), np.array([1, 2]), np.array([True, True]), np.array([VETO_JACCARD, 0.5])
    )
    assert passed.tolist() == [True, True]
    assert check.vetoes(pl.Series(["a", "b", "c"])) == {"fact_vetoes": 0, "vetoed_pairs": []}


def test_fact_check_asks_facts_only_of_passing_pairs_and_once() -> None:
    source, asked = fact_source(facts_of(ACME, BETA, ACME_CORRECTED, BETA))
    check = FactCheck(source, 4)
    left, right = np.array([0, 0, 1]), np.array([1, 2, 3])
    jaccard = np.array([0.5, 0.5, 0.95])
    check.decide(left, right, np.array([True, False, True]), jaccard)
    check.decide(left, right, np.array([True, False, True]), jaccard)
    # Only the rows of passing pairs below VETO_JACCARD are asked, and only once.
    assert asked == [[0, 1]]


def test_fact_check_asks_nothing_when_every_pair_shares_most_shingles() -> None:
    source, asked = fact_source(facts_of(ACME, BETA))
    passed = FactCheck(source, 2).decide(
        np.array([0]), np.array([1]), np.array([True]), np.array([0.99])
    )
    assert passed.tolist() == [True]
    assert asked == []


def test_fact_check_in_chunks_of_one_decides_as_in_one_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = facts_of(ACME, BETA, ACME_CORRECTED, BETA, ACME_UPDATED)
    left, right = np.array([0, 0, 1, 2, 0, 3]), np.array([1, 2, 3, 4, 4, 4])
    passed, jaccard = np.ones(6, dtype=bool), np.full(6, 0.5)
    whole = FactCheck(fact_source(texts)[0], 5).decide(left, right, passed, jaccard)
    source, asked = fact_source(texts)
    monkeypatch.setattr(facts_module, "CHUNK_DOCUMENTS", 1)
    monkeypatch.setattr(facts_module, "CHUNK_PAIRS", 1)
    assert FactCheck(source, 5).decide(left, right, passed, jaccard).tolist() == whole.tolist()
    assert not whole.all()
    # One document at a time, each once.
    assert asked == [[0], [1], [2], [3], [4]]


def test_substituted_facts_count_each_figure_a_table_keeps_in_its_place() -> None:
    # A results table corrected in two of its figures (Reuters 8335 and 8339): its rows repeat
    # their places, and the figures both keep in place count as places both fill.
    table = (
        "Qtr ends Dec 31\n    Net loss 52,922 vs profit 220,041\n    Revs 481,832 vs 824,554\n"
        "    Six mths\n    Net loss 104,129 vs profit 345,515\n    Revs {revs} vs {prior}\n"
    )
    found = substituted_facts(
        facts_of(table.format(revs="934,685", prior="1,465,153")),
        facts_of(table.format(revs="937,685", prior="1,460,000")),
    )
    assert found["substituted"].to_list() == [2]
    assert found["places"].to_list() == [9]  # 2 substituted, 7 figures kept in place
    assert not is_vetoed(found)[0]


def test_substituted_facts_a_name_run_ending_at_another_line_break_is_no_substitution() -> None:
    # Reuters 8290 and 8389: the same sentence wrapped at other words.
    found = substituted_facts(
        facts_of("U.S. House Ways and Means\nCommittee Chairman Dan Rostenkowski said so."),
        facts_of("House Ways and Means Committee\nChairman Dan Rostenkowski said so."),
    )
    assert found["substituted"].to_list() == [0]


def test_substituted_facts_a_name_with_character_noise_is_no_substitution() -> None:
    found = substituted_facts(
        facts_of("Shares of Credit Suisse rose 1.5% after John Smith spoke."),
        facts_of("Shares of Creidt Suisse rose 1.5% after Jane Smith spoke."),
    )
    # Creidt/Credit is noise; Jane/John Smith is another person.
    assert found["substituted"].to_list() == [1]
    assert found["only_left"].to_list() == [["John Smith"]]


def test_substituted_facts_a_figure_one_digit_apart_is_a_substitution() -> None:
    found = substituted_facts(
        facts_of("Revenue rose to 934,685 dollars on Monday."),
        facts_of("Revenue rose to 937,685 dollars on Monday."),
    )
    assert found["substituted"].to_list() == [1]
