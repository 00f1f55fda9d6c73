"""Frozen configuration dataclasses, one per stage, and loading them from a TOML file.

A CLI flag, its config field and its TOML key share one name: ``--num-perm`` is ``num_perm`` in
``[near]``. ``tests/test_config.py`` enforces it.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import polars as pl

from dedupe.errors import ConfigError

KeepPolicy = Literal["longest", "earliest", "first", "source-priority"]
OutputFormat = Literal["parquet", "jsonl"]
CleanMode = Literal["article", "page"]
# Field metadata: the setting is written to report.json only when it is not its default.
_OMITTED_UNSET = "omitted_unset"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _type_name(hint: Any) -> str:
    if hint is bool:
        return "true or false"
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if hint is str:
        return "a string"
    if get_origin(hint) is tuple:
        return "a list of strings"
    if get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(v) for v in get_args(hint))
    return " or ".join(_type_name(h) for h in get_args(hint) if h is not type(None))


def _typed(value: Any, hint: Any) -> tuple[bool, Any]:
    """Return whether ``value`` fits the field type ``hint``, and the value as the field holds it.

    TOML and JSON give lists where the config holds tuples, and integers where it holds floats.
    """
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return type(None) in get_args(hint), None
        return next(
            (typed for h in get_args(hint) if (typed := _typed(value, h))[0]), (False, value)
        )
    if origin is Literal:
        return value in get_args(hint), value
    if origin is tuple:
        fits = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return fits, tuple(value) if fits else value
    if hint is float:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
        return fits, float(value) if fits else value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    return isinstance(value, hint), value


def _section_values(section_type: type, values: dict[str, Any], where: str) -> dict[str, Any]:
    """Check each value against its field's type; name the key, the type and the file if not."""
    hints = get_type_hints(section_type)
    checked = {}
    for key, value in values.items():
        fits, typed = _typed(value, hints[key])
        if not fits:
            raise ConfigError(
                f"{where} {key} must be {_type_name(hints[key])}, got {value!r} "
                f"({type(value).__name__})"
            )
        checked[key] = typed
    return checked


