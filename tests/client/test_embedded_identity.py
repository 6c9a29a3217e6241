"""Embedded mode: the OS user owns the home; a client with a token of the home acts as the
token's principal, with only its roles; a token the home does not know is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsloop import Client
from opsloop.errors import AuthenticationError, PermissionDeniedError


def test_a_token_of_the_home_acts_as_its_principal_with_its_roles(
    client: Client, home: Path
) -> None:
    client.workspaces.create(name="prod", kind="production")
    client.principals.create("ci", kind="service_principal")
    client.role_assignments.create("ci", "Contributor", scope="/workspaces/dev")
    client.role_assignments.create("ci", "Reader", scope="/workspaces/prod")
    secret = client.tokens.create("ci").token

    with Client(home=home, workspace="dev", token=secret) as ci:
        identity = ci.principals.whoami()
        assert (identity.name, identity.kind, identity.principal) == (
            "ci", "service_principal", "ci"
        )  # fmt: skip
        # Platform-wide lists show a principal what lies under its scopes; the owner, all.
        assert {w.name for w in ci.workspaces.list()} == {"dev", "prod"}
        ci.online_endpoints.create(name="ep")  # Contributor on dev
        assert [e.name for e in ci.online_endpoints.list(workspace="prod")] == []
        with pytest.raises(PermissionDeniedError, match="online-endpoints/write"):
            ci.online_endpoints.create(name="ep-prod", workspace="prod")  # Reader
        with pytest.raises(PermissionDeniedError):
            ci.principals.create("mallory")
    # The owner, without a token, may still do everything, and the record names who acted.
    client.workspaces.create(name="scratch")
    assert {w.name for w in client.workspaces.list()} == {"dev", "prod", "scratch"}
    owner_made = client.online_endpoints.create(name="ep-prod", workspace="prod")
    assert owner_made.name == "ep-prod"
    actors = {(r.actor, r.outcome) for r in client.audit.list(limit=100)}
    assert ("service_principal:ci", "denied") in actors
    assert ("service_principal:ci", "succeeded") in actors


def test_a_token_the_home_does_not_know_is_refused_not_ignored(client: Client, home: Path) -> None:
    stranger = Client(home=home, workspace="dev", token="not-a-token-of-this-home")
    with stranger, pytest.raises(AuthenticationError):
        stranger.workspaces.list()
