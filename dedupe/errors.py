"""The exceptions the library raises for a user's mistake; the CLI maps only these."""


class DedupeError(Exception):
    """Base class of every error caused by input, configuration or environment, not by a bug."""


class ConfigError(DedupeError):
    """An option or config file value is invalid."""


class InputError(DedupeError):
    """An input path cannot be read as a corpus, or an output path cannot be written."""


class SchemaError(DedupeError):
    """A corpus lacks a required column or has one of the wrong type."""


class SparkUnavailableError(DedupeError):
    """PySpark, its Arrow dependencies, a Java runtime or the Python workers' dedupe is missing."""
