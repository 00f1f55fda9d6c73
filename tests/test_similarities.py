"""The near stage's record of what verification measured."""

import numpy as np
import polars as pl

from dedupe import run
from dedupe.config import NearConfig
from dedupe.duplicates.fingerprints import fingerprint
from dedupe.duplicates.near import LEAD_CONTAINMENT, PairScorer
from dedupe.duplicates.similarities import BINS, similarity_record
from tests.test_ledger import words


def test_similarity_record_counts_drops_at_other_thresholds() -> None:
    base = words(1, 300)
    edited = base.split()
    for i in range(0, 300, 9):
        edited[i] = "changed"
    texts = pl.Series([base, " ".join(edited), words(2, 300)])
    config = NearConfig()
    prints = fingerprint(texts, config)
    offsets, hashes = prints.combined()
    scorer = PairScorer(config, 3, offsets, hashes, prints.signatures)
    left, right = np.array([0, 0]), np.array([1, 2])
    scores = scorer.score(left, right, all_leads=True)
    record = similarity_record(
        config,
        scores.jaccard,
        scores.containment,
        scores.lead,
        np.array([True, False]),
        left=left,
        right=right,
        ids=pl.Series(["a", "b", "c"]),
        ranks=np.array([0, 1, 2]),
        lead_threshold=LEAD_CONTAINMENT,
    )
    assert record["pairs"] == 2
    assert sum(record["jaccard"]["passed"]) == 1
    assert sum(record["jaccard"]["rejected"]) == 1
    assert len(record["containment"]["passed"]) == BINS
    for measure in ("jaccard", "containment"):
        counts = [r["near_duplicates"] for r in record["thresholds"][measure]]
        assert counts == sorted(counts, reverse=True), measure
        assert counts[0] == 1  # b is dropped at the lowest thresholds; c never passes
    assert record["thresholds"]["current"] == 1
    assert record["near_misses"] == []


def test_report_has_the_similarity_record_of_the_run(samples_dir) -> None:  # type: ignore[no-untyped-def]
    found = run([samples_dir / "syndicated.jsonl"]).report.details["near"]["similarities"]
    # Three candidate pairs since each LSH bucket links its members to one representative.
    assert found["pairs"] == 3
    assert found["thresholds"]["current"] == 3
