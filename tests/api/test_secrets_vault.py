"""The secrets vault through the REST API with real tokens, on SQLite and PostgreSQL: who
may list, read, set and delete secrets (Key Vault roles), and that a value is in no answer
but `get`'s, in no event and in no audit record."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

VALUE = "pg-password-9f8e7d6c5b4a"
VAULT = "/workspaces/dev/secrets"


def _caller(api: TestClient, name: str, role: str | None) -> dict[str, str]:
    """A new user holding ``role`` on workspace dev; its token's header."""
    assert api.post("/principals", json={"name": name}).status_code == 201
    if role is not None:
        body = {"principal": name, "role": role, "scope": "/workspaces/dev"}
        assert api.post("/role-assignments", json=body).status_code == 201
    token = api.post("/tokens", json={"principal": name}).json()["token"]
    return {"authorization": f"Bearer {token}"}


def _denied(answer: Any, action: str) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["action"] == action


def test_key_vault_roles_read_and_write_secrets_and_other_roles_see_only_names(
    api: TestClient,
) -> None:
    admin = _caller(api, "kv-admin", "Key Vault Administrator")
    reader = _caller(api, "kv-reader", "Key Vault Reader")
    set_ = api.put(f"{VAULT}/DB_PASSWORD", json={"value": VALUE}, headers=admin)
    assert set_.status_code == 200, set_.text
    assert set_.json()["version"] == 1 and "value" not in set_.json()
    again = api.put(f"{VAULT}/DB_PASSWORD", json={"value": VALUE + "-2"}, headers=admin)
    assert again.json()["version"] == 2 and again.json()["updated_by"] == "kv-admin"

    got = api.get(f"{VAULT}/DB_PASSWORD/value", headers=reader)
    assert got.status_code == 200 and got.json()["value"] == VALUE + "-2"
    assert got.headers["cache-control"] == "no-store"
    assert api.get(f"{VAULT}/DB_PASSWORD/value").json()["value"] == VALUE + "-2"  # Owner
    _denied(api.put(f"{VAULT}/OTHER", json={"value": "x"}, headers=reader), "secrets/write")
    _denied(api.delete(f"{VAULT}/DB_PASSWORD", headers=reader), "secrets/delete")

    for name, role in (
        ("rita", "Reader"),
        ("dana", "Data Scientist"),
        ("carl", "Contributor"),
        ("nobody", None),
    ):
        caller = _caller(api, name, role)
        _denied(api.get(f"{VAULT}/DB_PASSWORD/value", headers=caller), "secrets/values/read")
        if role is None:
            _denied(api.get(VAULT, headers=caller), "secrets/read")
            continue
        listed = api.get(VAULT, headers=caller)
        assert listed.status_code == 200 and [s["name"] for s in listed.json()] == ["DB_PASSWORD"]
        body = {"value": "overwritten"}
        _denied(api.put(f"{VAULT}/DB_PASSWORD", json=body, headers=caller), "secrets/write")

    assert api.delete(f"{VAULT}/DB_PASSWORD", headers=admin).status_code == 204
    assert api.get(f"{VAULT}/DB_PASSWORD", headers=admin).status_code == 404
    assert api.get(VAULT, headers=admin).json() == []


def test_a_value_is_in_no_event_audit_record_or_list(api: TestClient) -> None:
    assert api.put(f"{VAULT}/TOKEN", json={"value": VALUE}).status_code == 200
    shown = api.get(f"{VAULT}/TOKEN").json()
    assert shown["name"] == "TOKEN" and shown["workspace"] == "dev" and "value" not in shown
    assert api.get(f"{VAULT}/TOKEN/value").json()["value"] == VALUE
    reader = _caller(api, "rita", "Reader")
    _denied(api.get(f"{VAULT}/TOKEN/value", headers=reader), "secrets/values/read")
    assert api.delete(f"{VAULT}/TOKEN").status_code == 204

    events = api.get("/events").json()
    assert [e["type"] for e in events if e["type"].startswith("secret.")] == [
        "secret.set",
        "secret.value_read",
        "secret.deleted",
    ]
    audit = api.get("/audit", params={"resource": "secret:TOKEN"}).json()
    outcomes = sorted((r["action"], r["outcome"]) for r in audit)
    assert outcomes == [
        ("secrets/delete", "succeeded"),
        ("secrets/values/read", "denied"),
        ("secrets/values/read", "succeeded"),
        ("secrets/write", "succeeded"),
    ]
    for answer in (api.get("/events"), api.get("/audit"), api.get(VAULT)):
        assert VALUE not in answer.text


def test_bad_names_and_values_are_refused_naming_the_field(api: TestClient) -> None:
    bad = api.put(f"{VAULT}/1st-key", json={"value": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "name"
    empty = api.put(f"{VAULT}/KEY", json={"value": ""})
    assert empty.status_code == 422 and empty.json()["field"] == "value"
    assert api.put("/workspaces/nope/secrets/KEY", json={"value": "x"}).status_code == 404
    assert api.get(f"{VAULT}/MISSING/value").status_code == 404
