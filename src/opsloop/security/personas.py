"""Persona templates: the reference architecture's two tables of which roles each persona
holds on each resource family, for ``production`` and ``preproduction`` workspaces.

The tables are data (``personas.yaml``, which names its source); this module reads them
once and answers three questions:

- which family a declared action belongs to (``family_of``): the first family, in
  ``match_order``, one of whose patterns matches it;
- what a cell's role allows there: a *family role* such as ``Reader (container registry)``
  allows the built-in role's actions that belong to that family, and nothing else
  (``family_role``), so Reader on the container registry reads environments but no models;
- which family roles a persona holds in a workspace of a kind, and whether it holds them
  standing or is only eligible for them (just-in-time, ``template``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from opsloop.catalogue.actions import Action
from opsloop.security.roles import BUILT_IN_ROLES, RoleDefinition

WorkspaceKind = Literal["production", "preproduction"]
KINDS: tuple[WorkspaceKind, ...] = ("production", "preproduction")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    title: str
    url: str
    markdown: str


class Family(_Model):
    id: str
    title: str
    article_column: str
    actions: tuple[str, ...]


class Persona(_Model):
    id: str
    title: str
    type: str
    description: str
    aliases: tuple[str, ...] = ()


class KindTable(_Model):
    article_table: str
    just_in_time: tuple[str, ...] = ()
    # persona -> family -> the article's abbreviations, in the article's order
    cells: dict[str, dict[str, tuple[str, ...]]]


class PersonaTables(_Model):
    source: Source
    notes: tuple[str, ...]
    abbreviations: dict[str, str]
    families: tuple[Family, ...]
    match_order: tuple[str, ...]
    not_in_templates: tuple[str, ...]
    personas: tuple[Persona, ...]
    kinds: dict[WorkspaceKind, KindTable] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> PersonaTables:
        # A typo in the data would silently grant nothing: refuse it when loading.
        families = {f.id for f in self.families}
        personas = {p.id for p in self.personas}
        if set(self.match_order) != families:
            raise ValueError("match_order must name every family once")
        for role in self.abbreviations.values():
            if role not in BUILT_IN_ROLES:
                raise ValueError(f"abbreviation for unknown role {role!r}")
        for kind, table in self.kinds.items():
            if set(table.cells) != personas:
                raise ValueError(f"{kind}: cells must have one row per persona")
            for persona, row in table.cells.items():
                for family, cell in row.items():
                    if family not in families:
                        raise ValueError(f"{kind}.{persona}: unknown family {family!r}")
                    for code in cell:
                        if code not in self.abbreviations:
                            raise ValueError(f"{kind}.{persona}.{family}: unknown role {code!r}")
            if not set(table.just_in_time) <= personas:
                raise ValueError(f"{kind}: just_in_time names an unknown persona")
        return self


@dataclass(frozen=True)
class TemplateRole:
    """One role of a persona's template: ``role`` (a family role) over ``family``, from the
    article's ``code``; ``eligible`` when the persona holds it just-in-time only."""

    family: str
    code: str
    base_role: str
    role: str
    eligible: bool


@cache
def tables() -> PersonaTables:
    text = resources.files("opsloop.security").joinpath("personas.yaml").read_text()
    return PersonaTables.model_validate(yaml.safe_load(text))


def find_persona(name: str) -> Persona | None:
    """The persona called ``name`` (its id, an alias, with ``-`` or ``_``, any case)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    for persona in tables().personas:
        if key == persona.id or key in persona.aliases:
            return persona
    return None


def family(family_id: str) -> Family:
    return next(f for f in tables().families if f.id == family_id)


@cache
def family_of(action: Action | str) -> str | None:
    """The family ``action`` belongs to; None for access administration (no template
    grants it) and for an action no family names."""
    value = action.value if isinstance(action, Action) else action
    if any(fnmatchcase(value, p) for p in tables().not_in_templates):
        return None
    for family_id in tables().match_order:
        if any(fnmatchcase(value, p) for p in family(family_id).actions):
            return family_id
    return None


def family_role_name(base_role: str, family_id: str) -> str:
    return f"{base_role} ({family(family_id).title})"


@cache
def family_roles() -> dict[str, RoleDefinition]:
    """Every (built-in role, family) pair as a role: the role's actions in that family."""
    found: dict[str, RoleDefinition] = {}
    for fam in tables().families:
        actions = [a for a in Action if family_of(a) == fam.id]
        for base in BUILT_IN_ROLES.values():
            name = family_role_name(base.name, fam.id)
            found[name] = RoleDefinition(
                name=name,
                description=f"{base.name}, over the {fam.title} only "
                f"(the reference architecture's {fam.article_column} column).",
                actions=tuple(a.value for a in actions if base.allows(a)),
                built_in=True,
            )
    return found


def family_role(name: str) -> RoleDefinition | None:
    return family_roles().get(name)


def template(persona_id: str, kind: WorkspaceKind) -> list[TemplateRole]:
    """The roles ``persona_id`` holds in a workspace of ``kind``, family by family in the
    article's column order, each cell's roles in the article's order."""
    data = tables()
    table = data.kinds[kind]
    row = table.cells[persona_id]
    eligible = persona_id in table.just_in_time
    return [
        TemplateRole(
            family=fam.id,
            code=code,
            base_role=data.abbreviations[code],
            role=family_role_name(data.abbreviations[code], fam.id),
            eligible=eligible,
        )
        for fam in data.families
        for code in row.get(fam.id, ())
    ]
