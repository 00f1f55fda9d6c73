"""Engines: where and when the stages run, never what they compute.

``dedupe.engines.local`` streams a corpus through one machine in batches; ``dedupe.engines.spark``
runs the same stage functions on PySpark. Both iterate the stage list declared in
``dedupe.pipeline``.
"""
