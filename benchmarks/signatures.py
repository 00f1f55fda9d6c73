"""Speed of the signature stage (text to MinHash signatures): datasketch, rensa and dedupe.

Run ``python benchmarks/signatures.py --docs 20000``. Documents are ~600-word news texts built
from the BBC articles in ``../shared/data`` with random word edits; each method runs in its own
process, so its peak RSS is its own. Results go to ``benchmarks/results/`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import re
import resource
import statistics
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
BBC_ZIP = ROOT.parent / "shared" / "data" / "bbc_news" / "bbc-fulltext.zip"
RESULTS = ROOT / "benchmarks" / "results"
WORDS_PER_DOC = 600
EDIT_RATE = 0.05
# Python-side tokenizer for the libraries that take shingle strings (as a user would write it).
_WORD = re.compile(r"\w+")


def make_documents(n_docs: int, seed: int = 0) -> list[str]:
    """Build ``n_docs`` lowercase news-length texts from BBC articles with random word edits."""
    with zipfile.ZipFile(BBC_ZIP) as archive:
        articles = [
            archive.read(name).decode("latin-1").split()
            for name in archive.namelist()
            if name.endswith(".txt")
        ]
    rng = random.Random(seed)
    docs = []
    for _ in range(n_docs):
        words: list[str] = []
        while len(words) < WORDS_PER_DOC:
            words += rng.choice(articles)
        words = words[:WORDS_PER_DOC]
        for _ in range(int(EDIT_RATE * WORDS_PER_DOC)):
            words[rng.randrange(WORDS_PER_DOC)] = rng.choice(words)
        docs.append(" ".join(words).lower())
    return docs


def _shingles(text: str, ngram_size: int) -> list[str]:
    words = _WORD.findall(text)
    if len(words) < ngram_size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + ngram_size]) for i in range(len(words) - ngram_size + 1)]


def run_datasketch(docs: list[str], num_perm: int, ngram_size: int) -> None:
    """One ``MinHash`` per document, ``update_batch`` of encoded shingles, default sha1 hash."""
    from datasketch import MinHash

    for text in docs:
        minhash = MinHash(num_perm=num_perm, seed=1)
        minhash.update_batch([s.encode("utf-8") for s in set(_shingles(text, ngram_size))])


def run_rensa(docs: list[str], num_perm: int, ngram_size: int) -> None:
    """One ``RMinHash`` per document, ``update`` with the shingle strings."""
    from rensa import RMinHash

    for text in docs:
        minhash = RMinHash(num_perm, 1)
        minhash.update(_shingles(text, ngram_size))
        minhash.digest()


def run_rensa_bulk(docs: list[str], num_perm: int, ngram_size: int) -> None:
    """Rensa's bulk API over Python shingle lists."""
    from rensa import RMinHash

    RMinHash.digest_matrix_from_token_sets(
        [_shingles(text, ngram_size) for text in docs], num_perm, 1
    )


def run_rensa_prehashed(docs: list[str], num_perm: int, ngram_size: int) -> float:
    """Rensa's bulk API over dedupe's shingle hashes: the MinHash step alone (returns its time)."""
    from rensa import RMinHash

    from dedupe.duplicates.shingles import shingle_hashes

    offsets, hashes = shingle_hashes(pl.Series(docs), ngram_size=ngram_size)
    start = time.perf_counter()
    RMinHash.digest_matrix_from_flat_token_hashes(
        hashes.astype(np.uint64), offsets.astype(np.uint64), num_perm, 1
    )
    return time.perf_counter() - start


def run_dedupe(docs: list[str], num_perm: int, ngram_size: int) -> None:
    """``shingle_hashes`` then ``compute_signatures`` (datasketch-identical signatures)."""
    from dedupe.duplicates.minhash import compute_signatures
    from dedupe.duplicates.shingles import shingle_hashes

    offsets, hashes = shingle_hashes(pl.Series(docs), ngram_size=ngram_size)
    compute_signatures(offsets, hashes, num_perm=num_perm, seed=1)


def run_dedupe_minhash(docs: list[str], num_perm: int, ngram_size: int) -> float:
    """``compute_signatures`` alone, on precomputed shingle hashes (returns its time)."""
    from dedupe.duplicates.minhash import compute_signatures
    from dedupe.duplicates.shingles import shingle_hashes

    offsets, hashes = shingle_hashes(pl.Series(docs), ngram_size=ngram_size)
    start = time.perf_counter()
    compute_signatures(offsets, hashes, num_perm=num_perm, seed=1)
    return time.perf_counter() - start


METHODS: dict[str, Callable[[list[str], int, int], Any]] = {
    "datasketch": run_datasketch,
    "rensa": run_rensa,
    "rensa bulk": run_rensa_bulk,
    "dedupe": run_dedupe,
    "rensa minhash only": run_rensa_prehashed,
    "dedupe minhash only": run_dedupe_minhash,
}


def _measure(
    method: str, n_docs: int, num_perm: int, ngram_size: int, repeats: int
) -> dict[str, Any]:
    """Run one method ``repeats`` times in this (child) process; time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    docs = make_documents(n_docs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        inner = METHODS[method](docs, num_perm, ngram_size)
        elapsed = time.perf_counter() - start
        times.append(inner if isinstance(inner, float) else elapsed)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "method": method,
        "docs": n_docs,
        "seconds": statistics.median(times),
        "times": times,
        "peak_rss_mib": peak_kib / 1024,
    }


def main() -> None:
    """Time each method and print a table; write the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument(
        "--datasketch-docs",
        type=int,
        default=2000,
        help="documents for datasketch (slow); its rate is per document",
    )
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--ngram-size", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="*", default=list(METHODS))
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    rows = []
    for method in args.methods:
        try:
            __import__("rensa") if method.startswith("rensa") else None
        except ImportError:
            print(f"skipping {method}: pip install rensa", file=sys.stderr)
            continue
        n_docs = min(args.docs, args.datasketch_docs) if method == "datasketch" else args.docs
        repeats = 1 if method == "datasketch" else args.repeats
        with context.Pool(1) as pool:
            rows.append(
                pool.apply(_measure, (method, n_docs, args.num_perm, args.ngram_size, repeats))
            )
        print(f"{method}: {rows[-1]['seconds']:.2f} s", file=sys.stderr)
    base = next((r["docs"] / r["seconds"] for r in rows if r["method"] == "datasketch"), None)
    print(f"{'method':<22}{'docs/s':>12}{'x datasketch':>14}{'peak RSS MiB':>14}")
    for row in rows:
        rate = row["docs"] / row["seconds"]
        row["docs_per_second"] = rate
        ratio = f"{rate / base:.1f}" if base else "-"
        print(f"{row['method']:<22}{rate:>12,.0f}{ratio:>14}{row['peak_rss_mib']:>14,.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"signatures-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
