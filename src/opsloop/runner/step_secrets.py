"""A step's secrets: the values its ``${{secrets.NAME}}`` references stand for, read from
the workspace's vault as the step starts, and the masking of those values in its log.

The plan keeps the references; the values go only into the process's command line and
environment. When there is a value to mask, the step's output reaches its log file through
a pipe whose reader replaces each value by ``***`` (also one cut by a chunk boundary).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from opsloop.errors import OpsloopError
from opsloop.execution.plan import CommandStepPlan
from opsloop.security.log_masking import StreamMasker
from opsloop.security.secret_references import referenced_names, substitute
from opsloop.services import job_runs, vault
from opsloop.services.context import Platform

log = logging.getLogger(__name__)
# How long to wait for the rest of the output once the step's process ended: a process it
# left in the background may hold the pipe open (it is killed with the step's group).
DRAIN_S = 5.0
CHUNK = 64 * 1024


@dataclass(frozen=True)
class StepSecrets:
    values: dict[str, str] = field(default_factory=dict)  # name -> value
    error: str | None = None  # why they could not be read: the step fails with it

    def command_values(self) -> dict[str, str]:
        """For ``render_command``: ``secrets.NAME`` -> value."""
        return {f"secrets.{name}": value for name, value in self.values.items()}

    def environment(self, variables: dict[str, str]) -> dict[str, str]:
        return {key: substitute(value, self.values) for key, value in variables.items()}


def load_step_secrets(
    platform: Platform, workspace: str, plan: CommandStepPlan, label: str
) -> StepSecrets:
    """The values the plan refers to (none read when it refers to none)."""
    texts = [plan.component.command, *plan.environment_variables.values()]
    names = list(dict.fromkeys(n for text in texts for n in referenced_names(text)))
    if not names:
        return StepSecrets()
    try:
        values = job_runs.report(
            platform, vault.values_for_step, workspace, names, user=f"step {label!r}"
        )
    except OpsloopError as exc:  # a secret deleted since submission, a wrong master key
        return StepSecrets(error=str(exc))
    return StepSecrets(values)


@contextmanager
def captured_output(
    log: IO[bytes], log_path: Path, secrets: StepSecrets
) -> Iterator[IO[bytes] | int]:
    """Where the step's stdout and stderr go: its log file, or, with values to mask, a pipe
    read by a thread that writes the masked output to the log file."""
    if not secrets.values:
        yield log
        return
    read_end, write_end = os.pipe()
    pump = threading.Thread(
        target=_pump,
        args=(read_end, log_path, StreamMasker(secrets.values.values())),
        name=f"mask-{log_path.stem}",
        daemon=True,
    )
    pump.start()
    try:
        yield write_end
    finally:
        os.close(write_end)  # the process holds its own copy; the reader sees EOF after it
        pump.join(DRAIN_S)


def _pump(read_end: int, log_path: Path, masker: StreamMasker) -> None:
    with open(read_end, "rb", buffering=0) as pipe:
        try:
            with log_path.open("ab", buffering=0) as out:
                while chunk := pipe.read(CHUNK):
                    out.write(masker.feed(chunk))
                out.write(masker.close())
        except OSError:  # the log cannot be written (a full disk): never block the step
            log.exception("could not write the log of %s", log_path.stem)
            while pipe.read(CHUNK):
                pass
