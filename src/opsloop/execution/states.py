"""Job and step states: the one place that says which transitions are allowed."""

from __future__ import annotations

from enum import StrEnum

from opsloop.errors import ConflictError


class JobStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"


TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}
)

ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    # A reused step goes straight from NotStarted to Completed.
    JobStatus.NOT_STARTED: frozenset(
        {
            JobStatus.QUEUED,
            JobStatus.RUNNING,
            JobStatus.COMPLETED,
            JobStatus.CANCELED,
            JobStatus.FAILED,
        }
    ),
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELED, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELED: frozenset(),
}


def check_transition(current: str, target: str) -> JobStatus:
    source, destination = JobStatus(current), JobStatus(target)
    if destination not in ALLOWED[source]:
        raise ConflictError(f"a {source.value} job cannot become {destination.value}")
    return destination


def is_terminal(status: str) -> bool:
    return JobStatus(status) in TERMINAL
