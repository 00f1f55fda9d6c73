"""The facts of a document in their places, and the check that vetoes merging templated reports.

Templated reports (earnings, match results, market closes, weather, election results) share
their wording but not their facts, so their shingles pass verification. What tells them from
copies is where their facts differ: in the same place of the same sentence. A fact is a run of
capitalized or numeric words (names, places, dates, figures); its place is the word before and
the word after it. Two documents *substitute* a fact where both have a fact in one place and
neither holds the other's fact anywhere. A trim or a brief only loses facts, an update adds
facts in new sentences, a correction substitutes one figure; two templated reports substitute
most of the facts of the places they share. Reading the facts is `dedupe.duplicates.places`.

What is not a substitution: two names in one place whose words run one inside the other
("Committee Chairman Dan Rostenkowski" and "Chairman Dan Rostenkowski": a capitalized run that
ends at another line break, or a title kept or dropped), and two names a character or two
apart ("Credit Suisse" and "Creidt Suisse": OCR noise, a typo). A figure is a figure: "934,685"
and "937,685" are substituted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz.distance import OSA

from dedupe.duplicates.clusters import IndexArray
from dedupe.duplicates.places import FACT_CHARS, FACTS_TYPE, fact_places
from dedupe.schema import TEXT

__all__ = [
    "FACTS_TYPE",
    "FACT_CHARS",
    "MIN_SUBSTITUTED",
    "NAME_SIMILARITY",
    "SUBSTITUTED_SHARE",
    "VETO_JACCARD",
    "FactCheck",
    "FactSource",
    "TextSource",
    "corpus_texts",
    "fact_places",
    "facts_from_texts",
    "is_vetoed",
    "name_similarities",
    "substituted_facts",
]

logger = logging.getLogger(__name__)

# Pairs whose shingle sets have a Jaccard similarity of at least VETO_JACCARD are merged
# unchecked: sharing two thirds of their 3-grams, they are one story re-sent, updated or
# corrected, whose figures may change (Reuters re-sends its notices and corrections so);
# the templated reports of the harder mix share at most 0.648 (benchmarks/quality.py).
VETO_JACCARD = 0.65
# A pair below it is vetoed when it substitutes at least MIN_SUBSTITUTED facts and at least
# SUBSTITUTED_SHARE of the places both documents fill with a fact. A correction substitutes
# one figure; character noise or a sub-editor's edits touch a few of a story's many places
# (a copy shares 10 to 80 of them); two templated reports substitute most of the few they
# share. Chosen on the harder mix and the Reuters silver pairs (README "How it works").
MIN_SUBSTITUTED = 2
SUBSTITUTED_SHARE = 0.3
# A table repeats its places (each row "Revs 481,832 vs 824,554"), so the places both fill are
# counted at least once per figure both hold in the same place: a results table corrected in
# two of its eight figures keeps six (Reuters 8335/8339), where two distinct places hold them.
# Only figures count so: the names a templated table repeats (its row labels, the issuer)
# are the template's, not evidence of a copy.
# Two names at one place at least NAME_SIMILARITY alike (rapidfuzz's normalized OSA
# similarity: an edit, or a swap of two neighbouring letters, in a name of 13 letters is
# 0.92) are one name with character noise; different names ("John Smith", "Jane Smith": 0.7)
# are a substitution.
NAME_SIMILARITY = 0.85
# Report at most this many vetoed pairs, and this many substituted facts of each side.
MAX_REPORTED_VETOES = 20
MAX_REPORTED_FACTS = 8
# The facts are found for this many documents, and compared for this many pairs, at a time:
# the word frames of a whole corpus's pairs would hold gigabytes (1.2 GB more at 100,000
# documents), a chunk's some tens of megabytes.
CHUNK_DOCUMENTS = 4096
CHUNK_PAIRS = 8192


def substituted_facts(left: pl.Series, right: pl.Series) -> pl.DataFrame:
    """Return, for each pair of `fact_places`, the places they share and the facts substituted.

    Columns ``places`` (the places both fill with a fact, at least the places substituted
    plus the figures both hold in the same place: see `SUBSTITUTED_SHARE`), ``substituted``
    (places where each holds a fact the other holds nowhere, and not the same name: see the
    module), ``only_left`` and ``only_right`` (those facts, sorted); nulls where a side is
    unknown.
    """
    pairs = pl.DataFrame(
        {"left": left, "right": right}, schema={"left": FACTS_TYPE, "right": FACTS_TYPE}
    )
    pairs = pairs.with_row_index("pair")
    sides = {}
    for side in ("left", "right"):
        exploded = pairs.select("pair", side).explode(side).drop_nulls(side).unnest(side)
        # Joins on hashes of the strings (stable within the run, which is all they need).
        sides[side] = exploded.with_columns(
            p=pl.col("place").hash(), f=pl.col("fact").hash()
        ).unique(["pair", "p", "f"], maintain_order=True)
    left_facts, right_facts = sides["left"], sides["right"]
    shared = (
        left_facts.select("pair", "p")
        .unique()
        .join(right_facts.select("pair", "p").unique(), on=["pair", "p"])
        .group_by("pair")
        .len("shared")
    )
    kept_figures = (
        left_facts.filter(_is_figure("fact"))
        .select("pair", "p", "f")
        .join(right_facts.select("pair", "p", "f"), on=["pair", "p", "f"])
        .group_by("pair")
        .len("kept")
    )
    own_left = left_facts.join(right_facts.select("pair", "f"), on=["pair", "f"], how="anti")
    own_right = right_facts.join(left_facts.select("pair", "f"), on=["pair", "f"], how="anti")
    candidates = own_left.select("pair", "p", "place", "fact").join(
        own_right.select("pair", "p", "fact"), on=["pair", "p"], suffix="_right"
    )
    substituted = (
        candidates.filter(_same_name(candidates).not_())
        .group_by("pair")
        .agg(
            pl.col("p").n_unique().alias("substituted"),
            pl.col("fact").unique().sort().alias("only_left"),
            pl.col("fact_right").unique().sort().alias("only_right"),
        )
    )
    known = pl.col("left").is_not_null() & pl.col("right").is_not_null()
    out = (
        pairs.select("pair", known.alias("known"))
        .join(shared, on="pair", how="left")
        .join(kept_figures, on="pair", how="left")
        .join(substituted, on="pair", how="left")
        .sort("pair")
    )
    empty = pl.lit([], pl.List(pl.String))
    count = pl.col("substituted").fill_null(0)
    places = pl.max_horizontal(pl.col("shared").fill_null(0), count + pl.col("kept").fill_null(0))
    return out.select(
        pl.when("known").then(places).cast(pl.UInt32).alias("places"),
        pl.when("known").then(count).cast(pl.UInt32).alias("substituted"),
        pl.when("known").then(pl.col("only_left").fill_null(empty)).alias("only_left"),
        pl.when("known").then(pl.col("only_right").fill_null(empty)).alias("only_right"),
    )


def _is_figure(column: str) -> pl.Expr:
    return pl.col(column).str.contains(r"^\p{N}")


def _same_name(candidates: pl.DataFrame) -> pl.Series:
    """Which pairs of facts in one place are one name (see the module); figures never are."""
    padded = pl.lit(" ") + pl.col("fact") + pl.lit(" ")
    other = pl.lit(" ") + pl.col("fact_right") + pl.lit(" ")
    flags = candidates.select(
        name=~(_is_figure("fact") | _is_figure("fact_right")),
        nested=padded.str.contains(other, literal=True) | other.str.contains(padded, literal=True),
    )
    name = flags.get_column("name").to_numpy()
    same = name & flags.get_column("nested").to_numpy()
    rows = np.flatnonzero(name & ~same)
    if len(rows):
        facts = candidates.select("fact", "fact_right")[rows]
        alike = name_similarities(facts.get_column("fact"), facts.get_column("fact_right"))
        same[rows] = alike >= NAME_SIMILARITY
    return pl.Series(same)


def name_similarities(left: pl.Series, right: pl.Series) -> npt.NDArray[np.float64]:
    """The normalized OSA similarity of pairs of names (the rapidfuzz boundary)."""
    return np.array(
        [
            OSA.normalized_similarity(a, b)
            for a, b in zip(left.to_list(), right.to_list(), strict=True)
        ],
        dtype=np.float64,
    )


def is_vetoed(substituted: pl.DataFrame) -> npt.NDArray[np.bool_]:
    """Which pairs of `substituted_facts` are different reports (the rule of this module)."""
    count = pl.col("substituted")
    vetoed = substituted.select(
        ((count >= MIN_SUBSTITUTED) & (count >= SUBSTITUTED_SHARE * pl.col("places"))).fill_null(
            False
        )
    ).to_series()
    return vetoed.to_numpy().astype(bool)


# Given rows, return their cleaned texts, or their facts (`fact_places`); null: unknown.
TextSource = Callable[[IndexArray], pl.Series]
FactSource = Callable[[IndexArray], pl.Series]


def facts_from_texts(texts: TextSource) -> FactSource:
    """Return a `FactSource` that finds the facts of the texts ``texts`` gives."""

    def facts(rows: IndexArray) -> pl.Series:
        return fact_places(texts(rows))

    return facts


@dataclass(slots=True)
class FactCheck:
    """The check of the facts, applied to pairs that passed verification (see the module).

    Facts are asked lazily: those of the rows of the passing pairs below ``VETO_JACCARD`` not
    known yet are asked from ``facts`` (``n_rows`` rows, numbered as the pairs are) in one
    call and kept, so a corpus pays for the facts of documents in such a pair only. The
    vetoed pairs are remembered for the report.
    """

    facts: FactSource
    n_rows: int
    where: IndexArray = field(init=False)
    values: pl.Series = field(init=False)
    vetoed_left: list[IndexArray] = field(default_factory=list)
    vetoed_right: list[IndexArray] = field(default_factory=list)
    vetoed_jaccard: list[npt.NDArray[np.float64]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Row i's facts are values[where[i]] once asked (where[i] = -1 before).
        self.where = np.full(self.n_rows, -1, dtype=np.int64)
        self.values = pl.Series("facts", [], dtype=FACTS_TYPE)

    def facts_of(self, rows: IndexArray) -> pl.Series:
        """The facts of ``rows``, asking ``facts`` for those not known yet."""
        missing = np.unique(rows[self.where[rows] < 0])
        if len(missing):
            found = [
                self.facts(missing[start : start + CHUNK_DOCUMENTS]).cast(FACTS_TYPE)
                for start in range(0, len(missing), CHUNK_DOCUMENTS)
            ]
            self.where[missing] = np.arange(len(self.values), len(self.values) + len(missing))
            self.values = pl.concat([self.values, *found]).rechunk()
        return self.values.gather(self.where[rows])

    def decide(
        self,
        left: IndexArray,
        right: IndexArray,
        passed: npt.NDArray[np.bool_],
        jaccard: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.bool_]:
        """Return which of the pairs that ``passed`` (at shingle ``jaccard``) keep their facts."""
        compare = np.flatnonzero(passed & (jaccard < VETO_JACCARD))
        if len(compare) == 0:
            return passed
        self.facts_of(np.concatenate([left[compare], right[compare]]))
        vetoed = np.concatenate(
            [
                chunk[
                    is_vetoed(
                        substituted_facts(self.facts_of(left[chunk]), self.facts_of(right[chunk]))
                    )
                ]
                for chunk in np.array_split(compare, -(-len(compare) // CHUNK_PAIRS))
            ]
        )
        if len(vetoed):
            passed = passed.copy()
            passed[vetoed] = False
            self.vetoed_left.append(left[vetoed])
            self.vetoed_right.append(right[vetoed])
            self.vetoed_jaccard.append(jaccard[vetoed])
        return passed

    def vetoes(self, ids: pl.Series) -> dict[str, Any]:
        """The vetoed pairs for the report: their count and the first, with substituted facts.

        ``ids`` names the rows. Pairs are listed in ``doc_id`` order (each with the smaller id
        first), at most ``MAX_REPORTED_VETOES``, each with at most ``MAX_REPORTED_FACTS``
        facts of each side.
        """
        if not self.vetoed_left:
            return {"fact_vetoes": 0, "vetoed_pairs": []}
        left = np.concatenate(self.vetoed_left)
        right = np.concatenate(self.vetoed_right)
        pairs = pl.DataFrame(
            {
                "a": ids.gather(left),
                "b": ids.gather(right),
                "ra": left,
                "rb": right,
                "jaccard": np.concatenate(self.vetoed_jaccard),
            }
        )
        swap = pl.col("a") > pl.col("b")
        pairs = (
            pairs.select(
                pl.when(swap).then("b").otherwise("a").alias("doc_id"),
                pl.when(swap).then("a").otherwise("b").alias("other"),
                pl.when(swap).then("rb").otherwise("ra").alias("row"),
                pl.when(swap).then("ra").otherwise("rb").alias("other_row"),
                "jaccard",
            )
            .unique(["doc_id", "other"])
            .sort("doc_id", "other")
        )
        shown = pairs.head(MAX_REPORTED_VETOES)
        found = substituted_facts(
            self.facts_of(shown.get_column("row").to_numpy()),
            self.facts_of(shown.get_column("other_row").to_numpy()),
        )
        listed = pl.concat(
            [
                shown.select("doc_id", "other", pl.col("jaccard").round(4)),
                found.select(
                    "places",
                    "substituted",
                    pl.col("only_left").list.head(MAX_REPORTED_FACTS).alias("facts_only_in_doc"),
                    pl.col("only_right").list.head(MAX_REPORTED_FACTS).alias("facts_only_in_other"),
                ),
            ],
            how="horizontal",
        )
        logger.info("vetoed %d pairs whose facts differ", pairs.height)
        return {"fact_vetoes": pairs.height, "vetoed_pairs": listed.to_dicts()}


def corpus_texts(corpus: pl.DataFrame) -> TextSource:
    """Return a `TextSource` over the rows of ``corpus``: its `text`, all null without one."""

    def texts(rows: IndexArray) -> pl.Series:
        if TEXT not in corpus.columns:
            return pl.Series(TEXT, [None] * len(rows), dtype=pl.String)
        return corpus.get_column(TEXT).gather(rows)

    return texts
