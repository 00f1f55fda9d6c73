"""Unit tests of the benchmark metrics, the synthetic generator and the quality gate.

They use small literal inputs only: the real corpora under ../shared/data are not needed.
"""

from __future__ import annotations

import math
from itertools import combinations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.cleaning import score_snippets
from benchmarks.metrics import (
    PairScores,
    adjusted_rand_index,
    pair_counts,
    pair_scores,
    predicted_clusters_from_result,
)
from benchmarks.quality import (
    check_against_baseline,
    hard_negative_merges,
    templated_merges,
    updated_baseline,
)
from benchmarks.synth import (
    CORPUS_COLUMNS,
    LABEL_COLUMNS,
    Article,
    SynthConfig,
    add_variable_chrome,
    frame_sha256,
    generate_corpus,
    unique_articles,
)

TRUTH = ["a", "a", "a", "b", "b", "c"]


def brute_force_counts(truth: list[str], predicted: list[str]) -> tuple[int, int, int]:
    true_pairs = predicted_pairs = agreeing = 0
    for i, j in combinations(range(len(truth)), 2):
        same_true, same_predicted = truth[i] == truth[j], predicted[i] == predicted[j]
        true_pairs += same_true
        predicted_pairs += same_predicted
        agreeing += same_true and same_predicted
    return true_pairs, predicted_pairs, agreeing


# --- pair scores ---------------------------------------------------------------------------


def test_pair_scores_perfect_clustering_scores_one() -> None:
    assert pair_scores(TRUTH, [7, 7, 7, 8, 8, 9]) == PairScores(1.0, 1.0, 1.0)


def test_pair_scores_all_merged_has_full_recall_and_low_precision() -> None:
    precision, recall, f1 = pair_scores(TRUTH, ["x"] * 6)
    # 4 true pairs (3 in a, 1 in b) among C(6, 2) = 15 predicted pairs.
    assert (precision, recall) == (4 / 15, 1.0)
    assert f1 == pytest.approx(2 * (4 / 15) / (4 / 15 + 1))


def test_pair_scores_all_split_has_full_precision_and_zero_recall() -> None:
    assert pair_scores(TRUTH, list(range(6))) == PairScores(1.0, 0.0, 0.0)


def test_pair_scores_partial_clustering_matches_hand_count() -> None:
    # Predicted {0,1} {2,3} {4} {5}: pairs (0,1) right, (2,3) wrong; 4 true pairs.
    assert pair_scores(TRUTH, [1, 1, 2, 2, 3, 4]) == PairScores(0.5, 0.25, 1 / 3)


def test_pair_counts_equal_brute_force_enumeration() -> None:
    predicted = ["p", "q", "p", "q", "q", "p"]
    counts = pair_counts(TRUTH, predicted)
    assert (counts.true_pairs, counts.predicted_pairs, counts.agreeing_pairs) == (
        brute_force_counts(TRUTH, predicted)
    )
    assert counts.n_docs == 6


def test_pair_scores_accepts_series() -> None:
    scores = pair_scores(pl.Series(TRUTH), pl.Series([7, 7, 7, 8, 8, 9]))
    assert scores.f1 == 1.0


def test_pair_scores_rejects_different_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        pair_scores(["a", "b"], ["a"])


# --- adjusted Rand index -------------------------------------------------------------------


def test_adjusted_rand_index_of_identical_partitions_is_one() -> None:
    assert adjusted_rand_index(TRUTH, [3, 3, 3, 1, 1, 2]) == 1.0


@pytest.mark.parametrize(
    ("truth", "predicted"),
    [(["a", "b", "c"], [1, 2, 3]), (["a", "a", "a"], [1, 1, 1])],
    ids=["both-singletons", "both-one-cluster"],
)
def test_adjusted_rand_index_degenerate_matches_score_one(
    truth: list[str], predicted: list[int]
) -> None:
    assert adjusted_rand_index(truth, predicted) == 1.0


def test_adjusted_rand_index_matches_hand_computation() -> None:
    predicted = [1, 1, 2, 2, 3, 4]
    # index = 1, sum_a = 4, sum_b = 2, C(6,2) = 15: expected 8/15, max 3.
    expected = 4 * 2 / 15
    assert adjusted_rand_index(TRUTH, predicted) == pytest.approx((1 - expected) / (3 - expected))