def check_pattern(pattern: str) -> None:
    """Check that the regex engine the line rules use (Polars', Rust ``regex``) accepts it.

    Raises:
        ConfigError: the pattern is invalid, or uses what that linear-time engine lacks
            (look-around, back-references).
    """
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        detail = next((line for line in lines if line.startswith("error:")), lines[0])
        raise ConfigError(
            f"pattern {pattern!r} is not a valid regex ({detail}); the engine is linear-time: "
            "no look-around or back-references"
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class InputConfig:
    """How records are read: which fields hold the id and the text.

    ``id_column=None`` uses ``doc_id`` or ``id`` when the input has one; otherwise ids are made
    from the file name and the record's position (``crawl.jsonl:17``), stable across runs.

    Example:
        >>> InputConfig(id_column="url", text_column="body").text_column
        'body'
    """

    id_column: str | None = None
    text_column: str = "text"
    # A field holding HTML: when set, it is the text field, and each page becomes text lines.
    # Left out of report.json while unset, so reports of runs without it are unchanged.
    html_column: str | None = field(default=None, metadata={_OMITTED_UNSET: True})
    # Records per batch: memory follows the batch (about 3x its text), not the corpus.
    batch_size: int = 10_000
    # Batches cleaned and fingerprinted at once, on threads (memory holds this many batches).
    workers: int = 2
    # Run on a seeded random sample of this many valid records (None: all); see io/sample.py.
    sample: int | None = None

    def __post_init__(self) -> None:
        _require(self.batch_size >= 1, "batch_size must be at least 1")
        _require(self.sample is None or self.sample >= 1, "sample must be at least 1")
        _require(self.workers >= 1, "workers must be at least 1")
        text_field = self.html_column or self.text_column
        _require(
            self.id_column is None or self.id_column != text_field,
            f"id_column and {'html' if self.html_column else 'text'}_column are both "
            f"{text_field!r}; the id and the text must be different fields",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanConfig:
    """Line cleaning: built-in rules, learned frequent lines, captions, user patterns.

    Example:
        >>> CleanConfig(drop_pattern=(r"^Advertisement$",), mode="page").mode
        'page'
    """

    enabled: bool = True
    builtin_rules: bool = True
    drop_pattern: tuple[str, ...] = ()
    keep_pattern: tuple[str, ...] = ()
    mode: CleanMode = "article"
    # A line is learned as site chrome when it recurs in at least this many documents...
    learn_min_docs: int = 5
    # ...and in at least this share of the documents of its source (or of the corpus, without one).
    learn_min_share: float = 0.01
    # Only short lines are learned: article sentences are longer than widget text.
    learn_max_chars: int = 120
    source_column: str | None = None
    # rapidfuzz ratio (0-100) above which a later line of a document repeats an earlier one.
    caption_similarity: float = 90.0

    def __post_init__(self) -> None:
        _require(self.mode in get_args(CleanMode), f"mode must be one of {get_args(CleanMode)}")
        _require(self.learn_min_docs >= 2, "learn_min_docs must be at least 2")
        _require(0.0 <= self.learn_min_share <= 1.0, "learn_min_share must be between 0 and 1")
        _require(self.learn_max_chars > 0, "learn_max_chars must be positive")
        _require(0.0 < self.caption_similarity <= 100.0, "caption_similarity must be in (0, 100]")
        for pattern in (*self.drop_pattern, *self.keep_pattern):
            check_pattern(pattern)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExactConfig:
    """Exact duplicates: documents whose normalized text is identical.

    Example:
        >>> ExactConfig(enabled=False).enabled
        False
    """

    enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class NearConfig:
    """Near duplicates: word n-gram shingles, MinHash, LSH banding and verification.

    The defaults are chosen from ``benchmarks/quality.py``; the README gives the reasoning.

    Example:
        >>> NearConfig(threshold=0.7, num_perm=64).threshold
        0.7
    """

    enabled: bool = True
    # Word 3-grams: 2-grams merge different write-ups sharing stock phrases, 4- and 5-grams
    # lose lightly edited copies (benchmarks/quality.py; README "Choosing the defaults").
    ngram_size: int = 3
    num_perm: int = 128
    seed: int = 1
    # Jaccard similarity of shingle sets at or above which two documents are near duplicates.
    threshold: float = 0.5
    # Share of the shorter document's shingles found in the longer one at or above which the
    # shorter is a trimmed copy (its lead must be there too); 1.0 or above turns it off.
    containment_threshold: float = 0.6
    # Explicit LSH banding; None derives both from the threshold.
    bands: int | None = None
    rows: int | None = None
    verify: bool = True

    def __post_init__(self) -> None:
        _require(self.ngram_size >= 1, "ngram_size must be at least 1")
        _require(2 <= self.num_perm <= 1024, "num_perm must be between 2 and 1024")
        # MinHash permutations are drawn from NumPy's RandomState, which takes 32-bit seeds.
        _require(0 <= self.seed < 2**32, "seed must be between 0 and 2**32 - 1")
        _require(0.0 < self.threshold <= 1.0, "threshold must be in (0, 1]")
        _require(self.containment_threshold > 0.0, "containment_threshold must be positive")
        _require(
            (self.bands is None) == (self.rows is None), "give both bands and rows, or neither"
        )
        if self.bands is not None and self.rows is not None:
            _require(self.bands >= 1 and self.rows >= 1, "bands and rows must be positive")
            _require(
                self.bands * self.rows <= self.num_perm,
                f"bands x rows ({self.bands * self.rows}) must not exceed num_perm "
                f"({self.num_perm})",
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepConfig:
    """Which member of a duplicate group is kept as the canonical copy.

    ``longest`` keeps the longest cleaned text, ``earliest`` the oldest date in ``date_column``,
    ``first`` the first in input order, ``source-priority`` the first source in
    ``source_priority`` (a source column value or a url host). Ties break on input order, then
    ``doc_id``.

    Example:
        >>> KeepConfig(keep="source-priority", source_priority=("apnews.com",)).keep
        'source-priority'
    """

    keep: KeepPolicy = "longest"
    date_column: str | None = None
    source_column: str | None = None
    source_priority: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(
            self.keep in get_args(KeepPolicy),
            f"keep must be one of {', '.join(get_args(KeepPolicy))}, got {self.keep!r}",
        )
        _require(
            self.keep != "source-priority" or bool(self.source_priority),
            "keep='source-priority' needs source_priority= (sources or url hosts, best first)",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputConfig:
    """How the output folder is written: the format of every table, and whether to replace it.

    Example:
        >>> OutputConfig(format="jsonl", force=True).format
        'jsonl'
    """

    format: OutputFormat = "parquet"
    force: bool = False
    # dropped.parquet carries each dropped document's cleaned text, so a copy can be reviewed
    # and restored without the input; False leaves it out (README "Outputs" gives the cost).
    dropped_text: bool = True

    def __post_init__(self) -> None:
        _require(
            self.format in get_args(OutputFormat),
            f"format must be one of {', '.join(get_args(OutputFormat))}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineConfig:
    """All stage sections of one run.

    Example:
        >>> config = PipelineConfig(near=NearConfig(threshold=0.6))
        >>> config.near.threshold, config.keep.keep
        (0.6, 'longest')
    """

    input: InputConfig = field(default_factory=InputConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    exact: ExactConfig = field(default_factory=ExactConfig)
    near: NearConfig = field(default_factory=NearConfig)
    keep: KeepConfig = field(default_factory=KeepConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    @classmethod
    def from_toml(cls, path: Path, **overrides: dict[str, Any]) -> PipelineConfig:
        """Load a config file with one table per section; ``overrides`` win over the file.

        Raises:
            ConfigError: the file is missing, is not TOML, or has an unknown section or key.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file '{path}' does not exist") from None
        except IsADirectoryError:
            raise ConfigError(f"config file '{path}' is a folder; pass a .toml file") from None
        except OSError as error:
            raise ConfigError(f"config file '{path}' cannot be read: {error.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config file '{path}' is not valid TOML: {error}") from None
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        return cls.from_dict(data, origin=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, origin: str = "config") -> PipelineConfig:
        """Build a config from nested dicts keyed by section, as in the TOML file.

        Raises:
            ConfigError: an unknown section or key, or a value out of range.
        """
        sections = {f.name: f for f in dataclasses.fields(cls)}
        built: dict[str, Any] = {}
        for name, values in data.items():
            if name not in sections:
                raise ConfigError(
                    f"{origin}: unknown section [{name}] (valid: {', '.join(sections)})"
                )
            if not isinstance(values, dict):
                raise ConfigError(f"{origin}: [{name}] must be a table of keys")
            section_type = type(getattr(cls(), name))
            known = {f.name: f for f in dataclasses.fields(section_type)}
            unknown = sorted(set(values) - set(known))
            if unknown:
                raise ConfigError(
                    f"{origin}: unknown key {unknown[0]!r} in [{name}] (valid: {', '.join(known)})"
                )
            cleaned = _section_values(section_type, values, f"{origin}: [{name}]")
            built[name] = section_type(**cleaned)
        return cls(**built)

    def to_dict(self) -> dict[str, Any]:
        """Return the config as nested plain dicts, as written to report.json.

        Example:
            >>> PipelineConfig().to_dict()["near"]["threshold"]
            0.5
        """
        sections: dict[str, Any] = {}
        for section in dataclasses.fields(self):
            values = getattr(self, section.name)
            shown: dict[str, Any] = {}
            for f in dataclasses.fields(values):
                value = getattr(values, f.name)
                if f.metadata.get(_OMITTED_UNSET) and value == f.default:
                    continue
                shown[f.name] = list(value) if isinstance(value, tuple) else value
            sections[section.name] = shown
        return sections
