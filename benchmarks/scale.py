"""Scale of ``dedupe run``: 10,000, 100,000 and 1,000,000 news-length articles on one machine.

Run ``python benchmarks/scale.py`` (or ``--sizes 10000 100000``). For each size a corpus of
news-length articles (about 4 KB of text each, a third of them syndicated copies) is written once
to ``--work-dir`` as JSON Lines and reused by later runs with the same size, seed and generator
parameters. ``dedupe run FILE -o OUT -q --force`` then runs as a subprocess; its wall time,
docs/s and peak RSS (``VmHWM``, polled) are recorded with the stage seconds and counts of its
``report.json``, and its RSS is sampled every second together with the spill files in its
workspace, which tell which pass it is in. Targets (issue 13, after issue 5's 6 GB and 70%): the
1,000,000-article run completes with peak RSS at most 4 GB, and its docs/s is at least 0.9 of the
100,000-article run's.

The corpus. :func:`benchmarks.synth.generate_corpus` alone does not fit: its base articles
(BBC + Reuters, about 11,700) average 1.4 KB, and past the pool it reuses them, so at 1,000,000
documents every base article would be the original of ~30 clusters that all merge, and nearly
every document would be a duplicate. Here each chunk of up to 50,000 documents first builds
*stories*: a base article followed by other base articles' paragraphs until the body reaches
``--story-bytes``, with each word replaced, with probability ``--replace-prob``, by a word drawn
from the pool's word frequencies. Two stories then share few word 3-grams (a shared base
paragraph keeps ``(1 - p)^3`` of its shingles in each, about 42% at p = 0.25) and no line, so
they are distinct articles to the deduplicator, with realistic lengths, line structure and word
frequencies (the text reads as scrambled news). The chunk's stories go through
``generate_corpus`` with fewer copies per original (``COPIES_WEIGHTS``: mean 0.65), which gives
about 50% originals, 33% syndicated copies (10% of them byte-for-byte rescrapes) and 16% hard
negatives and briefs; the mix and mean size are measured and printed. Copies never cross a
chunk, like syndication within days.

The machine is usually shared: the load average is printed at the start and end of each run and
recorded. Results go to ``benchmarks/results/scale-<timestamp>.json`` (gitignored), rewritten
after each size so that a long run leaves its partial results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_WORK_DIR = Path("/tmp/dedupe-scale")
REFERENCE_SIZE = 100_000
TARGET_SIZE = 1_000_000
TARGET_RSS_BYTES = 4 * 10**9
TARGET_MAX_SLOWDOWN = 0.10
MODES = ("default", "duplicate-heavy")
BASELINES = ("datasketch", "rensa")
# The datasketch loop is extrapolated from this many documents (it runs at ~700 docs/s).
BASELINE_MAX_DOCS = 20_000
GENERATOR_VERSION = 1
# Copies per original -> weight: mean 0.65, so copies are about a third of the documents.
COPIES_WEIGHTS = ((0, 0.55), (1, 0.30), (2, 0.10), (3, 0.05))
# Spilled parts of a run's workspace (dedupe.io.write.Workspace) and the pass that writes them.
PHASES = (
    ("start-up", "interpreter and imports"),
    ("pass A", "read (read, one-document line rules, line statistics)"),
    ("pass B", "clean + normalize + fingerprint"),
    ("decide", "rank + exact + near + clusters"),
    ("pass C + write", "write (join decisions, write the output folder)"),
)
STAGE_PHASE = {
    "read": "pass A",
    "clean": "pass B",
    "normalize": "pass B",
    "fingerprint": "pass B",
    "rank": "decide",
    "exact": "decide",
    "near": "decide",
    "clusters": "decide",
    "write": "pass C + write",
}


@dataclass(frozen=True, slots=True)
class CorpusSpec:
    """What determines a generated corpus file: reuse it only when all of this matches."""

    size: int
    seed: int
    story_bytes: int
    replace_prob: float
    chunk_docs: int
    version: int = GENERATOR_VERSION
    mode: str = "default"

    def stem(self) -> str:
        """File name stem: size, seed and a digest of the other parameters."""
        digest = hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()
        if self.mode == "default":
            # The digest of a default corpus is the one it had before modes existed.
            fields = {k: v for k, v in asdict(self).items() if k != "mode"}
            digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
            return f"corpus-{self.size}-seed{self.seed}-{digest[:10]}"
        return f"corpus-{self.mode}-{self.size}-seed{self.seed}-{digest[:10]}"


# --- pure helpers (unit-tested) -------------------------------------------------------------


def chunk_sizes(size: int, chunk_docs: int) -> list[int]:
    """Split ``size`` documents into near-equal chunks of at most ``chunk_docs``."""
    if size <= 0:
        return []
    n_chunks = math.ceil(size / chunk_docs)
    base, extra = divmod(size, n_chunks)
    return [base + (1 if index < extra else 0) for index in range(n_chunks)]


def current_rss_kib(status: str) -> int | None:
    """Parse ``VmRSS`` (resident set now, KiB) from the text of ``/proc/<pid>/status``."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def phase_of(spills: dict[str, int] | None) -> str:
    """Name the pass a run is in from the counts of its spilled parts by kind.

    Pass A writes ``raw`` (and ``lines``) parts, pass B ``removed`` and ``clean`` parts, the
    corpus-wide decisions write nothing, and pass C writes ``corpus`` parts before the output
    files are written; no workspace yet (None) means start-up, an empty one the first batch.
    Learning lines, between pass A's last part and pass B's first, counts as pass A.
    """
    if spills is None:
        return "start-up"
    raw, clean, corpus = (spills.get(kind, 0) for kind in ("raw", "clean", "corpus"))
    if corpus:
        return "pass C + write"
    if clean and clean >= raw:
        return "decide"
    if clean or spills.get("removed", 0):
        return "pass B"
    return "pass A"


