"""The ``${{...}}`` expression language of Azure ML CLI v2 specs.

In a command: ``${{inputs.x}}`` and ``${{outputs.x}}``; ``$[[ ... ]]`` marks an optional
segment, dropped when an input it uses is not bound. In pipeline steps:
``${{parent.inputs.x}}``, ``${{parent.outputs.x}}`` and ``${{parent.jobs.step.outputs.o}}``.
``${{secrets.NAME}}`` refers to a secret of the workspace's vault: put in by the runner when
the step starts (``security.secret_references``), never stored in a plan.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from opsloop.errors import ValidationError

EXPRESSION = re.compile(r"\$\{\{\s*(?P<body>[^{}]*?)\s*\}\}")
OPTIONAL_SEGMENT = re.compile(r"\$\[\[(?P<body>.*?)\]\]", re.DOTALL)


@dataclass(frozen=True)
class Binding:
    """A parsed ``${{...}}`` reference."""

    # "inputs" | "outputs" | "parent.inputs" | "parent.outputs" | "parent.jobs" | "secrets"
    scope: str
    name: str
    step: str | None = None  # for parent.jobs.<step>.outputs.<name>

    def __str__(self) -> str:
        if self.step:
            return f"${{{{parent.jobs.{self.step}.outputs.{self.name}}}}}"
        return f"${{{{{self.scope}.{self.name}}}}}"


def parse_expression(body: str, *, field: str) -> Binding:
    parts = body.split(".")
    if len(parts) == 2 and parts[0] in ("inputs", "outputs", "secrets"):
        return Binding(parts[0], parts[1])
    if len(parts) == 3 and parts[0] == "parent" and parts[1] in ("inputs", "outputs"):
        return Binding(f"parent.{parts[1]}", parts[2])
    if len(parts) == 5 and parts[:2] == ["parent", "jobs"] and parts[3] == "outputs":
        return Binding("parent.jobs", parts[4], step=parts[2])
    raise ValidationError(f"unsupported expression ${{{{{body}}}}}", field=field)


def as_single_binding(value: object, *, field: str) -> Binding | None:
    """If ``value`` is exactly one ``${{...}}`` expression, its binding; else None."""
    if not isinstance(value, str):
        return None
    match = EXPRESSION.fullmatch(value.strip())
    return parse_expression(match["body"], field=field) if match else None


def bindings_in(text: str, *, field: str) -> list[Binding]:
    return [parse_expression(m["body"], field=field) for m in EXPRESSION.finditer(text)]


def check_command(
    command: str,
    inputs: Mapping[str, object],
    outputs: Mapping[str, object],
    optional_inputs: set[str],
    *,
    field: str = "command",
) -> None:
    """Reject references to undeclared names and optional inputs outside ``$[[...]]``."""
    if command.count("$[[") != command.count("]]"):
        raise ValidationError("unbalanced $[[ ]] optional segment", field=field)
    outside = OPTIONAL_SEGMENT.sub("", command)
    for binding in bindings_in(command, field=field):
        if binding.scope == "secrets":
            continue  # the job's workspace vault is checked when the job is submitted
        declared = inputs if binding.scope == "inputs" else outputs
        if binding.scope not in ("inputs", "outputs"):
            raise ValidationError(f"{binding} is not allowed in a command", field=field)
        if binding.name not in declared:
            raise ValidationError(
                f"{binding} refers to an undeclared {binding.scope[:-1]} {binding.name!r}",
                field=field,
            )
    for binding in bindings_in(outside, field=field):
        if binding.scope == "inputs" and binding.name in optional_inputs:
            raise ValidationError(
                f"optional input {binding.name!r} must be used inside a $[[...]] segment",
                field=field,
            )


def render_command(command: str, values: Mapping[str, str | None]) -> str:
    """Substitute bound values; drop optional segments whose inputs are unbound.

    ``values`` maps ``inputs.x`` / ``outputs.x`` to their text (None when unbound), and
    ``secrets.NAME`` to a secret's value.
    """

    def optional(match: re.Match[str]) -> str:
        body = match["body"]
        keys = [f"{b.scope}.{b.name}" for b in bindings_in(body, field="command")]
        if any(values.get(key) is None for key in keys):
            return ""
        return _substitute(body, values)

    return _substitute(OPTIONAL_SEGMENT.sub(optional, command), values)


def _substitute(text: str, values: Mapping[str, str | None]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match["body"].strip()
        value = values.get(key)
        if value is None:
            raise ValidationError(f"${{{{{key}}}}} is not bound", field="command")
        if key.startswith("secrets."):
            return value  # as the user wrote it into the vault
        # Paths may hold spaces; literals are passed through as written (Azure behaviour).
        return shlex.quote(value) if any(c.isspace() for c in value) and "/" in value else value

    return EXPRESSION.sub(replace, text)
