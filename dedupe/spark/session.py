"""Getting a SparkSession: the active one, or a new one, with one clear message when Java fails."""

from __future__ import annotations

from pyspark.errors import PySparkRuntimeError
from pyspark.sql import SparkSession

from dedupe.spark import SparkUnavailableError


def get_session(app_name: str = "dedupe") -> SparkSession:
    """Return the active SparkSession, or start one (local mode unless ``spark-submit`` set one).

    Raises:
        SparkUnavailableError: the JVM could not be started (no usable Java runtime).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    try:
        return SparkSession.builder.appName(app_name).getOrCreate()
    except PySparkRuntimeError as error:
        raise SparkUnavailableError(
            f"could not start Spark's Java gateway ({error.getErrorClass()}); check that "
            "Java 17 or later is installed and JAVA_HOME points to it"
        ) from None
