"""dedupe: turn a scraped text corpus into a clean, canonical, deduplicated one."""

import logging

from dedupe.config import (
    CleanConfig,
    ExactConfig,
    InputConfig,
    KeepConfig,
    NearConfig,
    OutputConfig,
    PipelineConfig,
)
from dedupe.errors import ConfigError, DedupeError, InputError, ResourceError, SchemaError
from dedupe.io.read import read_corpus
from dedupe.pipeline import PipelineResult, run
from dedupe.schema import DropReason
from dedupe.version import __version__

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
