"""Plan the platform-wide part of a project file: principals, groups, registries,
workspaces with their budgets and access, and role assignments.

Principals, groups, registries and workspaces are never deleted by apply (``--prune`` only
removes role assignments at the scope of a workspace the file gives ``access:``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsloop.client import Client
from opsloop.errors import OpsloopError
from opsloop.project.plan import Action, Change, diff, exists
from opsloop.specs.project import AccessEntry, Project, WorkspaceEntry

# Fields that never change in place, and why: the plan says so instead of failing midway.
_FIXED = {
    "principal": {
        "kind": "a principal's kind cannot change in place (its tokens, sign-in and audit "
        "records are those of a {old}): declare a {new} under another name",
    },
    "workspace": {
        "kind": "a workspace's kind cannot change in place (the persona roles assigned in it "
        "were chosen for a {old} workspace): declare a {new} workspace under another name",
    },
}


def plan_platform(client: Client, project: Project, *, prune: bool) -> list[Change]:
    spec = project.spec
    changes: list[Change] = []
    for principal in spec.principals:
        wanted = principal.model_dump(exclude={"name"}, exclude_none=True)
        changes.append(
            _simple(
                f"principal/{principal.name}",
                "principal",
                lambda n=principal.name: client.principals.get(n),
                wanted,
                lambda p=principal: client.principals.create(**p.model_dump()),
                lambda fields, n=principal.name: client.principals.update(n, **fields),
            )
        )
    for group in spec.groups:
        changes.append(_group(client, group.name, group.members, group.model_dump()))
    for registry in spec.registries:
        changes.append(
            _simple(
                f"registry/{registry.name}",
                "registry",
                lambda n=registry.name: client.registries.get(n),
                registry.model_dump(exclude={"name"}, exclude_none=True),
                lambda r=registry: client.registries.create(r.model_dump(exclude_none=True)),
                lambda fields, n=registry.name: client.registries.update(n, **fields),
            )
        )
    for workspace in spec.workspaces:
        changes += _workspace(client, workspace, prune=prune)
    for assignment in spec.role_assignments:
        changes.append(
            _assignment(client, assignment.principal, assignment.role, assignment.scope, None)
        )
    return changes


def _simple(
    address: str,
    kind: str,
    read: Any,  # () -> the resource (Any: mypy cannot type the callers' bound lambdas)
    wanted: dict[str, Any],
    create: Any,  # () -> None
    update: Any,  # (fields that differ, with their new values) -> None
) -> Change:
    """A resource that apply creates, or updates in one call with the fields that differ;
    a field that cannot change in place makes the change fail in the plan, untouched."""
    try:
        found = exists(read)
    except OpsloopError as exc:  # not readable by the caller: neither created nor changed
        return Change(kind, address, "update", error=f"cannot read it: {exc}")
    if found is None:
        return Change(kind, address, "create", run=create)
    diffs = diff({k: getattr(found, k, None) for k in wanted}, wanted)
    if not diffs:
        return Change(kind, address, "unchanged")
    for field, old, new in diffs:
        if field in _FIXED.get(kind, {}):
            reason = _FIXED[kind][field].format(old=old, new=new)
            return Change(kind, address, "update", diffs, error=reason)
    fields = {field: new for field, _, new in diffs}
    return Change(kind, address, "update", diffs, run=lambda: update(fields))


def _group(client: Client, name: str, members: list[str], body: dict[str, Any]) -> Change:
    address = f"group/{name}"
    fields = {k: v for k, v in body.items() if k != "members" and v is not None}

    def create() -> None:
        client.groups.create(**fields)
        for member in members:
            client.groups.add_member(name, member)

    try:
        found = exists(lambda: client.groups.get(name))
    except OpsloopError as exc:
        return Change("group", address, "update", error=f"cannot read it: {exc}")
    if found is None:
        return Change("group", address, "create", run=create)
    diffs = diff({"members": sorted(found.members)}, {"members": sorted(members)})
    if not diffs:
        return Change("group", address, "unchanged")

    def update() -> None:
        for member in sorted(set(members) - set(found.members)):
            client.groups.add_member(name, member)
        for member in sorted(set(found.members) - set(members)):
            client.groups.remove_member(name, member)

    return Change("group", address, "update", diffs, run=update)


def _workspace(client: Client, workspace: WorkspaceEntry, *, prune: bool) -> list[Change]:
    name = workspace.name
    # As for principals and registries: a field the file leaves out is left as it is.
    wanted = workspace.model_dump(
        include={"kind", "description", "display_name"}, exclude_none=True
    )
    body = {"name": name, **wanted}
    head = _simple(
        f"workspace/{name}",
        "workspace",
        lambda: client.workspaces.get(name),
        wanted,
        lambda: client.workspaces.create(body),
        lambda fields: client.workspaces.update(name, **fields),
    )
    head.workspace = name
    changes = [head]
    fresh = head.action == "create"
    if workspace.budget is not None:
        changes.append(_budget(client, name, workspace.budget.model_dump(), fresh))
    if workspace.access or prune:
        changes += _access(client, name, workspace.access, fresh, prune)
    return changes


def _budget(client: Client, ws: str, budget: dict[str, Any], fresh: bool) -> Change:
    def put() -> None:
        client.workspaces.set_budget(ws, **budget)

    address = f"{ws}/budget"
    if fresh:
        return Change("budget", address, "create", run=put, workspace=ws)
    try:
        found = client.workspaces.get_budget(ws)
    except OpsloopError as exc:
        return Change("budget", address, "update", error=str(exc), workspace=ws)
    current: dict[str, Any] = {
        "monthly": found.monthly,
        "currency": found.currency,
        # Only the rates the file names: the others are the platform's defaults.
        "rates": {k: v for k, v in found.rates.items() if k in budget["rates"]},
    }
    if budget["thresholds"] is not None:
        current["thresholds"] = found.thresholds
    wanted = {k: v for k, v in budget.items() if v is not None}
    action: Action = "create" if found.monthly is None else "update"
    diffs = diff(current, wanted)
    if not diffs:
        return Change("budget", address, "unchanged", workspace=ws)
    return Change("budget", address, action, diffs, run=put, workspace=ws)


def _access(
    client: Client, ws: str, access: list[AccessEntry], fresh: bool, prune: bool
) -> list[Change]:
    scope = f"/workspaces/{ws}"
    held: list[Any] = []
    error = None
    if not fresh:
        try:
            held = client.role_assignments.list(scope=scope)
        except OpsloopError as exc:
            error = str(exc)
    changes = []
    for entry in access:
        change = _access_change(client, ws, entry, held, fresh)
        change.error = change.error or (error if change.action != "unchanged" else None)
        changes.append(change)
    if prune and error is None:
        me = client.principals.whoami().name
        for assignment in held:
            declared = any(
                e.principal == assignment.principal
                and (e.role == assignment.role if e.role else e.persona == assignment.persona)
                for e in access
            )
            # Never the caller's own access (apply must not lock out who runs it), nor a
            # just-in-time elevation (it expires by itself).
            if declared or assignment.principal == me or assignment.elevation:
                continue
            changes.append(
                Change(
                    "role assignment",
                    f"{ws}/access/{assignment.principal}/{assignment.role}",
                    "delete",
                    run=_deleter(client, assignment.id),
                    workspace=ws,
                )
            )
    return changes


def _deleter(client: Client, assignment_id: str) -> Callable[[], Any]:
    return lambda: client.role_assignments.delete(assignment_id)


def _access_change(
    client: Client, ws: str, entry: AccessEntry, held: list[Any], fresh: bool
) -> Change:
    if entry.persona is not None:
        return _persona_change(client, ws, entry.principal, entry.persona, held, fresh)
    address = f"{ws}/access/{entry.principal}/{entry.role}"
    kind = "role assignment"
    if any(a.principal == entry.principal and a.role == entry.role for a in held):
        return Change(kind, address, "unchanged", workspace=ws)
    run = lambda: client.role_assignments.create(  # noqa: E731
        entry.principal, entry.role or "", scope=f"/workspaces/{ws}"
    )
    return Change(kind, address, "create", run=run, workspace=ws)


def _persona_change(
    client: Client, ws: str, principal: str, persona: str, held: list[Any], fresh: bool
) -> Change:
    """Compared by asking the persona service, as a dry run, what assigning it would add:
    a just-in-time persona's eligibility is no role assignment to list, and a role of the
    template the principal lost (or a template grown since) is a field diff to repair."""
    address = f"{ws}/access/{principal}/persona:{persona}"

    def run() -> Any:
        return client.personas.assign(persona, principal, workspace=ws)

    would = None
    if not fresh:
        try:
            would = client.personas.assign(persona, principal, workspace=ws, dry_run=True)
        except OpsloopError:  # e.g. a principal created earlier in this plan: assign it then
            would = None
    if would is None:
        given = any(a.principal == principal and a.persona == persona for a in held)
        action: Action = "unchanged" if given else "create"
        return Change("persona", address, action, run=None if given else run, workspace=ws)
    added = sorted([a.role for a in would.assigned] + would.eligible)
    if not added:
        return Change("persona", address, "unchanged", workspace=ws)
    if not would.unchanged:
        return Change("persona", address, "create", run=run, workspace=ws)
    field = "eligible" if would.access == "just-in-time" else "roles"
    before = sorted(would.unchanged)
    diffs = [(field, before, sorted(before + added))]
    return Change("persona", address, "update", diffs, run=run, workspace=ws)


def _assignment(client: Client, principal: str, role: str, scope: str, ws: str | None) -> Change:
    address = f"role-assignment/{principal}/{role}@{scope}"
    try:
        held = client.role_assignments.list(principal=principal, scope=scope)
    except OpsloopError:
        held = []  # the principal may not exist yet: it is created earlier in the plan
    if any(a.role == role and a.scope == scope for a in held):
        return Change("role assignment", address, "unchanged")
    return Change(
        "role assignment",
        address,
        "create",
        run=lambda: client.role_assignments.create(principal, role, scope=scope),
        workspace=ws,
    )