def test_adjusted_rand_index_all_merged_is_zero() -> None:
    assert adjusted_rand_index(TRUTH, ["x"] * 6) == 0.0


def test_adjusted_rand_index_matches_scipy_formula() -> None:
    special = pytest.importorskip("scipy.special")
    truth = ["a", "a", "b", "b", "b", "c", "c", "d"]
    predicted = [0, 0, 0, 1, 1, 2, 2, 2]
    table = pl.DataFrame({"t": truth, "p": predicted}).group_by("t", "p").len()
    index = sum(special.comb(n, 2) for n in table["len"])
    sum_a = sum(special.comb(n, 2) for n in table.group_by("t").agg(pl.sum("len"))["len"])
    sum_b = sum(special.comb(n, 2) for n in table.group_by("p").agg(pl.sum("len"))["len"])
    expected = sum_a * sum_b / special.comb(len(truth), 2)
    ari = (index - expected) / ((sum_a + sum_b) / 2 - expected)
    assert adjusted_rand_index(truth, predicted) == pytest.approx(ari)


def test_adjusted_rand_index_matches_sklearn_when_installed() -> None:
    sk_metrics = pytest.importorskip("sklearn.metrics")
    truth = ["a", "a", "b", "b", "b", "c", "c", "d", "d", "d"]
    predicted = [0, 0, 0, 1, 1, 2, 2, 2, 3, 4]
    expected = sk_metrics.adjusted_rand_score(truth, predicted)
    assert adjusted_rand_index(truth, predicted) == pytest.approx(expected)


# --- predicted clusters from a pipeline result --------------------------------------------


def test_predicted_clusters_follow_duplicate_of_and_keep_singleton_drops() -> None:
    corpus = pl.DataFrame({"doc_id": ["k1", "k2"], "cluster_id": [0, 1]})
    dropped = pl.DataFrame(
        {
            "doc_id": ["d1", "d2", "d3", "bad"],
            "reason": ["near_duplicate", "exact_duplicate", "near_duplicate", "invalid_record"],
            "duplicate_of": ["k1", "d1", "k2", None],
        }
    )
    result = predicted_clusters_from_result(corpus, dropped).sort("doc_id")
    expected = pl.DataFrame(
        {
            "doc_id": ["bad", "d1", "d2", "d3", "k1", "k2"],
            "predicted_cluster": ["dropped:bad", "kept:0", "kept:0", "kept:1", "kept:0", "kept:1"],
        }
    )
    assert_frame_equal(result, expected)


def test_predicted_clusters_without_cluster_column_use_doc_ids() -> None:
    corpus = pl.DataFrame({"doc_id": ["k1"]})
    dropped = pl.DataFrame(
        {"doc_id": ["d1"], "reason": ["near_duplicate"], "duplicate_of": ["k1"]},
    )
    result = predicted_clusters_from_result(corpus, dropped)
    assert result["predicted_cluster"].to_list() == ["kept:k1", "kept:k1"]


# --- generator -----------------------------------------------------------------------------


def tiny_articles(n: int = 24) -> list[Article]:
    topics = ("bbc:sport", "bbc:tech")
    articles = []
    for i in range(n):
        paragraphs = tuple(
            f"Paragraph {p} of story {i} says that the council voted {i * 7 + p} to {p} on "
            f'Tuesday. "We expect {i + p} more," a spokesman said. Officials agreed.'
            for p in range(6)
        )
        articles.append(
            Article(f"bbc/x/{i:03d}", f"Story {i} headline here", paragraphs, topics[i % 2])
        )
    return articles


def test_generate_corpus_is_deterministic_for_a_seed() -> None:
    config = SynthConfig(n_originals=10, seed=3)
    first = generate_corpus(tiny_articles(), config)
    second = generate_corpus(tiny_articles(), config)
    assert_frame_equal(first, second)
    assert frame_sha256(first) == frame_sha256(second)


def test_generate_corpus_changes_with_the_seed() -> None:
    first = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=3))
    other = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=4))
    assert frame_sha256(first) != frame_sha256(other)


