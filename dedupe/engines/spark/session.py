"""The SparkSession of a run: starting it quietly, its Python workers, and materializing results.

A stage's result is materialized (checkpointed) rather than only cached: later stages then plan
from its stored rows, not from every stage before it, which keeps Spark's query plans (and the
driver's planning time) small however many stages the run has.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from pyspark.errors import PySparkException, PySparkRuntimeError
from pyspark.sql import DataFrame, SparkSession

from dedupe.errors import SparkUnavailableError

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# What the JVM prints on every start, not as a log record: Java's notice that Spark 4 loads the
# Vector API incubator module, and PySpark's note on the log level (set to ERROR right after).
JVM_NOTICES = (
    b"WARNING: Using incubator modules",
    b"Setting default log level to",
    b"To adjust logging level use sc.setLogLevel",
)
SHIP_HINT = (
    "install dedupe-corpus {version} into that interpreter on every executor, or ship an "
    "environment with --archives env.tar.gz#env --conf spark.pyspark.python=./env/bin/python "
    "(README: Spark engine)"
)


def get_session(app_name: str = "dedupe") -> SparkSession:
    """Return the active SparkSession, or start one (local mode unless ``spark-submit`` set one).

    A session started here keeps the JVM's start-up warnings and Spark's progress bars off the
    terminal: the CLI draws its own progress and summary. The JVM's error output still reaches
    stderr.

    Raises:
        SparkUnavailableError: the JVM could not be started (no usable Java runtime).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = (
        SparkConf()
        .setAppName(app_name)
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}")
    )
    try:
        # pyspark.java_gateway has no annotations.
        gateway = launch_gateway(conf, popen_kwargs={"stderr": subprocess.PIPE})  # type: ignore[no-untyped-call]
    except PySparkRuntimeError as error:
        raise SparkUnavailableError(
            f"could not start Spark's Java gateway ({error.getErrorClass()}); check that "
            "Java 17 or later is installed and JAVA_HOME points to it"
        ) from None
    process = getattr(gateway, "proc", None)
    if process is not None and process.stderr is not None:
        # Under spark-submit the JVM is already running (and its stderr is not ours to filter).
        forward = threading.Thread(
            target=_forward_errors, args=(process.stderr,), name="dedupe-jvm-stderr", daemon=True
        )
        forward.start()
    SparkContext(conf=conf, gateway=gateway)
    session = SparkSession.builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _forward_errors(stream: BinaryIO) -> None:
    """Copy the JVM's stderr to ours, without the notices it prints on every start."""
    target = sys.__stderr__
    for line in iter(stream.readline, b""):
        if line.startswith(JVM_NOTICES) or target is None:
            continue
        target.write(line.decode("utf-8", errors="replace"))
        target.flush()


def worker_python(spark: SparkSession) -> str:
    """Point the Python workers at the driver's interpreter unless told otherwise; return it.

    ``PYSPARK_PYTHON`` or ``spark.pyspark.python`` win when set. Otherwise PySpark would start
    ``python3`` from the PATH, which is not the virtual environment ``dedupe`` was installed
    into when it was called by its path without activating it.
    """
    context = spark.sparkContext
    python = os.environ.get("PYSPARK_PYTHON") or context.getConf().get("spark.pyspark.python")
    context.pythonExec = python or sys.executable
    return str(context.pythonExec)


def _probe(_: Iterable[int]) -> Iterator[tuple[str | None, str, str]]:
    """What a Python worker finds: dedupe's version (None when missing), its interpreter, why."""
    import sys

    try:
        import dedupe
    except Exception as error:  # any failure to import is what the run must report
        yield None, sys.executable, f"{type(error).__name__}: {error}"
        return
    yield str(dedupe.__version__), sys.executable, ""


# Pickled by value (not as a reference to this module), so a worker that cannot import dedupe
# still runs it and says so, instead of failing the task with a Java stack trace.
_probe.__module__ = "__main__"


def check_workers(spark: SparkSession, python: str) -> None:
    """Check that the Python workers import the driver's version of dedupe.

    One small task per core; each imports dedupe and reports its version.

    Raises:
        SparkUnavailableError: a worker cannot import dedupe, or has another version; the
            message says how to ship it.
    """
    from dedupe.version import __version__

    context = spark.sparkContext
    slots = max(1, context.defaultParallelism)
    hint = SHIP_HINT.format(version=__version__)
    try:
        found = set(context.parallelize(range(slots), slots).mapPartitions(_probe).collect())
    except PySparkException as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise SparkUnavailableError(
            f"the Spark workers' Python ({python}) could not start ({first[:200]}); {hint}"
        ) from None
    except Exception as error:  # py4j's Java errors have no common base but Exception
        raise SparkUnavailableError(
            f"the Spark workers' Python ({python}) could not start ({type(error).__name__}); {hint}"
        ) from None
    for version, executable, problem in sorted(found, key=str):
        if version is None:
            raise SparkUnavailableError(
                f"the Spark workers' Python ({executable}) cannot import dedupe ({problem}); {hint}"
            )
        if version != __version__:
            raise SparkUnavailableError(
                f"the Spark workers' Python ({executable}) has dedupe {version}, the driver "
                f"{__version__}; {hint}"
            )


def describe(spark: SparkSession, python: str) -> dict[str, Any]:
    """The run's Spark side for ``report.json``: versions, master, parallelism, worker Python."""
    context = spark.sparkContext
    jvm = spark._jvm
    java = str(jvm.java.lang.System.getProperty("java.version")) if jvm is not None else None
    return {
        "pyspark": metadata.version("pyspark"),
        "spark": spark.version,
        "java": java,
        "master": context.master,
        "parallelism": context.defaultParallelism,
        "shuffle_partitions": int(spark.conf.get("spark.sql.shuffle.partitions") or "200"),
        "worker_python": python,
    }


def quiet_output(spark: SparkSession) -> None:
    """Write no ``_SUCCESS`` marker beside the part files: readers take every file for data."""
    hadoop = spark._jsc.hadoopConfiguration()
    hadoop.set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def materialize(frame: DataFrame) -> DataFrame:
    """Compute ``frame`` now and return it with its plan cut: reliable checkpoint or local.

    With a checkpoint folder set (``spark.sparkContext.setCheckpointDir``, on a cluster) the
    rows go there and survive an executor's loss; otherwise they stay on the executors.
    """
    if frame.sparkSession.sparkContext.getCheckpointDir() is not None:
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)


def jvm_of(spark: SparkSession) -> Any:
    """The session's JVM gateway (py4j), for Hadoop file system calls.

    Raises:
        SparkUnavailableError: the session has stopped, so it has no JVM.
    """
    jvm = spark._jvm
    if jvm is None:
        raise SparkUnavailableError("the Spark session has stopped; start a new one")
    return jvm
