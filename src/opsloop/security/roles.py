"""Roles: named sets of declared actions, with wildcards, and the scopes they are held at.

A role lists ``actions`` and ``not_actions`` as patterns over the catalogue's action names
(``*`` matches any run of characters, ``/`` included: ``*/read`` is every read,
``online-endpoints/*`` every endpoint action); it allows an action that matches one of its
``actions`` and none of its ``not_actions``, as an Azure role definition does. The built-in
roles carry the reference architecture's names. Custom roles are stored (``opsloop role
create -f``) and checked against the catalogue when made.

Scopes are paths: ``/`` (the platform), ``/workspaces/<name>``, one resource in a workspace
(``/workspaces/dev/online-endpoints/ep``, ``.../online-endpoints/ep/deployments/blue``), or
``/registries/<name>``. An assignment holds at its scope and everything under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from opsloop.catalogue.actions import Action

PLATFORM_SCOPE = "/"


@dataclass(frozen=True)
class RoleDefinition:
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    built_in: bool = True

    def allows(self, action: Action | str) -> bool:
        value = action.value if isinstance(action, Action) else action
        return any(fnmatchcase(value, p) for p in self.actions) and not any(
            fnmatchcase(value, p) for p in self.not_actions
        )

    def allowed_actions(self) -> list[str]:
        return [a.value for a in Action if self.allows(a)]


_IDENTITIES = ("principals/*", "groups/*", "role-assignments/*", "roles/write", "elevations/*")
# A secret's value, and changing the vault: only Key Vault roles (and Owner) hold these.
# Names and versions (secrets/read) are metadata any reader sees, as endpoint names are.
_SECRET_VALUES = ("secrets/values/read", "secrets/write", "secrets/delete", "master-key/*")
_LOGS = (
    "audit/read",
    "jobs/logs/read",
    "online-endpoints/deployments/logs/read",
    "online-endpoints/request-logs/read",
)
_MONITORING = (
    "events/read",
    "event-subscriptions/read",
    "jobs/read",
    "online-endpoints/read",
    "online-endpoints/deployments/read",
    "online-endpoints/request-logs/read",
    "batch-endpoints/read",
    "monitors/read",
    # The cost report and budget: cost is one of the monitoring signals, and budget alerts
    # go to people (product owners) who hold only this role.
    "workspaces/cost/read",
)


def _role(
    name: str, description: str, actions: tuple[str, ...], not_actions: tuple[str, ...] = ()
) -> RoleDefinition:
    return RoleDefinition(name, description, actions, not_actions)


BUILT_IN_ROLES: dict[str, RoleDefinition] = {
    role.name: role
    for role in (
        _role("Owner", "Everything, including who may do what.", ("*",)),
        _role(
            "Contributor",
            "Everything except administering identities and access.",
            ("*",),
            (*_IDENTITIES, *_SECRET_VALUES),
        ),
        _role(
            "Reader",
            "Read everything except secrets (endpoint keys) and identities.",
            ("*/read",),
            ("online-endpoints/keys/*", *_SECRET_VALUES, *_IDENTITIES),
        ),
        _role(
            "Data Scientist",
            "Everything in a workspace except changing the workspace itself, its computes "
            "and its keys (as Azure ML's AzureML Data Scientist role).",
            ("*",),
            (
                "workspaces/write",
                "workspaces/delete",
                "computes/write",
                "computes/delete",
                "online-endpoints/keys/write",
                "registries/write",
                *_SECRET_VALUES,
                *_IDENTITIES,
            ),
        ),
        _role(
            "Compute Operator",
            "Create, change and delete computes; read the workspace.",
            ("computes/*", "workspaces/read"),
        ),
        _role(
            "Key Vault Administrator",
            "Set, read and delete the workspace's secrets; read and regenerate endpoint keys.",
            ("secrets/*", "online-endpoints/keys/*", "online-endpoints/read"),
        ),
        _role(
            "Key Vault Reader",
            "Read the workspace's secrets and endpoint keys.",
            (
                "secrets/read",
                "secrets/values/read",
                "online-endpoints/keys/read",
                "online-endpoints/read",
            ),
        ),
        _role(
            "AcrPush",
            "Push environments (their images) and read them.",
            ("environments/*",),
        ),
        _role(
            "DevOps Project Collection Administrator",
            "CI/CD settings: the event subscriptions (webhooks) that drive pipelines.",
            ("event-subscriptions/*", "events/read"),
        ),
        _role("Log Analytics Reader", "Read job, deployment and traffic logs.", _LOGS),
        _role(
            "Log Analytics Contributor",
            "Read logs and manage where events are sent.",
            (*_LOGS, "events/read", "event-subscriptions/*"),
        ),
        _role("Monitoring Reader", "Read metrics, traffic, events and statuses.", _MONITORING),
        _role(
            "Monitoring Contributor",
            "Read monitoring data, manage and run monitors, and manage alerts (event subscriptions).",
            (*_MONITORING, "monitors/*", "event-subscriptions/*"),
        ),
    )
}


# Reads at the platform scope that a role held at a narrower scope allows too: their lists
# are filtered to the caller's scopes (workspaces, events, audit records, event
# subscriptions, role assignments), or hold nothing of a workspace's (registries, shared by
# every workspace; role definitions). Principals, groups and tokens are not among them:
# reading those takes a role held at the platform scope.
SCOPE_FILTERED_READS = frozenset(
    {
        Action.WORKSPACES_READ,
        Action.EVENTS_READ,
        Action.EVENT_SUBSCRIPTIONS_READ,
        Action.AUDIT_READ,
        Action.ROLE_ASSIGNMENTS_READ,
        Action.REGISTRIES_READ,
        Action.ROLES_READ,
    }
)


def covers(assignment_scope: str, scope: str) -> bool:
    """Whether an assignment at ``assignment_scope`` holds for a call at ``scope``."""
    if assignment_scope == PLATFORM_SCOPE:
        return True
    return scope == assignment_scope or scope.startswith(assignment_scope + "/")


# A service's target ("online-endpoint:ep", "online-deployment:ep/blue") as a scope path.
_NESTED = {
    "online-deployment": ("online-endpoints", "deployments"),
    "batch-deployment": ("batch-endpoints", "deployments"),
}
_PLURAL = {"registry": "registries", "data": "data"}


def request_scope(workspace: str | None, target: str | None) -> str:
    """The scope path of a call on ``target`` (None: the workspace or the platform)."""
    base = f"/workspaces/{workspace}" if workspace else ""
    if not target or ":" not in target:
        return base or PLATFORM_SCOPE
    kind, _, name = target.partition(":")
    if kind == "workspace":
        return base or f"/workspaces/{name}"
    if kind in _NESTED and "/" in name:
        parent, child = name.split("/", 1)
        outer, inner = _NESTED[kind]
        return f"{base}/{outer}/{parent}/{inner}/{child}"
    plural = _PLURAL.get(kind, kind + "s")
    if not base and kind != "registry":
        return PLATFORM_SCOPE  # a platform-level object (principal, token): the platform
    return f"{base}/{plural}/{name.split(':', 1)[0]}"


_SCOPE = re.compile(
    r"^/$|^/registries/[^/]+$|^/workspaces/[^/]+(/[a-z-]+/[^/]+(/deployments/[^/]+)?)?$"
)


def valid_scope(scope: str) -> bool:
    return bool(_SCOPE.match(scope))


def scope_workspace(scope: str) -> str | None:
    parts = scope.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "workspaces" else None