def test_generate_corpus_has_columns_unique_ids_and_one_original_per_cluster() -> None:
    frame = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=1))
    assert tuple(frame.columns) == (*CORPUS_COLUMNS, *LABEL_COLUMNS)
    assert frame.schema["published"] == pl.Date
    assert frame["doc_id"].is_unique().all()
    originals = frame.filter(pl.col("kind") == "original")
    assert originals.height == 10
    assert originals["true_cluster"].is_unique().all()
    copies = frame.filter(pl.col("kind") == "copy")
    assert copies["true_cluster"].is_in(originals["true_cluster"].implode()).all()


def test_generate_corpus_hard_negatives_have_their_own_clusters() -> None:
    config = SynthConfig(n_originals=8, seed=2, p_follow_up=1.0, p_write_up=1.0, brief_rate=0.5)
    # Enough base articles that none is reused: the labels are exact only then.
    frame = generate_corpus(tiny_articles(80), config)
    negatives = frame.filter(pl.col("kind").is_in(["follow_up", "write_up", "brief"]))
    assert negatives.height > 0
    assert negatives["true_cluster"].is_unique().all()
    others = frame.filter(~pl.col("kind").is_in(["follow_up", "write_up", "brief"]))
    assert not negatives["true_cluster"].is_in(others["true_cluster"].implode()).any()
    assert negatives["negative_of"].null_count() == 0


def test_generate_corpus_n_docs_gives_exactly_that_many_rows_reusing_articles() -> None:
    frame = generate_corpus(tiny_articles(), SynthConfig(seed=0), n_docs=200)
    assert frame.height == 200
    assert frame["doc_id"].is_unique().all()


def test_frame_sha256_depends_on_values_and_column_names() -> None:
    frame = pl.DataFrame({"a": ["x", None], "b": [1, 2]})
    assert frame_sha256(frame) == frame_sha256(frame.clone())
    assert frame_sha256(frame) != frame_sha256(frame.rename({"a": "c"}))
    assert frame_sha256(frame) != frame_sha256(frame.with_columns(b=pl.Series([1, 3])))


def test_unique_articles_drops_repeated_bodies_and_leads() -> None:
    base = Article("k1", "t", ("Lead one.", "Body."))
    same_lead = Article("k2", "t2", ("Lead  one.", "Other ending."))
    other = Article("k3", "t3", ("Lead two.", "Body."))
    assert [a.key for a in unique_articles([base, same_lead, other])] == ["k1", "k3"]


# --- quality gate --------------------------------------------------------------------------


def test_hard_negative_merges_counts_pairs_per_kind() -> None:
    labelled = pl.DataFrame(
        {
            "doc_id": ["o", "c", "f", "w", "b1", "b2", "b3"],
            "true_cluster": ["a1", "a1", "a2", "a3", "a4", "a5", "a6"],
            "kind": ["original", "copy", "follow_up", "write_up", "brief", "brief", "brief"],
            "negative_of": [None, None, "a1", "a1", "g0", "g0", "g0"],
            "predicted_cluster": ["p1", "p1", "p1", "p3", "p4", "p4", "p5"],
        }
    )
    assert hard_negative_merges(labelled) == {
        "follow_up": [2, 2],
        "write_up": [0, 2],
        "brief": [1, 3],
    }


BASELINE = {
    "corpus_sha256": "abc",
    "epsilon": 0.005,
    "floors": {"synthetic_f1": 0.98},
    "ceilings": {"hard_negative_pairs_merged": 0},
}


@pytest.mark.parametrize(
    ("metrics", "sha", "failures"),
    [
        ({"synthetic_f1": 0.978, "hard_negative_pairs_merged": 0}, "abc", 0),
        ({"synthetic_f1": 0.97, "hard_negative_pairs_merged": 0}, "abc", 1),
        ({"synthetic_f1": 0.99, "hard_negative_pairs_merged": 2}, "abc", 1),
        ({"synthetic_f1": 0.99, "hard_negative_pairs_merged": 0}, "def", 1),
        ({"synthetic_f1": 0.99, "hard_negative_pairs_merged": 0, "seed_pairs_merged": 1}, "abc", 1),
    ],
    ids=["within-epsilon", "f1-below-floor", "negatives-merged", "corpus-changed", "seeds-merged"],
)
def test_check_against_baseline_reports_regressions(
    metrics: dict[str, float], sha: str, failures: int
) -> None:
    assert len(check_against_baseline(metrics, sha, BASELINE)) == failures