def label_phases(samples: Sequence[dict[str, Any]]) -> None:
    """Set each sample's ``phase`` from its spills, never going back to an earlier pass.

    Passes only move forward; the workspace's removal at the end (or its rename on publishing)
    would otherwise look like start-up or pass A again.
    """
    order = [name for name, _ in PHASES]
    reached = 0
    for sample in samples:
        reached = max(reached, order.index(phase_of(sample["spills"])))
        sample["phase"] = order[reached]


def phase_summary(samples: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per phase, in run order: first and last sample time, seconds seen and the max RSS (GiB).

    Phases are labelled again with :func:`label_phases` first.
    """
    label_phases(samples)
    order = [name for name, _ in PHASES]
    found: dict[str, dict[str, Any]] = {}
    for sample in samples:
        entry = found.setdefault(
            sample["phase"], {"phase": sample["phase"], "first": sample["t"], "max_rss_gib": 0.0}
        )
        entry["last"] = sample["t"]
        entry["max_rss_gib"] = max(entry["max_rss_gib"], sample["rss_kib"] / 2**20)
    rows = sorted(found.values(), key=lambda entry: order.index(entry["phase"]))
    for row, following in zip(rows, [*rows[1:], None], strict=True):
        end = following["first"] if following else row["last"]
        row["seconds"] = max(end - row["first"], 0.0)
    return rows


def add_ratios(rows: list[dict[str, Any]], reference_size: int = REFERENCE_SIZE) -> None:
    """Add ``docs_per_second`` and ``ratio`` (over the completed ``reference_size`` run)."""
    for row in rows:
        ok = row.get("returncode") == 0 and row["seconds"] > 0
        row["docs_per_second"] = row["size"] / row["seconds"] if ok else None
    reference = next(
        (
            r["docs_per_second"]
            for r in rows
            if r["size"] == reference_size and r["docs_per_second"]
        ),
        None,
    )
    for row in rows:
        rate = row["docs_per_second"]
        row["ratio"] = rate / reference if rate and reference else None


def evaluate_targets(
    rows: Sequence[dict[str, Any]],
    *,
    target_size: int = TARGET_SIZE,
    max_rss_bytes: int = TARGET_RSS_BYTES,
    max_slowdown: float = TARGET_MAX_SLOWDOWN,
) -> list[dict[str, Any]]:
    """The two targets, each PASS, FAIL or NOT RUN, with the measured value (after add_ratios)."""
    row = next((r for r in rows if r["size"] == target_size), None)
    limit_gib = max_rss_bytes / 2**30
    memory = {
        "target": f"{target_size:,} docs complete with peak RSS <= {max_rss_bytes / 1e9:g} GB "
        f"({limit_gib:.2f} GiB)",
        "status": "NOT RUN",
        "value": None,
    }
    speed = {
        "target": f"docs/s at {target_size:,} >= {1 - max_slowdown:.0%} of docs/s at "
        f"{REFERENCE_SIZE:,}",
        "status": "NOT RUN",
        "value": None,
    }
    if row is not None:
        peak = row.get("peak_rss_gib")
        memory["value"] = peak
        completed = row.get("returncode") == 0
        memory["status"] = (
            "PASS" if completed and peak is not None and peak <= limit_gib else "FAIL"
        )
        ratio = row.get("ratio")
        speed["value"] = ratio
        if ratio is not None:
            speed["status"] = "PASS" if ratio >= 1 - max_slowdown else "FAIL"
        elif not completed:
            speed["status"] = "FAIL"
    return [memory, speed]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Render the runs (after :func:`add_ratios`) as a fixed-width text table."""
    header = (
        f"{'size':>10}{'seconds':>9}{'docs/s':>9}{'x 100k':>8}{'peak GiB':>10}{'load1':>7}"
        f"{'kept':>10}  dropped by reason"
    )
    lines = [header, "-" * (len(header) + 20)]
    for row in rows:
        if row.get("returncode") == 0:
            dropped = ", ".join(f"{k} {v:,}" for k, v in row.get("dropped_by_reason", {}).items())
        else:
            dropped = f"FAILED (exit {row.get('returncode')}) {row.get('failure', '')}".rstrip()
        lines.append(
            f"{row['size']:>10,}{row['seconds']:>9.1f}{_fmt(row.get('docs_per_second'), ',.0f'):>9}"
            f"{_fmt(row.get('ratio'), '.2f'):>8}{_fmt(row.get('peak_rss_gib'), '.2f'):>10}"
            f"{_fmt(row.get('load1_start'), '.2f'):>7}{_fmt(row.get('kept'), ',d'):>10}  {dropped}"
        )
    return "\n".join(lines)


def format_stages(row: dict[str, Any]) -> str:
    """Render one run's report stages with the max RSS seen in the pass that holds each stage."""
    by_phase = {entry["phase"]: entry for entry in row.get("phases", [])}
    lines = [f"{'stage':<13}{'seconds':>9}{'alive in':>11}{'alive out':>11}  pass (max RSS GiB)"]
    for stage in row.get("stages", []):
        phase = STAGE_PHASE.get(stage["name"], "?")
        peak = by_phase.get(phase, {}).get("max_rss_gib")
        lines.append(
            f"{stage['name']:<13}{stage['seconds']:>9.1f}{stage['alive_in']:>11,}"
            f"{stage['alive_out']:>11,}  {phase} ({_fmt(peak, '.2f')})"
        )
    return "\n".join(lines)


def format_phases(row: dict[str, Any]) -> str:
    """Render the passes seen in the RSS samples: seconds and max RSS of each."""
    lines = [f"{'pass (from spill files)':<24}{'seconds':>9}{'max RSS GiB':>13}"]
    for entry in row.get("phases", []):
        lines.append(f"{entry['phase']:<24}{entry['seconds']:>9.0f}{entry['max_rss_gib']:>13.2f}")
    return "\n".join(lines)


# --- corpus generation ----------------------------------------------------------------------


class _TokenPool:
    """Every base article's title and paragraphs as one flat array of whitespace tokens."""

    def __init__(self, articles: Sequence[Any]) -> None:
        import numpy as np
        import polars as pl

        tokens: list[str] = []
        starts: list[int] = []
        lengths: list[int] = []
        first: list[int] = []
        count: list[int] = []
        size: list[int] = []
        for article in articles:
            first.append(len(starts))
            for text in (article.title, *article.paragraphs):
                words = text.split()
                starts.append(len(tokens))
                lengths.append(len(words))
                tokens.extend(words)
            count.append(1 + len(article.paragraphs))
            size.append(sum(len(p) + 1 for p in article.paragraphs))
        self.articles = articles
        self.tokens = pl.Series("w", tokens, dtype=pl.String)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.first = np.asarray(first, dtype=np.int64)
        self.count = np.asarray(count, dtype=np.int64)
        self.size = np.asarray(size, dtype=np.int64)


def _build_stories(
    pool: _TokenPool, n_stories: int, rng: Any, story_bytes: int, replace_prob: float, key: str
) -> list[Any]:
    """Make ``n_stories`` distinct ~``story_bytes`` articles from the pool (see module doc)."""
    import numpy as np
    import polars as pl

    from benchmarks.synth import Article

    n_articles = len(pool.articles)
    draws = rng.integers(0, n_articles, size=n_stories * 16)
    cursor = 0
    leads: list[int] = []
    paragraphs: list[int] = []  # pool paragraph indices; each story: title, then body
    bounds = [0]
    for _ in range(n_stories):
        lead = int(draws[cursor])
        cursor += 1
        first, count = int(pool.first[lead]), int(pool.count[lead])
        paragraphs += range(first, first + count)
        total = int(pool.size[lead])
        while total < story_bytes:
            if cursor == len(draws):
                draws, cursor = rng.integers(0, n_articles, size=n_stories * 4), 0
            other = int(draws[cursor])
            cursor += 1
            first, count = int(pool.first[other]), int(pool.count[other])
            for index in range(first + 1, first + count):
                paragraphs.append(index)
                total += int(pool.lengths[index]) * 6
                if total >= story_bytes:
                    break
        leads.append(lead)
        bounds.append(len(paragraphs))
    chosen = np.asarray(paragraphs, dtype=np.int64)
    lengths = pool.lengths[chosen]
    n_tokens = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.repeat(pool.starts[chosen], lengths) + np.arange(n_tokens) - offsets
    replace = rng.random(n_tokens) < replace_prob
    positions[replace] = rng.integers(0, len(pool.tokens), size=int(replace.sum()))
    joined = (
        pl.DataFrame(
            {
                "p": np.repeat(np.arange(len(chosen)), lengths),
                "w": pool.tokens.gather(positions),
            }
        )
        .group_by("p", maintain_order=True)
        .agg(pl.col("w").str.join(" "))
    )
    texts = [""] * len(chosen)
    for index, text in zip(joined["p"].to_list(), joined["w"].to_list(), strict=True):
        texts[index] = text
    stories = []
    for number, lead in enumerate(leads):
        start, end = bounds[number], bounds[number + 1]
        base = pool.articles[lead]
        stories.append(
            Article(
                f"{key}/{number}",
                texts[start] or base.title,
                tuple(t for t in texts[start + 1 : end] if t),
                topic=base.topic,
                published=base.published,
            )
        )
    return stories


def _write_frame(
    frame: Any,
    handle: Any,
    digest: Any,
    kinds: dict[str, int],
    written: int,
    text_bytes: int,
    size: int,
) -> tuple[int, int]:
    """Append one generated chunk to the corpus file; return the documents and bytes so far."""
    import polars as pl

    from benchmarks.synth import CORPUS_COLUMNS

    for kind, n in frame.group_by("kind").len().iter_rows():
        kinds[kind] = kinds.get(kind, 0) + n
    text_bytes += int(frame.get_column("text").str.len_bytes().sum())
    frame = frame.select(CORPUS_COLUMNS).with_columns(
        pl.format("doc-{}", (pl.int_range(pl.len()) + written).cast(pl.String).str.zfill(8)).alias(
            "doc_id"
        )
    )
    data = frame.write_ndjson().encode("utf-8")
    handle.write(data)
    digest.update(data)
    written += frame.height
    _log(f"  generated {written:,} / {size:,} docs")
    return written, text_bytes


def run_baseline(method: str, jsonl: Path, size: int, work_dir: Path) -> dict[str, Any]:
    """Run speed.py's hand-written loop ``method`` (datasketch or rensa) on a corpus file.

    datasketch runs on the first ``BASELINE_MAX_DOCS`` documents and its docs/s is
    extrapolated (``sampled`` says so).
    """
    from benchmarks.speed import Task, measure

    limit = BASELINE_MAX_DOCS if method == "datasketch" and size > BASELINE_MAX_DOCS else None
    out = work_dir / f"out-{method}-{size}"
    task = Task(method, size, str(jsonl), "", str(out), limit, 128, 0.5, 3, 1)
    result = measure(task)
    shutil.rmtree(out, ignore_errors=True)
    rate = result["docs"] / result["seconds"] if result["seconds"] > 0 else None
    return {
        "method": method,
        "size": size,
        "seconds": result["seconds"],
        "docs_per_second": rate,
        "peak_rss_gib": result["peak_rss_mib"] / 1024,
        "cores_busy": result.get("cores_busy"),
        "sampled": result["docs"] if limit else None,
    }


def format_baselines(rows: Sequence[dict[str, Any]], runs: Sequence[dict[str, Any]]) -> str:
    """Render the baseline loops beside ``dedupe run``: docs/s, and dedupe's ratio over each."""
    dedupe = {r["size"]: r.get("docs_per_second") for r in runs}
    lines = [f"{'size':>10}  {'method':<12}{'docs/s':>9}{'peak GiB':>10}{'dedupe x':>10}  note"]
    for row in rows:
        rate, ours = row.get("docs_per_second"), dedupe.get(row["size"])
        note = f"sampled {row['sampled']:,} docs" if row.get("sampled") else ""
        lines.append(
            f"{row['size']:>10,}  {row['method']:<12}{_fmt(rate, ',.0f'):>9}"
            f"{_fmt(row.get('peak_rss_gib'), '.2f'):>10}"
            f"{_fmt(ours / rate if ours and rate else None, '.2f'):>10}  {note}".rstrip()
        )
    return "\n".join(lines)


def generate_corpus_file(spec: CorpusSpec, data_dir: Path, path: Path) -> dict[str, Any]:
    """Write ``spec.size`` documents to ``path`` chunk by chunk; return the measured mix."""
    import numpy as np

    from benchmarks.synth import (
        DUPLICATE_HEAVY_BASES,
        SynthConfig,
        generate_corpus,
        generate_duplicate_heavy,
        load_base_articles,
    )

    started = time.perf_counter()
    pool = _TokenPool(load_base_articles(data_dir))
    bases: list[Any] = []
    if spec.mode == "duplicate-heavy":
        # One set of stories for the whole corpus: a story's copies span every chunk.
        rng = np.random.default_rng([spec.seed, 10**6])
        bases = _build_stories(
            pool, DUPLICATE_HEAVY_BASES, rng, spec.story_bytes, spec.replace_prob, "wire"
        )
    kinds: dict[str, int] = {}
    text_bytes = 0
    digest = hashlib.sha256()
    written = 0
    partial = path.with_suffix(".jsonl.part")
    with open(partial, "wb") as handle:
        for chunk, n_docs in enumerate(chunk_sizes(spec.size, spec.chunk_docs)):
            if bases:
                frame = generate_duplicate_heavy(
                    bases, n_docs=n_docs, seed=spec.seed * 1_000_003 + chunk
                )
                written, text_bytes = _write_frame(
                    frame, handle, digest, kinds, written, text_bytes, spec.size
                )
                continue
            config = SynthConfig(seed=spec.seed * 1_000_003 + chunk, copies_weights=COPIES_WEIGHTS)
            n_originals = math.ceil(1.1 * n_docs / config.expected_docs_per_original()) + 5
            rng = np.random.default_rng([spec.seed, chunk])
            stories = _build_stories(
                pool,
                math.ceil(1.5 * n_originals) + 50,
                rng,
                spec.story_bytes,
                spec.replace_prob,
                f"story/{chunk}",
            )
            frame = generate_corpus(stories, config, n_docs=n_docs)
            written, text_bytes = _write_frame(
                frame, handle, digest, kinds, written, text_bytes, spec.size
            )
    partial.replace(path)
    return {
        "spec": asdict(spec),
        "path": str(path),
        "docs": written,
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
        "mean_text_bytes": text_bytes / max(written, 1),
        "kinds": dict(sorted(kinds.items())),
        "copy_share": kinds.get("copy", 0) / max(written, 1),
        "generate_seconds": time.perf_counter() - started,
    }


def ensure_corpus(spec: CorpusSpec, data_dir: Path, work_dir: Path) -> dict[str, Any]:
    """Return the corpus of ``spec`` in ``work_dir``, generating it unless a matching one exists."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"{spec.stem()}.jsonl"
    meta_path = work_dir / f"{spec.stem()}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("spec") == asdict(spec) and meta.get("bytes") == path.stat().st_size:
            _log(f"reusing {path} ({meta['bytes'] / 2**30:.2f} GiB)")
            return {**meta, "reused": True}
    _log(f"generating {spec.size:,} docs into {path}")
    meta = generate_corpus_file(spec, data_dir, path)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return {**meta, "reused": False}


# --- running dedupe -------------------------------------------------------------------------


def _command(jsonl: Path, out: Path) -> list[str]:
    script = Path(sys.executable).parent / "dedupe"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "dedupe"]
    return [*head, "run", str(jsonl), "-o", str(out), "-q", "--force"]


def _tree_rss_kib(pid: int) -> int | None:
    from benchmarks.common import tree_rss

    total = tree_rss(pid)
    return total // 1024 if total else None


def _spill_counts(out: Path) -> dict[str, int] | None:
    counts: dict[str, int] = {}
    # The workspace is .NAME.tmp-PID-TOKEN (dedupe.io.locks.new_token), PID the supervised
    # child's (dedupe.cli.supervise).
    workspaces = sorted(out.parent.glob(f".{out.name}.tmp-*"))
    try:
        names = os.listdir(workspaces[0] / "_spill")
    except (OSError, IndexError):
        return None
    for name in names:
        kind = name.split("-", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def run_dedupe(jsonl: Path, out: Path, log: Path, kill_above_gib: float) -> dict[str, Any]:
    """Run ``dedupe run`` on ``jsonl``; wall time, peak RSS, RSS samples and its report."""
    from benchmarks.common import git, tree_peak_rss_kib

    command = _command(jsonl, out)
    # The working tree may change between runs: record the code each run actually starts with.
    code = {"git_sha": git("rev-parse", "HEAD"), "dedupe_sources_sha256": sources_digest()}
    load_start = os.getloadavg()
    samples: list[dict[str, Any]] = []
    peak_kib: int | None = None
    killed = False
    started = time.perf_counter()
    # The samples also go to a JSON Lines file as they come, to watch (or salvage) a long run.
    with open(log, "wb") as stderr, open(log.with_suffix(".rss.jsonl"), "w") as live:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        next_sample = started
        while True:
            pid, status = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                break
            peak_kib = max(tree_peak_rss_kib(process.pid) or 0, peak_kib or 0) or None
            now = time.perf_counter()
            rss = _tree_rss_kib(process.pid)
            if now >= next_sample and rss is not None:
                spills = _spill_counts(out)
                samples.append(
                    {
                        "t": round(now - started, 2),
                        "rss_kib": rss,
                        "hwm_kib": peak_kib,
                        "spills": spills,
                        "phase": phase_of(spills),
                    }
                )
                live.write(json.dumps(samples[-1]) + "\n")
                live.flush()
                next_sample += 1.0
            if rss is not None and rss / 2**20 > kill_above_gib and not killed:
                _log(f"RSS {rss / 2**20:.1f} GiB above --kill-above-gib: killing {process.pid}")
                os.kill(process.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.1)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    row: dict[str, Any] = {
        "command": command,
        **code,
        "returncode": process.returncode,
        "seconds": seconds,
        "peak_rss_gib": peak_kib / 2**20 if peak_kib else None,
        "load1_start": load_start[0],
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "phases": phase_summary(samples),
        "rss_samples": samples,
    }
    tail = log.read_text(errors="replace").strip().splitlines()[-5:]
    row["stderr_tail"] = tail
    if killed:
        row["failure"] = f"killed above {kill_above_gib} GiB RSS"
    elif process.returncode != 0:
        row["failure"] = tail[-1] if tail else ""
    report_path = out / "report.json"
    if process.returncode == 0 and report_path.exists():
        report = json.loads(report_path.read_text())
        counts = report["counts"]
        row.update(
            documents_in=counts["documents_in"],
            kept=counts["kept"],
            dropped=counts["dropped"],
            dropped_by_reason=counts["dropped_by_reason"],
            cluster_sizes=counts.get("cluster_sizes"),
            stages=report["stages"],
            stage_seconds=report["seconds"],
            near={k: v for k, v in report["details"].get("near", {}).items() if _scalar(v)},
        )
    return row


def sources_digest(package: Path = ROOT / "dedupe") -> str:
    """sha256 over the package's ``.py`` files (names and contents), to tell code versions apart."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _scalar(value: object) -> bool:
    return isinstance(value, int | float | str | bool) or value is None


def _log(message: str) -> None:
    from benchmarks.common import log

    log(message)


# --- driver ---------------------------------------------------------------------------------


def _print_summary(rows: list[dict[str, Any]], corpora: list[dict[str, Any]]) -> None:
    print("\nCorpora (generated once, reused):")
    for corpus in corpora:
        kinds = ", ".join(f"{k} {v / corpus['docs']:.0%}" for k, v in corpus["kinds"].items())
        print(
            f"  {corpus['docs']:>9,} docs, {corpus['bytes'] / 2**30:.2f} GiB JSONL, "
            f"mean text {corpus['mean_text_bytes']:,.0f} B; {kinds}"
        )
    print("\n`dedupe run FILE -o OUT -q --force` (wall time incl. start-up):")
    print(format_table(rows))
    for row in rows:
        print(f"\nat {row['size']:,} docs:")
        if row.get("stages"):
            print(format_stages(row))
        print(format_phases(row))
    print("\nTargets:")
    for target in evaluate_targets(rows):
        value = target["value"]
        shown = "-" if value is None else f"{value:.2f}"
        print(f"  {target['status']:<8}{target['target']} (measured {shown})")


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or reuse) each corpus, time ``dedupe run`` on it, print and record the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--data-dir", type=Path, default=None, help="BBC/Reuters data")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--story-bytes", type=int, default=3850, help="body bytes of a story")
    parser.add_argument("--replace-prob", type=float, default=0.25, help="word replacement")
    parser.add_argument("--chunk-docs", type=int, default=50_000, help="documents per chunk")
    parser.add_argument(
        "--kill-above-gib", type=float, default=16.0, help="kill a run above this RSS"
    )
    parser.add_argument("--keep-output", action="store_true", help="keep the output folders")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument(
        "--baselines",
        nargs="*",
        default=list(BASELINES),
        choices=BASELINES,
        help="hand-written loops of benchmarks/speed.py run on the same files",
    )
    parser.add_argument("--output", type=Path, default=None, help="JSON file to write")
    parser.add_argument(
        "--summarize",
        type=Path,
        default=None,
        help="only print the summary of a previous scale-*.json (phases recomputed)",
    )
    parser.add_argument(
        "--reference-results",
        type=Path,
        default=None,
        help="a previous scale-*.json whose runs of sizes not in --sizes (the 100k reference)"
        " are carried into this table",
    )
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.summarize is not None:
        previous = json.loads(args.summarize.read_text())
        for row in previous["results"]:
            row["phases"] = phase_summary(row.get("rss_samples", []))
        _print_summary(previous["results"], previous["corpora"])
        machine = previous["machine"]
        start, end = (
            " ".join(f"{v:.2f}" for v in machine.get(key) or ())
            for key in ("load_average_start", "load_average_end")
        )
        print(f"\nLoad average at start {start}, at end {end}; {machine['nproc']} CPUs.")
        return 0
    from benchmarks.common import DEFAULT_DATA_DIR, git, machine, versions

    data_dir = args.data_dir or DEFAULT_DATA_DIR
    if not data_dir.is_dir():
        parser.error(f"--data-dir {data_dir} not found (the shared BBC/Reuters data)")
    machine = machine()
    _log(f"nproc {machine['nproc']}, memory {machine['memory_gib']} GiB (shared machine: noisy)")
    output = args.output or RESULTS / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    dirty = git("status", "--porcelain", "--", "dedupe", "benchmarks")
    record: dict[str, Any] = {
        "benchmark": "scale",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "git_sha": git("rev-parse", "HEAD"),
        "git_dirty": bool(dirty) if dirty is not None else None,
        "versions": versions(),
        "machine": machine,
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "copies_weights": COPIES_WEIGHTS,
        "corpora": [],
        "results": [],
    }
    rows: list[dict[str, Any]] = record["results"]
    if args.reference_results is not None:
        previous = json.loads(args.reference_results.read_text())
        for row in previous["results"]:
            if row["size"] not in args.sizes:
                rows.append({**row, "from": str(args.reference_results)})
        record["corpora"] += [c for c in previous["corpora"] if c["docs"] not in args.sizes]
    record["baselines"] = []
    for mode in args.modes:
        for size in args.sizes:
            spec = CorpusSpec(
                size, args.seed, args.story_bytes, args.replace_prob, args.chunk_docs, mode=mode
            )
            corpus = ensure_corpus(spec, data_dir, args.work_dir)
            record["corpora"].append({**corpus, "mode": mode})
            out = args.work_dir / f"out-{mode}-{size}"
            _log(f"dedupe run on {size:,} {mode} docs")
            log = args.work_dir / f"run-{mode}-{size}.log"
            row = {
                "mode": mode,
                "size": size,
                **run_dedupe(Path(corpus["path"]), out, log, args.kill_above_gib),
            }
            rows.append(row)
            rows.sort(key=lambda entry: (entry.get("mode", "default"), entry["size"]))
            add_ratios([r for r in rows if r.get("mode", "default") == mode])
            _log(
                f"{size:,} {mode}: exit {row['returncode']}, {row['seconds']:.1f} s, "
                f"peak RSS {_fmt(row['peak_rss_gib'], '.2f')} GiB"
            )
            if not args.keep_output:
                shutil.rmtree(out, ignore_errors=True)
            for method in args.baselines:
                _log(f"{method} loop on {size:,} {mode} docs")
                baseline = run_baseline(method, Path(corpus["path"]), size, args.work_dir)
                record["baselines"].append({**baseline, "mode": mode})
            record["targets"] = {
                m: evaluate_targets([r for r in rows if r.get("mode", "default") == m])
                for m in args.modes
            }
            record["machine"]["load_average_end"] = os.getloadavg()
            output.write_text(json.dumps(record, indent=2, default=str) + "\n")
    for mode in args.modes:
        print(f"\n=== corpus mode: {mode} ===")
        mode_rows = [r for r in rows if r.get("mode", "default") == mode]
        _print_summary(mode_rows, [c for c in record["corpora"] if c.get("mode") == mode])
        baselines = [b for b in record["baselines"] if b["mode"] == mode]
        if baselines:
            print("\nHand-written loops on the same files (dedupe x: dedupe's docs/s over theirs):")
            print(format_baselines(baselines, mode_rows))

    load = " ".join(f"{v:.2f}" for v in machine["load_average_start"])
    load_end = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"\nMachine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['memory_gib']} GiB;"
    )
    print(f"load average at start {load}, at end {load_end}. Shared machine: timings are noisy.")
    _log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
