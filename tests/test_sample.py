"""--sample N: a seeded random sample of N valid records, stable and nested."""

import polars as pl

from dedupe.config import InputConfig
from dedupe.io.read import frame_batches
from dedupe.io.sample import sample_batches


def sampled(frame: pl.DataFrame, n: int, batch_size: int = 7) -> list[str]:
    batches = frame_batches(frame, InputConfig(), batch_size=batch_size)
    parts = list(sample_batches(batches, n, batch_size=batch_size))
    return [i for part in parts for i in part.corpus.get_column("doc_id").to_list()]


def test_sample_batches_is_stable_nested_and_in_input_order() -> None:
    frame = pl.DataFrame({"doc_id": [f"d{i}" for i in range(50)], "text": ["x"] * 50})
    small, large = sampled(frame, 5), sampled(frame, 20)
    assert len(small) == 5
    assert len(large) == 20
    assert set(small) <= set(large)
    assert small == sampled(frame, 5, batch_size=50)
    order = frame.get_column("doc_id").to_list()
    assert large == sorted(large, key=order.index)


def test_sample_batches_larger_than_corpus_keeps_everything() -> None:
    frame = pl.DataFrame({"doc_id": ["a", "b"], "text": ["x", "y"]})
    assert sampled(frame, 10) == ["a", "b"]
