"""``project.yaml``: the platform as code for one project (``opsloop apply -f``).

The file is validated here, its ``{file: PATH}`` entries read (relative to the project
file) with their own line maps, and literal credentials refused; every error names the file
(the project file, or the entry's file) and line. What each entry means to the platform
(create, update, delete) is decided by ``opsloop.project``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from opsloop.errors import ValidationError
from opsloop.specs.base import AssetName, SpecModel
from opsloop.specs.loader import LineMap, apply_overrides, read_yaml, validate_spec

# The kinds a workspace entry lists, in the order apply creates them (a schedule may run a
# monitor; a subscription may name a compute's job; promotion policies are read by promote).
WORKSPACE_KINDS = (
    "datastores",
    "computes",
    "environments",
    "promotion_policies",
    "monitors",
    "schedules",
    "subscriptions",
)


class _Strict(SpecModel):
    pass


class PrincipalEntry(_Strict):
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["user", "service_principal"] = "user"
    display_name: str | None = None
    description: str | None = None


class GroupEntry(_Strict):
    name: AssetName
    members: list[str] = Field(default_factory=list)
    display_name: str | None = None
    description: str | None = None


class RegistryEntry(_Strict):
    name: AssetName
    description: str | None = None


class RoleAssignmentEntry(_Strict):
    principal: str = Field(min_length=1, max_length=128)
    role: str = Field(min_length=1, max_length=128)
    scope: str = Field(default="/", min_length=1, max_length=1024)


class AccessEntry(_Strict):
    """A role or a persona template held at the workspace's scope."""

    principal: str = Field(min_length=1, max_length=128)
    role: str | None = None
    persona: str | None = None

    def model_post_init(self, _context: Any) -> None:
        if (self.role is None) == (self.persona is None):
            raise ValueError("give exactly one of role and persona")


class BudgetEntry(_Strict):
    monthly: float = Field(ge=0)
    currency: str = "USD"
    thresholds: list[int] | None = None
    rates: dict[str, float] = Field(default_factory=dict)


class WorkspaceEntry(_Strict):
    name: AssetName
    kind: Literal["preproduction", "production"] = "preproduction"
    description: str | None = None
    display_name: str | None = None
    budget: BudgetEntry | None = None
    access: list[AccessEntry] = Field(default_factory=list)
    # Each entry: the kind's spec inline, or {file: PATH, set: {key.path: value}}; read
    # and validated by load_project (the kind's own spec model).
    datastores: list[dict[str, Any]] = Field(default_factory=list)
    computes: list[dict[str, Any]] = Field(default_factory=list)
    environments: list[dict[str, Any]] = Field(default_factory=list)
    promotion_policies: list[dict[str, Any]] = Field(default_factory=list)
    schedules: list[dict[str, Any]] = Field(default_factory=list)
    monitors: list[dict[str, Any]] = Field(default_factory=list)
    subscriptions: list[dict[str, Any]] = Field(default_factory=list)


class ProjectSpec(_Strict):
    name: AssetName
    registries: list[RegistryEntry] = Field(default_factory=list)
    principals: list[PrincipalEntry] = Field(default_factory=list)
    groups: list[GroupEntry] = Field(default_factory=list)
    role_assignments: list[RoleAssignmentEntry] = Field(default_factory=list)
    workspaces: list[WorkspaceEntry] = Field(default_factory=list)


@dataclass
class Entry:
    """One resource of a workspace as declared: its spec data and where it was written."""

    kind: str  # a WORKSPACE_KINDS item
    workspace: str
    data: dict[str, Any]
    file: str  # the file that holds it: the project file or the entry's file:
    line: int | None
    lines: LineMap = field(default_factory=dict)
    base: Path = field(default_factory=Path.cwd)  # what its relative paths are relative to
    secrets: list[str] = field(default_factory=list)  # the ${{secrets.NAME}} it names

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    def error(self, message: str, key: str | None = None) -> ValidationError:
        line = self.lines.get((key,)) if key else None
        return ValidationError(message, field=key, file=self.file, line=line or self.line)


@dataclass
class Project:
    spec: ProjectSpec
    file: str
    lines: LineMap
    entries: list[Entry]

    def line_of(self, *path: str | int) -> int | None:
        return self.lines.get(tuple(str(p) for p in path))


