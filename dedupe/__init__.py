"""dedupe: turn a scraped text corpus into a clean, canonical, deduplicated one."""

import importlib
import logging
from typing import TYPE_CHECKING, Any

from dedupe.errors import ConfigError, DedupeError, InputError, ResourceError, SchemaError
from dedupe.version import __version__

if TYPE_CHECKING:
    from dedupe.config import (
        CleanConfig,
        ExactConfig,
        InputConfig,
        KeepConfig,
        NearConfig,
        OutputConfig,
        PipelineConfig,
    )
    from dedupe.io.read import read_corpus
    from dedupe.pipeline import PipelineResult, run
    from dedupe.schema import DropReason

# Loaded on first use, so that `dedupe --version` and the CLI's supervising parent do not
# import Polars: the name, and the module that defines it.
_LAZY = {
    **dict.fromkeys(
        (
            "CleanConfig",
            "ExactConfig",
            "InputConfig",
            "KeepConfig",
            "NearConfig",
            "OutputConfig",
            "PipelineConfig",
        ),
        "dedupe.config",
    ),
    "read_corpus": "dedupe.io.read",
    "PipelineResult": "dedupe.pipeline",
    "run": "dedupe.pipeline",
    "DropReason": "dedupe.schema",
}

__all__ = [
    "CleanConfig",
    "ConfigError",
    "DedupeError",
    "DropReason",
    "ExactConfig",
    "InputConfig",
    "InputError",
    "KeepConfig",
    "NearConfig",
    "OutputConfig",
    "PipelineConfig",
    "PipelineResult",
    "ResourceError",
    "SchemaError",
    "__version__",
    "read_corpus",
    "run",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dedupe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
