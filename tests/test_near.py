import numpy as np
import polars as pl

from dedupe.config import NearConfig
from dedupe.duplicates import near
from dedupe.duplicates.near import lsh_parameters, mark_near_duplicates
from dedupe.duplicates.verify import score_pairs
from dedupe.normalize import normalized_text

PARAGRAPHS = [
    "the council of the harbor city voted on tuesday to fund a movable flood barrier at the "
    "mouth of the old port after a storm season that flooded the market district four times",
    "engineers told the council that the barrier a pair of steel gates resting on the seabed "
    "would rise when forecasts show a surge of more than one and a half metres above the tide",
    "the project is expected to cost about 240 million and to take six years to build half of "
    "the money will come from a regional resilience fund and the rest from a bond issue",
    "shop owners in the market district welcomed the decision but said they needed help sooner "
    "several bakeries and a hardware store have closed since the autumn floods this year",
    "the mayor said temporary pumps and sandbag stations would stay in place until the barrier "
    "opens and that the city would publish a flood map for every street by the end of the year",
]


def corpus(texts: dict[str, str], ranks: dict[str, int] | None = None) -> pl.DataFrame:
    ids = list(texts)
    frame = pl.DataFrame({"doc_id": ids, "text": list(texts.values())})
    return frame.with_columns(
        normalized_text().alias("_normalized"),
        pl.Series("_rank", [(ranks or {}).get(d, i) for i, d in enumerate(ids)]),
        pl.lit(None, pl.String).alias("reason"),
        pl.lit(None, pl.String).alias("duplicate_of"),
        pl.lit(None, pl.Float64).alias("similarity"),
    )


def outcome(frame: pl.DataFrame, config: NearConfig | None = None) -> dict[str, str | None]:
    marked = mark_near_duplicates(frame, config or NearConfig()).corpus
    return dict(zip(marked["doc_id"], marked["duplicate_of"], strict=True))


def test_mark_near_duplicates_sets_reason_and_similarity() -> None:
    edited = " ".join(PARAGRAPHS).replace("tuesday", "monday")
    frame = corpus({"original": " ".join(PARAGRAPHS), "edited": edited})
    marked = mark_near_duplicates(frame, NearConfig()).corpus
    row = marked.filter(pl.col("doc_id") == "edited").row(0, named=True)
    assert row["reason"] == "near_duplicate"
    assert row["duplicate_of"] == "original"
    assert 0.8 < row["similarity"] < 1.0


def test_mark_near_duplicates_catches_a_trimmed_copy_by_containment() -> None:
    frame = corpus({"full": " ".join(PARAGRAPHS), "trimmed": " ".join(PARAGRAPHS[:2])})
    assert outcome(frame)["trimmed"] == "full"


def test_mark_near_duplicates_keeps_a_follow_up_reusing_background_paragraphs() -> None:
    follow_up = (
        "investors bought the whole issue of harbor resilience bonds within hours on monday "
        "the city treasurer said and demand was more than twice the amount the city offered "
        + PARAGRAPHS[1]
        + " "
        + PARAGRAPHS[2]
    )
    frame = corpus({"original": " ".join(PARAGRAPHS), "follow_up": follow_up})
    assert outcome(frame, NearConfig(containment_threshold=0.5))["follow_up"] is None


def test_mark_near_duplicates_very_short_documents_can_match() -> None:
    frame = corpus({"a": "flood barrier", "b": "flood barrier!", "c": "apple frost"})
    result = outcome(frame)
    assert result["b"] == "a"
    assert result["c"] is None


def test_mark_near_duplicates_only_considers_rows_without_a_reason() -> None:
    frame = corpus({"a": " ".join(PARAGRAPHS), "b": " ".join(PARAGRAPHS)}).with_columns(
        pl.when(pl.col("doc_id") == "a").then(pl.lit("invalid_record")).alias("reason")
    )
    assert outcome(frame)["b"] is None


def test_mark_near_duplicates_without_verify_uses_the_minhash_estimate() -> None:
    frame = corpus({"a": " ".join(PARAGRAPHS), "b": " ".join(PARAGRAPHS) + " extra words"})
    assert outcome(frame, NearConfig(verify=False))["b"] == "a"


def test_mark_near_duplicates_disabled_marks_nothing() -> None:
    frame = corpus({"a": "same text here", "b": "same text here"})
    assert set(outcome(frame, NearConfig(enabled=False)).values()) == {None}


def test_lsh_parameters_explicit_and_derived() -> None:
    assert lsh_parameters(NearConfig(bands=8, rows=4)) == (8, 4)
    bands, rows = lsh_parameters(NearConfig())
    assert bands * rows <= NearConfig().num_perm


def test_mark_near_duplicates_stats_count_pairs() -> None:
    frame = corpus({"a": " ".join(PARAGRAPHS), "b": " ".join(PARAGRAPHS)})
    stats = mark_near_duplicates(frame, NearConfig()).stats
    assert stats["candidate_pairs"] == stats["verified_pairs"] == 1
    assert np.isfinite(stats["bands"])


