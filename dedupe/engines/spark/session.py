"""The SparkSession and its data: getting a session, and materializing a stage's result.

A stage's result is materialized (checkpointed) rather than only cached: later stages then plan
from its stored rows, not from every stage before it, which keeps Spark's query plans (and the
driver's planning time) small however many stages the run has.
"""

from __future__ import annotations

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import DataFrame, SparkSession

from dedupe.engines.spark import SparkUnavailableError


def get_session(app_name: str = "dedupe") -> SparkSession:
    """Return the active SparkSession, or start one (local mode unless ``spark-submit`` set one).

    Raises:
        SparkUnavailableError: the JVM could not be started (no usable Java runtime).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        # The CLI draws its own summary; Spark's progress bars would interleave with it.
        session = (
            SparkSession.builder.appName(app_name)
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    except PySparkRuntimeError as error:
        raise SparkUnavailableError(
            f"could not start Spark's Java gateway ({error.getErrorClass()}); check that "
            "Java 17 or later is installed and JAVA_HOME points to it"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def materialize(frame: DataFrame) -> DataFrame:
    """Compute ``frame`` now and return it with its plan cut: reliable checkpoint or local.

    With a checkpoint folder set (``spark.sparkContext.setCheckpointDir``, on a cluster) the
    rows go there and survive an executor's loss; otherwise they stay on the executors.
    """
    if frame.sparkSession.sparkContext.getCheckpointDir() is not None:
        return frame.checkpoint(eager=True)
    return frame.localCheckpoint(eager=True)