def load_project(path: str | Path, check: Callable[[Entry], Any]) -> Project:
    """Read and check a project file and the spec files its entries name; ``check``
    validates one entry against its kind's spec (``opsloop.project.kinds``)."""
    file = Path(path)
    data, lines = read_yaml(file)
    refuse_literal_secrets(data, str(file), lines)
    spec = validate_spec(ProjectSpec, data, file=str(file), lines=lines)
    entries: list[Entry] = []
    for w, workspace in enumerate(spec.workspaces):
        for kind in WORKSPACE_KINDS:
            for i, raw in enumerate(getattr(workspace, kind)):
                at = ("workspaces", str(w), kind, str(i))
                entry = _entry(kind, workspace.name, raw, file, lines, at)
                check(entry)
                entries.append(entry)
    _refuse_duplicates(entries)
    return Project(spec, str(file), lines, entries)


def _entry(
    kind: str, workspace: str, raw: dict[str, Any], file: Path, lines: LineMap, at: tuple[str, ...]
) -> Entry:
    line = lines.get(at)
    if "file" not in raw:
        inner = {key[len(at) :]: value for key, value in lines.items() if key[: len(at)] == at}
        return Entry(kind, workspace, dict(raw), str(file), line, inner, file.resolve().parent)
    unknown = set(raw) - {"file", "set", "name"}
    if unknown:
        key = sorted(unknown)[0]
        raise ValidationError(
            "unknown key beside file: (give file:, set: and, for a promotion policy, name:)",
            field=".".join((*at, key)),
            file=str(file),
            line=lines.get((*at, key), line),
        )
    spec_file = (file.resolve().parent / str(raw["file"])).resolve()
    if not spec_file.is_file():
        raise ValidationError(
            f"{str(spec_file)!r} does not exist",
            field=".".join((*at, "file")),
            file=str(file),
            line=lines.get((*at, "file"), line),
        )
    # Named as the user wrote it (relative to where project.yaml was given), for errors.
    shown = os.path.normpath(file.parent / str(raw["file"]))
    data, spec_lines = read_yaml(Path(shown))
    refuse_literal_secrets(data, shown, spec_lines)
    overrides = raw.get("set") or {}
    if not isinstance(overrides, dict):
        raise ValidationError(
            "must map key paths to values", field=".".join((*at, "set")), file=str(file), line=line
        )
    refuse_literal_secrets(overrides, str(file), {(): line or 1})
    apply_overrides(data, [f"{k}={_scalar(v)}" for k, v in overrides.items()])
    if "name" in raw:
        data["name"] = raw["name"]
    return Entry(kind, workspace, data, shown, 1, spec_lines, spec_file.parent)


def _scalar(value: Any) -> str:
    import json

    return json.dumps(value)


def _refuse_duplicates(entries: list[Entry]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for entry in entries:
        key = (entry.kind, entry.workspace, entry.name)
        if key in seen:
            raise entry.error(
                f"{entry.kind[:-1].replace('_', ' ')} {entry.name!r} is declared twice in "
                f"workspace {entry.workspace!r}",
                "name",
            )
        seen.add(key)


# Keys whose value is a credential: only a ${{secrets.NAME}} reference is accepted there.
_CREDENTIAL_KEY = re.compile(
    r"(^|_)(password|passwd|secret|token|key|account_key|access_key|secret_key|api_key|"
    r"sas_token|client_secret|credential|credentials|private_key|connection_string)$",
    re.IGNORECASE,
)
# Values that are credentials wherever they stand: an opsloop or webhook token, a key pair.
_CREDENTIAL_VALUE = re.compile(r"^(whsec_|opsloop_)[A-Za-z0-9_\-]{8,}|-----BEGIN [A-Z ]*KEY")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)
_ONLY_REFERENCE = re.compile(r"^\s*(\$\{\{\s*secrets\.[^{}\s]+\s*\}\}\s*)+$")


def refuse_literal_secrets(
    data: Any, file: str, lines: LineMap, path: tuple[str, ...] = ()
) -> None:
    """A credential written in the file is refused, naming its field, file and line: the
    file holds secrets by name only (``${{secrets.NAME}}``, resolved from the vault)."""
    if isinstance(data, dict):
        for key, value in data.items():
            child = (*path, str(key))
            credential = isinstance(value, str) and _CREDENTIAL_KEY.search(str(key))
            if credential and value.strip() and not _ONLY_REFERENCE.match(value):
                raise _literal(file, lines, child)
            refuse_literal_secrets(value, file, lines, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            refuse_literal_secrets(value, file, lines, (*path, str(index)))
    elif isinstance(data, str) and (_CREDENTIAL_VALUE.search(data) or _URL_PASSWORD.match(data)):
        raise _literal(file, lines, path)


def _literal(file: str, lines: LineMap, path: tuple[str, ...]) -> ValidationError:
    from opsloop.specs.loader import line_for

    return ValidationError(
        "a literal credential is not allowed here: store it with `opsloop secret set NAME` "
        "and write ${{secrets.NAME}}",
        field=".".join(path) or None,
        file=file,
        line=line_for(lines, path),
    )
