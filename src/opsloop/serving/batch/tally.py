"""Counts gathered while mini-batches finish, in any order, and what the workers measured.

Items are counted as Azure counts them: a file of folder input, a row of mltable input. A
file cut into ranges (see splitting) counts once, when its last range is done: succeeded
if every range succeeded, failed otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from opsloop.serving.batch.inputs import MiniBatch
from opsloop.serving.batch.worker import Outcome

log = logging.getLogger("opsloop.serving.batch.scoring")
MAX_ERRORS = 20  # kept in the summary; every error is logged


@dataclass(frozen=True)
class ProgressUpdate:
    done_mini_batches: int
    total_mini_batches: int
    succeeded_items: int
    failed_items: int


@dataclass
class Tally:
    total_mini_batches: int
    error_threshold: int
    succeeded: int = 0
    failed: int = 0
    done: int = 0
    failed_batches: int = 0
    retries: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    # Summed over the workers: reading inputs, predicting, encoding predictions.
    seconds: dict[str, float] = field(default_factory=dict)
    fatal: bool = False
    _parts: dict[str, list[int]] = field(default_factory=dict)  # path: [done, failed]

    @property
    def stopped(self) -> bool:
        over = self.error_threshold >= 0 and self.failed > self.error_threshold
        return self.fatal or over

    def finish(self, batch: MiniBatch, outcome: Outcome) -> None:
        self.done += 1
        self.rows += outcome.rows
        for phase, seconds in outcome.seconds.items():
            self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        if batch.ranges is None:
            self.succeeded += outcome.succeeded
            self.failed += outcome.failed
        else:
            self._count_ranges(batch, set(outcome.failed_positions))
        self.failed_batches += int(outcome.failed > 0)
        for message in outcome.errors:
            self.error(f"mini-batch {batch.index}: {message}")

    def _count_ranges(self, batch: MiniBatch, failed: set[int]) -> None:
        assert batch.ranges is not None
        for position, item in enumerate(batch.ranges):
            done, bad = self._parts.get(item.path, [0, 0])
            done, bad = done + 1, bad + int(position in failed)
            self._parts[item.path] = [done, bad]
            if done == item.parts:
                self.succeeded += int(bad == 0)
                self.failed += int(bad > 0)

    def error(self, message: str) -> None:
        log.error("%s", message)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def progress(self) -> ProgressUpdate:
        return ProgressUpdate(self.done, self.total_mini_batches, self.succeeded, self.failed)
