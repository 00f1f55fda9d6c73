"""The version of dedupe, read by the package, the report and the build."""

__version__ = "0.1.0"
