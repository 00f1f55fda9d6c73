"""Progress of a Spark run: the tasks of each pass's Spark jobs, for the ``on_progress`` callback.

A daemon thread polls Spark's status tracker; every stage Spark starts while a pass runs counts
toward that pass, so a pass's total grows as its jobs are planned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from pyspark.sql import SparkSession

Progress = Callable[[str, int, int | None], None]
POLL_SECONDS = 0.5


class JobProgress:
    """Report ``(pass, tasks done, tasks planned)`` while the run's Spark jobs execute."""

    def __init__(self, spark: SparkSession, on_progress: Progress | None) -> None:
        self.tracker = spark.sparkContext.statusTracker()
        self.on_progress = on_progress
        self.name: str | None = None
        self.stages: dict[int, tuple[int, int]] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._poll, name="dedupe-progress", daemon=True)

    def begin(self, name: str) -> None:
        """Count the Spark stages started from now on toward pass ``name``."""
        with self.lock:
            self._finish()
            self.name = name
            self.stages = {}

    def _poll(self) -> None:
        while not self.stopped.wait(POLL_SECONDS):
            with self.lock:
                for stage_id in self.tracker.getActiveStageIds():
                    info = self.tracker.getStageInfo(stage_id)
                    if info is not None:
                        self.stages[stage_id] = (info.numCompletedTasks, info.numTasks)
                self._report()

    def _report(self) -> None:
        if self.name is None or self.on_progress is None or not self.stages:
            return
        done = sum(done for done, _ in self.stages.values())
        total = sum(total for _, total in self.stages.values())
        self.on_progress(self.name, done, total)

    def __enter__(self) -> JobProgress:
        if self.on_progress is not None:
            self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()
        with self.lock:
            self._finish()

    def _finish(self) -> None:
        # The pass is over: stages that finished between two polls count as complete.
        self.stages = {k: (total, total) for k, (_, total) in self.stages.items()}
        self._report()
