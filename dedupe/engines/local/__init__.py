"""The local engine: streaming passes over batches on one machine, threads and spills.

Public names: ``dedupe.engines.local.passes`` (``Runner``, ``key_batch``, ``mark_empty``,
``in_order``, ``Progress``) and ``dedupe.engines.local.memory`` (``release_freed_memory``).
"""
