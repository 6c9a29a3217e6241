"""Role definitions and scopes: pure logic, no store."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from opsloop.catalogue.actions import Action
from opsloop.security.roles import BUILT_IN_ROLES, covers, request_scope, valid_scope


def test_every_built_in_pattern_names_declared_actions() -> None:
    for role in BUILT_IN_ROLES.values():
        for pattern in (*role.actions, *role.not_actions):
            assert any(fnmatchcase(a.value, pattern) for a in Action), (role.name, pattern)
        assert role.allowed_actions(), role.name


def test_data_scientist_is_everything_in_a_workspace_but_the_workspace_computes_and_keys() -> None:
    role = BUILT_IN_ROLES["Data Scientist"]
    refused = {a.value for a in Action if not role.allows(a)}
    assert {"workspaces/write", "workspaces/delete", "computes/write", "computes/delete"} <= refused
    assert "online-endpoints/keys/write" in refused
    assert role.allows(Action.JOBS_WRITE) and role.allows(Action.ONLINE_DEPLOYMENTS_WRITE)
    assert role.allows(Action.WORKSPACES_READ) and role.allows(Action.COMPUTES_READ)


def test_reader_reads_no_secret() -> None:
    reader = BUILT_IN_ROLES["Reader"]
    assert all(a.is_read for a in Action if reader.allows(a))
    assert not reader.allows(Action.ONLINE_ENDPOINTS_KEYS_READ)


@pytest.mark.parametrize(
    ("workspace", "target", "scope"),
    [
        (None, None, "/"),
        ("dev", None, "/workspaces/dev"),
        ("dev", "workspace:dev", "/workspaces/dev"),
        ("dev", "online-endpoint:ep", "/workspaces/dev/online-endpoints/ep"),
        (
            "dev",
            "online-deployment:ep/blue",
            "/workspaces/dev/online-endpoints/ep/deployments/blue",
        ),
        ("dev", "model:taxi:3", "/workspaces/dev/models/taxi"),
        (None, "registry:shared", "/registries/shared"),
        (None, "principal:alice", "/"),
    ],
)
def test_a_calls_target_maps_to_its_scope(
    workspace: str | None, target: str | None, scope: str
) -> None:
    assert request_scope(workspace, target) == scope
    assert valid_scope(scope)


def test_an_assignment_covers_its_scope_and_below_only() -> None:
    assert covers("/", "/workspaces/dev")
    assert covers("/workspaces/dev", "/workspaces/dev/online-endpoints/ep")
    assert not covers("/workspaces/dev", "/workspaces/dev2")
    assert not covers("/workspaces/dev/online-endpoints/ep", "/workspaces/dev")
    assert not valid_scope("/workspaces/") and not valid_scope("workspaces/dev")
