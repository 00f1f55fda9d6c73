"""The exceptions the library raises for a user's mistake; the CLI maps only these."""


class DedupeError(Exception):
    """Base class of every error caused by input, configuration or environment, not by a bug.

    Example:
        >>> import dedupe
        >>> try:
        ...     dedupe.run(["missing.jsonl"])
        ... except dedupe.DedupeError as error:
        ...     print(error)
        input 'missing.jsonl' does not exist; check the path
    """


class ConfigError(DedupeError):
    """An option or config file value is invalid.

    Example:
        >>> from dedupe import NearConfig
        >>> NearConfig(threshold=1.5)
        Traceback (most recent call last):
        dedupe.errors.ConfigError: threshold must be in (0, 1]
    """


class InputError(DedupeError):
    """An input path cannot be read as a corpus, or an output path cannot be written.

    Example:
        >>> from dedupe import read_corpus
        >>> read_corpus(["notes.docx"])
        Traceback (most recent call last):
        dedupe.errors.InputError: input 'notes.docx' does not exist; check the path
    """


class SchemaError(DedupeError):
    """A corpus lacks a required column or has one of the wrong type.

    Example:
        >>> import polars as pl
        >>> from dedupe import run
        >>> run(pl.DataFrame({"id": ["a"], "body": ["x"]}))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        dedupe.errors.SchemaError: input 'frame' has no column 'text' ...; pass text_column='body'
    """


class ResourceError(DedupeError):
    """The machine ran out of memory or disk space; the message names the stage or the path.

    Example:
        >>> from dedupe import ResourceError
        >>> issubclass(ResourceError, DedupeError)
        True
    """


class SparkUnavailableError(DedupeError):
    """PySpark, its Arrow dependencies, a Java runtime or the Python workers' dedupe is missing."""
