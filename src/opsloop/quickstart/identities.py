"""The quickstart's people and processes: the platform owner (the OS user, who owns the
embedded home) makes a CI/CD service principal and a project lead, gives each its persona
where it decides (an approval addressed to the project lead needs the persona) and the
roles its work needs, and a token; the quickstart then acts as each through its own Client.

Roles beyond the templates: the article's production table gives the CI/CD process no
storage (it could not register prod's test data) and the project lead Reader (which
decides nothing), so both hold Contributor where they act."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from opsloop.client import Client
from opsloop.quickstart.inner import Say, create_once

CICD = "cicd"
PROJECT_LEAD = "lead"
# (principal, kind, what it is, (persona, workspace) or (), its roles: (role, scope))
_IDENTITIES = (
    (CICD, "service_principal", "the CI/CD process: trains, registers, shares, promotes", (),
     (("Contributor", "/workspaces/dev"), ("Contributor", "/workspaces/staging"),
      ("Contributor", "/workspaces/prod"), ("Contributor", "/registries/shared"))),
    (PROJECT_LEAD, "user", "the project lead: approves what enters production",
     ("project_lead", "prod"), (("Contributor", "/workspaces/prod"),)),
)  # fmt: skip


@dataclass
class Identities:
    owner: Client
    cicd: Client
    lead: Client


def create_identities(home: Path, owner: Client, say: Say) -> Identities:
    """Each principal, its role assignments and a fresh token (kept in memory only)."""
    clients: dict[str, Client] = {}
    for name, kind, what, persona, roles in _IDENTITIES:
        create_once(functools.partial(owner.principals.create, name, kind=kind, description=what))
        if persona:
            owner.personas.assign(persona[0], name, workspace=persona[1])
        held = {(a.role, a.scope) for a in owner.role_assignments.list(principal=name)}
        for role, scope in roles:
            if (role, scope) not in held:
                owner.role_assignments.create(name, role, scope=scope)
        token = owner.tokens.create(name, name="quickstart", expires_in_days=7)
        clients[name] = Client(home=home, workspace="dev", token=token.token)
        label = "service principal" if kind == "service_principal" else "user"
        held_persona = f"persona {persona[0]} in {persona[1]}; " if persona else ""
        say(f"    {label} {name} ({what}): {held_persona}roles "
            + ", ".join(f"{role} on {scope}" for role, scope in roles))  # fmt: skip
    return Identities(owner=owner, cicd=clients[CICD], lead=clients[PROJECT_LEAD])
