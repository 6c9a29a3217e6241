"""A pipeline's progress as lines a person reads: each step's state as it changes."""

from __future__ import annotations

from opsloop.schemas.entities import Job


class StepProgress:
    """Remembers what was last said about each step, to say only what changed."""

    def __init__(self) -> None:
        self._said: dict[str, str] = {}

    def changes(self, job: Job) -> list[str]:
        lines = []
        for step in job.steps:
            label = step.step_name or step.name
            if self._said.get(label) == step.status:
                continue
            self._said[label] = step.status
            lines.append(f"{label:<16} {describe_step_state(step)}")
        return lines


def describe_step_state(step: Job) -> str:
    """``Running``, ``Completed in 12.3 s``, ``Reused from calm_cloud_1.train_model``."""
    if step.reused_from:
        return f"Reused from {step.reused_from}"
    seconds = step.duration_seconds
    if step.is_terminal and seconds is not None:
        return f"{step.status} in {seconds:.1f} s"
    return step.status