def test_updated_baseline_refuses_to_lower_a_floor_without_permission() -> None:
    metrics = {"synthetic_f1": 0.95, "hard_negative_pairs_merged": 0}
    _, refused = updated_baseline(metrics, "abc", {}, BASELINE, allow_regression=False)
    assert len(refused) == 1
    new, refused = updated_baseline(metrics, "abc", {}, BASELINE, allow_regression=True)
    assert refused == []
    assert new["floors"]["synthetic_f1"] == 0.95


def test_updated_baseline_rounds_floors_down() -> None:
    new, _ = updated_baseline(
        {"synthetic_f1": 0.987654}, "abc", {"seed": 0}, None, allow_regression=False
    )
    assert math.isclose(new["floors"]["synthetic_f1"], 0.9876)
    assert new["generator"] == {"seed": 0}


def test_generate_duplicate_heavy_copies_each_story_under_other_sites() -> None:
    from benchmarks.synth import SITES, generate_duplicate_heavy, generate_mode

    frame = generate_duplicate_heavy(tiny_articles(), n_docs=60, seed=2, n_bases=12)
    sizes = frame.group_by("true_cluster").len().get_column("len")
    assert sizes.to_list() == [5] * 12
    for _, story in frame.group_by("true_cluster"):
        # Five copies, five sites: no two copies of a story share a site's chrome.
        assert story.get_column("source").n_unique() == min(5, len(SITES))
    edited = frame.get_column("edits").str.contains("words").mean()
    assert edited is not None
    assert 0.1 < edited < 0.6
    assert frame.equals(generate_duplicate_heavy(tiny_articles(), n_docs=60, seed=2, n_bases=12))
    assert generate_mode("duplicate-heavy", tiny_articles(), n_docs=60).height == 60


def test_add_variable_chrome_adds_lines_to_copies_only() -> None:
    corpus = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=3))
    chromed = add_variable_chrome(corpus, seed=1)
    for row in chromed.iter_rows(named=True):
        lines = row["text"].split("\n")
        assert all(line in lines for line in row["variable_chrome"])
        assert (row["kind"] == "original") == (row["variable_chrome"] == [])
    originals = corpus.filter(pl.col("kind") == "original")
    assert_frame_equal(
        chromed.filter(pl.col("kind") == "original").drop("variable_chrome"), originals
    )
    assert_frame_equal(chromed, add_variable_chrome(corpus, seed=1))


# --- snippet protocol ----------------------------------------------------------------------


def test_score_snippets_counts_found_with_and_without_snippets() -> None:
    pages = pl.DataFrame(
        {"with": [["the  article\nbody", "lost line"]], "without": [["Menu", "Cookie text"]]}
    )
    scores = score_snippets(pages, ["Menu\nthe article body"])
    # with: one found (whitespace-normalized), one missed; without: one found, one absent.
    assert scores == {"pages": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}


def test_templated_merges_counts_pairs_of_different_reports_per_kind() -> None:
    labelled = pl.DataFrame(
        {
            "true_cluster": ["t0", "t0", "t1", "t2", "t3", "a1"],
            "negative_of": [
                "tpl:match",
                "tpl:match",
                "tpl:match",
                "tpl:match",
                "tpl:weather",
                None,
            ],
            "predicted_cluster": ["p0", "p0", "p0", "p2", "p3", "p0"],
        }
    )
    # Match: reports t0 (a report and its copy), t1, t2; t1 merged with both t0 documents.
    assert templated_merges(labelled) == {"match": [2, 5], "weather": [0, 0]}


def test_generate_corpus_harder_mix_adds_its_classes_and_leaves_the_default_alone() -> None:
    from benchmarks.synth import HARD_MIX

    plain = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=3))
    assert plain.equals(generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=3)))
    mix = generate_corpus(tiny_articles(), SynthConfig(n_originals=10, seed=3, **HARD_MIX))
    assert mix.height > plain.height
    assert mix.filter(pl.col("negative_of").str.starts_with("tpl:")).height > 0
