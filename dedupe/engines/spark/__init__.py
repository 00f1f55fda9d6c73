"""The Spark engine: the local stages run on PySpark, for corpora beyond one machine.

The engine orchestrates and the stages decide: per-batch work (line rules, normalizing,
shingling, signatures, scoring pairs) runs the local stage functions in ``mapInArrow`` on Arrow
batches, and corpus-wide work (learned-line counts, LSH buckets, connected components) runs as
Spark operations. Decisions on duplicate groups run the local decision functions on each
complete group (``applyInArrow``), so the answers are the local engine's.

PySpark is an optional extra; this package imports it only when a run starts.

Example:
    >>> from dedupe.engines.spark import spark_available
    >>> isinstance(spark_available(), bool)
    True
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dedupe.errors import SparkUnavailableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from dedupe.config import PipelineConfig
    from dedupe.engines.spark.engine import SparkResult

__all__ = ["INSTALL_COMMAND", "SparkUnavailableError", "run_spark", "spark_available"]

INSTALL_COMMAND = "pip install 'dedupe-corpus[spark]'"
# What mapInArrow needs besides PySpark itself: PySpark refuses Arrow UDFs without pandas.
_MODULES = ("pyspark", "pyarrow", "pandas")


def spark_available() -> bool:
    """Whether PySpark and its Arrow dependencies can be imported (Java is not checked)."""
    return all(importlib.util.find_spec(name) is not None for name in _MODULES)


def _java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def require_spark() -> None:
    """Check that the Spark engine can start here.

    Raises:
        SparkUnavailableError: PySpark (or pyarrow, pandas) is not installed, or no Java runtime
            is found on ``JAVA_HOME`` or the ``PATH``.
    """
    missing = [name for name in _MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise SparkUnavailableError(
            f"the Spark engine needs {', '.join(missing)}; install it with: {INSTALL_COMMAND}"
        )
    if not _java_found():
        raise SparkUnavailableError(
            "the Spark engine needs a Java runtime (17 or later) and none was found; install "
            "one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )


def run_spark(
    inputs: list[str],
    config: PipelineConfig | None = None,
    *,
    spark: SparkSession | None = None,
    output: str | Path | None = None,
    against: Path | None = None,
    on_progress: Callable[[str, int, int | None], None] | None = None,
) -> SparkResult:
    """Run the pipeline on Spark; see :func:`dedupe.engines.spark.engine.run` for the arguments.

    Without ``spark`` the active session is used, or one is created (under ``spark-submit``
    it takes the submitted settings; on its own it runs in local mode).

    Raises:
        SparkUnavailableError: PySpark or Java is missing, or the Python workers cannot import
            this version of dedupe.
        InputError: an input cannot be read, or the output folder is not usable.
        SchemaError: an input lacks the text column or the requested id column.
        ConfigError: an option is not usable, or ``against`` has other near-duplicate settings.
    """
    require_spark()
    from dedupe.engines.spark.engine import run
    from dedupe.engines.spark.session import get_session

    session = spark if spark is not None else get_session()
    return run(session, inputs, config, output=output, against=against, on_progress=on_progress)