ARTICLE = " ".join(PARAGRAPHS * 3)
TEMPLATE = (
    "{company} said on {day} that revenue for the quarter rose {growth}% to {revenue} billion "
    "dollars, as demand in its main markets held up better than the company had expected. "
    "Chief executive {ceo} said the company would keep its outlook for the full year unchanged "
    "and would update investors at its next results in {month}. The results are unaudited and "
    "a recording of the call will be available on its website."
)
ACME = TEMPLATE.format(
    company="Acme Foods",
    day="Tuesday",
    growth="4.5",
    revenue="3.2",
    ceo="Jane Doe",
    month="May",
)
BETA = TEMPLATE.format(
    company="Beta Motors",
    day="Monday",
    growth="2.1",
    revenue="7.9",
    ceo="John Roe",
    month="August",
)


def test_mark_near_duplicates_finds_a_brief_by_its_opening() -> None:
    brief = " ".join(ARTICLE.split()[:40])
    frame = corpus({"article": ARTICLE, "brief": brief})
    # Banding that only catches near-identical pairs: the brief (Jaccard about 0.1) can only
    # be found by the index over openings.
    marked = mark_near_duplicates(frame, NearConfig(bands=4, rows=32))
    assert dict(zip(marked.corpus["doc_id"], marked.corpus["duplicate_of"], strict=True)) == {
        "article": None,
        "brief": "article",
    }
    assert marked.stats["lead_candidate_pairs"] == 1


def test_mark_near_duplicates_keeps_templated_reports_apart_and_reports_the_facts() -> None:
    marked = mark_near_duplicates(corpus({"acme": ACME, "beta": BETA}), NearConfig())
    assert marked.corpus["reason"].to_list() == [None, None]
    assert marked.stats["fact_vetoes"] == 1
    [pair] = marked.stats["vetoed_pairs"]
    assert (pair["doc_id"], pair["other"]) == ("acme", "beta")
    assert pair["jaccard"] < 0.65
    assert {"4.5%", "Tuesday", "Jane Doe"} <= set(pair["facts_only_in_doc"])
    assert {"2.1%", "Monday", "John Roe"} <= set(pair["facts_only_in_other"])


def test_mark_near_duplicates_merges_reports_sharing_most_shingles_unchecked() -> None:
    # A re-sent notice with two figures changed shares most of its shingles: one story.
    long_notice = ACME + " " + " ".join(PARAGRAPHS)
    changed = long_notice.replace("4.5", "4.7").replace("3.2", "3.3")
    marked = mark_near_duplicates(corpus({"a": long_notice, "b": changed}), NearConfig())
    assert marked.corpus["duplicate_of"].to_list() == [None, "a"]
    assert marked.stats["fact_vetoes"] == 0


def test_mark_near_duplicates_merges_a_correction_of_one_figure() -> None:
    corrected = ACME.replace("3.2 billion", "3.4 billion").rsplit(" This release", 1)[0]
    marked = mark_near_duplicates(corpus({"acme": ACME, "corrected": corrected}), NearConfig())
    assert marked.corpus["duplicate_of"].to_list() == [None, "acme"]
    assert marked.stats["fact_vetoes"] == 0


def test_mark_near_duplicates_very_short_documents_follow_their_rule() -> None:
    words = ARTICLE.split()
    frame = corpus(
        {
            "article": ARTICLE,
            # A headline and one sentence, all of it the article's opening: a brief.
            "headline_and_sentence": " ".join(words[:26]),
            # Under MIN_SHINGLES shingles, inside the article: never a copy by containment.
            "phrase": " ".join(words[:6]),
        }
    )
    result = outcome(frame, NearConfig(bands=4, rows=32))
    assert result == {"article": None, "headline_and_sentence": "article", "phrase": None}


# Banding that only catches near-identical pairs: a brief is found by its opening or not at all.
BRIEF_ONLY = NearConfig(bands=4, rows=32)


def test_mark_near_duplicates_finds_a_brief_under_a_headline_of_its_own() -> None:
    # The brief's new headline is as long as a sentence: counted in a 25-word window, it
    # would leave the two openings a few words in common; after it, they share 25.
    article = "Harbor city to build a flood barrier\n" + ARTICLE
    headline = "council votes for steel gates at the mouth of the old port after four floods in "
    headline += "one storm season"
    brief = headline + "\n" + " ".join(ARTICLE.split()[:40])
    marked = mark_near_duplicates(corpus({"article": article, "brief": brief}), BRIEF_ONLY)
    assert marked.corpus["duplicate_of"].to_list() == [None, "article"]
    assert marked.stats["lead_candidate_pairs"] == 1


def test_mark_near_duplicates_scores_each_candidate_pair_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    scored: list[int] = []

    def counting(pairs, offsets, hashes, **kwargs):  # type: ignore[no-untyped-def]
        scored.append(pairs.height)
        return score_pairs(pairs, offsets, hashes, **kwargs)

    monkeypatch.setattr(near, "score_pairs", counting)
    edited = " ".join(PARAGRAPHS).replace("tuesday", "monday")
    trimmed = " ".join(PARAGRAPHS[:3])
    frame = corpus({"original": " ".join(PARAGRAPHS), "edited": edited, "trimmed": trimmed})
    stats = mark_near_duplicates(frame, NearConfig()).stats
    # One score of the candidate pairs and one of their leads: not again for the check of the
    # facts, the record of similarities or the measure of each copy.
    assert len(scored) == 2
    assert scored[0] == stats["plausible_pairs"]
