"""The authorisation matrix: every (persona, workspace kind, resource family, action) case,
derived from the shipped reference tables (read here as raw YAML) and the action catalogue,
checked through the REST API of one real server app with each persona's own token.

Each persona is one principal, assigned its template in a preproduction and a production
workspace through the API (`persona assign`). A probe is a request whose authorisation
outcome shows as 403 or not-403: the services authorise before they look anything up, so a
probe at an object that does not exist is a 404 once allowed. Actions whose only routes are
platform-wide (registries, event-subscription reads and deletes, a workspace's deletion,
elevations) are decided at the workspace's scope through `GET /access/check`, the same
decision the server takes. Two controls keep the probes honest: the platform owner is
allowed every probe, and a principal without roles is refused every one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app
from opsloop.catalogue.actions import Action
from opsloop.security.roles import BUILT_IN_ROLES

TABLES: dict[str, Any] = yaml.safe_load(
    resources.files("opsloop.security").joinpath("personas.yaml").read_text()
)
KINDS = {"preproduction": "pre", "production": "prod"}  # kind -> the workspace of that kind

# Decided through GET /access/check at the workspace's scope (see the module docstring).
CHECKED = "check"
# action -> (method, path, body); {w} is the workspace, {ep} its online endpoint.
PROBES: dict[Action, tuple[str, str, Any]] = {
    Action.WORKSPACES_READ: ("GET", "/workspaces/{w}", None),
    Action.WORKSPACES_WRITE: ("POST", "/workspaces", {"name": "{w}"}),
    Action.WORKSPACES_DELETE: (CHECKED, "", None),
    Action.WORKSPACES_COST_READ: ("GET", "/workspaces/{w}/cost", None),
    Action.WORKSPACES_BUDGET_WRITE: ("PUT", "/workspaces/{w}/budget", {"monthly": 100}),
    Action.REGISTRIES_READ: (CHECKED, "", None),
    Action.REGISTRIES_WRITE: (CHECKED, "", None),
    Action.DATASTORES_READ: ("GET", "/workspaces/{w}/datastores", None),
    Action.DATASTORES_WRITE: (
        "POST", "/workspaces/{w}/datastores", {"name": "probe", "url": "file:///tmp/probe"},
    ),
    Action.DATA_READ: ("GET", "/workspaces/{w}/data", None),
    Action.DATA_WRITE: (
        "POST", "/workspaces/{w}/data", {"name": "probe", "path": "file:///nonexistent/x.csv"},
    ),
    Action.DATA_ARCHIVE: ("POST", "/workspaces/{w}/data/nope/archive", None),
    Action.ENVIRONMENTS_READ: ("GET", "/workspaces/{w}/environments", None),
    Action.ENVIRONMENTS_WRITE: (
        "POST", "/workspaces/{w}/environments", {"name": "probe", "image": "python:3.11"},
    ),
    Action.ENVIRONMENTS_ARCHIVE: ("POST", "/workspaces/{w}/environments/nope/archive", None),
    Action.ENVIRONMENTS_SHARE: (
        "POST", "/workspaces/{w}/environments/nope:1/share", {"registry": "nope"},
    ),
    Action.COMPONENTS_READ: ("GET", "/workspaces/{w}/components", None),
    Action.COMPONENTS_WRITE: (
        "POST", "/workspaces/{w}/components", {"name": "probe", "command": "echo"},
    ),
    Action.COMPONENTS_ARCHIVE: ("POST", "/workspaces/{w}/components/nope/archive", None),
    Action.COMPONENTS_SHARE: (
        "POST", "/workspaces/{w}/components/nope:1/share", {"registry": "nope"},
    ),
    Action.MODELS_READ: ("GET", "/workspaces/{w}/models", None),
    Action.MODELS_WRITE: (
        "POST", "/workspaces/{w}/models", {"name": "probe", "path": "file:///nonexistent/m"},
    ),
    Action.MODELS_ARCHIVE: ("POST", "/workspaces/{w}/models/nope/archive", None),
    Action.MODELS_ALIAS: ("PUT", "/workspaces/{w}/models/nope/aliases/champion", {"version": "1"}),
    Action.MODELS_SHARE: ("POST", "/workspaces/{w}/models/nope:1/share", {"registry": "nope"}),
    Action.UPLOADS_WRITE: ("POST", "/workspaces/{w}/uploads?name=probe.txt", b"probe"),
    Action.PROMOTIONS_READ: ("GET", "/workspaces/{w}/promotions", None),
    Action.PROMOTIONS_WRITE: (
        "POST",
        "/workspaces/{w}/promotions",
        {"model": "nope:1", "policy": {"name": "probe", "deploy": {"endpoint": "nope"}}},
    ),
    Action.PROMOTIONS_CANCEL: ("POST", "/workspaces/{w}/promotions/nope/cancel", None),
    Action.PROMOTION_POLICIES_READ: ("GET", "/workspaces/{w}/promotion-policies", None),
    Action.PROMOTION_POLICIES_WRITE: (
        "PUT", "/workspaces/{w}/promotion-policies/probe",
        {"name": "probe", "deploy": {"endpoint": "nope"}},
    ),
    Action.PROMOTION_POLICIES_DELETE: (
        "DELETE", "/workspaces/{w}/promotion-policies/nope", None,
    ),
    Action.APPROVALS_READ: ("GET", "/workspaces/{w}/approvals", None),
    Action.APPROVALS_DECIDE: ("POST", "/workspaces/{w}/approvals/nope/approve", {}),
    Action.COMPUTES_READ: ("GET", "/workspaces/{w}/computes", None),
    Action.COMPUTES_WRITE: ("POST", "/workspaces/{w}/computes", {"name": "cpu", "type": "local"}),
    Action.COMPUTES_DELETE: ("DELETE", "/workspaces/{w}/computes/nope", None),
    Action.JOBS_READ: ("GET", "/workspaces/{w}/jobs", None),
    Action.JOBS_WRITE: ("POST", "/workspaces/{w}/jobs", {"command": "echo probe"}),
    Action.JOBS_CANCEL: ("POST", "/workspaces/{w}/jobs/nope/cancel", None),
    Action.JOBS_LOGS_READ: ("GET", "/workspaces/{w}/jobs/nope/logs", None),
    Action.SCHEDULES_READ: ("GET", "/workspaces/{w}/schedules", None),
    Action.SCHEDULES_WRITE: ("POST", "/workspaces/{w}/schedules/nope/disable", None),
    Action.SCHEDULES_DELETE: ("DELETE", "/workspaces/{w}/schedules/nope", None),
    Action.ONLINE_ENDPOINTS_READ: ("GET", "/workspaces/{w}/online-endpoints/{ep}", None),
    Action.ONLINE_ENDPOINTS_WRITE: ("PATCH", "/workspaces/{w}/online-endpoints/{ep}", {}),
    Action.ONLINE_ENDPOINTS_DELETE: ("DELETE", "/workspaces/{w}/online-endpoints/nope", None),
    Action.ONLINE_ENDPOINTS_KEYS_READ: (
        "POST", "/workspaces/{w}/online-endpoints/{ep}/credentials", None,
    ),
    Action.ONLINE_ENDPOINTS_KEYS_WRITE: (
        "POST", "/workspaces/{w}/online-endpoints/{ep}/regenerate-keys", {},
    ),
    Action.ONLINE_ENDPOINTS_EXPORT: ("POST", "/workspaces/{w}/online-endpoints/{ep}/export", {}),
    Action.ONLINE_ENDPOINTS_REQUEST_LOGS_READ: (
        "GET", "/workspaces/{w}/online-endpoints/{ep}/request-logs", None,
    ),
    Action.ONLINE_ENDPOINTS_FEEDBACK_WRITE: (
        "POST", "/workspaces/{w}/online-endpoints/{ep}/feedback",
        [{"correlation_id": "probe", "ground_truth": 1}],
    ),
    Action.ONLINE_DEPLOYMENTS_READ: (
        "GET", "/workspaces/{w}/online-endpoints/{ep}/deployments", None,
    ),
    Action.ONLINE_DEPLOYMENTS_WRITE: (
        "PUT",
        "/workspaces/{w}/online-endpoints/{ep}/deployments/blue",
        {"name": "blue", "endpoint_name": "{ep}", "model": "nope:1"},
    ),
    Action.ONLINE_DEPLOYMENTS_DELETE: (
        "DELETE", "/workspaces/{w}/online-endpoints/{ep}/deployments/nope", None,
    ),
    Action.ONLINE_DEPLOYMENTS_LOGS_READ: (
        "GET", "/workspaces/{w}/online-endpoints/{ep}/deployments/nope/logs", None,
    ),
    Action.BATCH_ENDPOINTS_READ: ("GET", "/workspaces/{w}/batch-endpoints", None),
    Action.BATCH_ENDPOINTS_WRITE: ("POST", "/workspaces/{w}/batch-endpoints", {"name": "{ep}"}),
    Action.BATCH_ENDPOINTS_DELETE: ("DELETE", "/workspaces/{w}/batch-endpoints/nope", None),
    Action.BATCH_ENDPOINTS_INVOKE: (
        "POST", "/workspaces/{w}/batch-endpoints/nope/invoke", {"input": "nope:1"},
    ),
    Action.BATCH_DEPLOYMENTS_READ: (
        "GET", "/workspaces/{w}/batch-endpoints/nope/deployments", None,
    ),
    Action.BATCH_DEPLOYMENTS_WRITE: (
        "POST",
        "/workspaces/{w}/batch-endpoints/nope/deployments",
        {"name": "d", "endpoint_name": "nope", "model": "nope:1"},
    ),
    Action.BATCH_DEPLOYMENTS_DELETE: (
        "DELETE", "/workspaces/{w}/batch-endpoints/nope/deployments/d", None,
    ),
    Action.SECRETS_READ: ("GET", "/workspaces/{w}/secrets", None),
    Action.SECRETS_VALUES_READ: ("GET", "/workspaces/{w}/secrets/nope/value", None),
    Action.SECRETS_WRITE: ("PUT", "/workspaces/{w}/secrets/probe", {"value": "probe"}),
    Action.SECRETS_DELETE: ("DELETE", "/workspaces/{w}/secrets/nope", None),
    Action.MASTER_KEY_ROTATE: (CHECKED, "", None),
    Action.MONITORS_READ: ("GET", "/workspaces/{w}/monitors", None),
    Action.MONITORS_WRITE: (
        "POST", "/workspaces/{w}/monitors",
        {"name": "probe", "monitoring_target": {"endpoint_deployment_id": "{ep}:nope"}},
    ),
    Action.MONITORS_DELETE: ("DELETE", "/workspaces/{w}/monitors/nope", None),
    Action.MONITORS_RUN: ("POST", "/workspaces/{w}/monitors/nope/runs", {}),
    Action.EVENTS_READ: ("GET", "/events?workspace={w}", None),
    Action.EVENT_SUBSCRIPTIONS_READ: (CHECKED, "", None),
    Action.EVENT_SUBSCRIPTIONS_WRITE: (
        "POST",
        "/event-subscriptions",
        {"name": "probe-{w}", "workspace": "{w}", "event_types": ["job.created"],
         "webhook_url": "http://127.0.0.1:9/hook"},
    ),
    Action.EVENT_SUBSCRIPTIONS_DELETE: (CHECKED, "", None),
    Action.PRINCIPALS_READ: ("GET", "/principals", None),
    Action.PRINCIPALS_WRITE: ("POST", "/principals", {"name": "probe-principal"}),
    Action.PRINCIPALS_DISABLE: ("POST", "/principals/nope/disable", None),
    Action.GROUPS_READ: ("GET", "/groups", None),
    Action.GROUPS_WRITE: ("POST", "/groups", {"name": "probe-group"}),
    Action.TOKENS_READ: ("GET", "/tokens", None),
    Action.TOKENS_WRITE: ("POST", "/tokens", {"principal": "bystander", "workspace": "{w}"}),
    Action.TOKENS_REVOKE: ("POST", "/tokens/nope/revoke", None),
    Action.ROLES_READ: ("GET", "/roles", None),
    Action.ROLES_WRITE: ("POST", "/roles", {"name": "probe", "actions": ["jobs/read"]}),
    Action.ROLE_ASSIGNMENTS_READ: ("GET", "/role-assignments?scope=/workspaces/{w}", None),
    Action.ROLE_ASSIGNMENTS_WRITE: (
        "POST",
        "/role-assignments",
        {"principal": "bystander", "role": "Reader", "scope": "/workspaces/{w}"},
    ),
    Action.ROLE_ASSIGNMENTS_DELETE: ("DELETE", "/role-assignments/nope", None),
    Action.ELEVATIONS_READ: (CHECKED, "", None),
    Action.ELEVATIONS_REQUEST: (CHECKED, "", None),
    Action.ELEVATIONS_DECIDE: ("POST", "/elevations/nope/approve", {}),
    Action.AUDIT_READ: ("GET", "/audit?workspace={w}", None),
}  # fmt: skip


def family_of(action: Action) -> str | None:
    """The action's family, by the tables' patterns (first family in match_order)."""
    if any(fnmatchcase(action.value, p) for p in TABLES["not_in_templates"]):
        return None
    patterns = {f["id"]: f["actions"] for f in TABLES["families"]}
    for family in TABLES["match_order"]:
        if any(fnmatchcase(action.value, p) for p in patterns[family]):
            return family
    return None


def expected(persona: str, kind: str) -> dict[Action, bool]:
    """Whether the tables give ``persona`` standing access to each action in a workspace
    of ``kind``: a role of the cell on the action's family allows it."""
    table = TABLES["kinds"][kind]
    row = table["cells"][persona]
    standing = persona not in table["just_in_time"]
    return {
        action: standing
        and any(
            BUILT_IN_ROLES[TABLES["abbreviations"][code]].allows(action)
            for code in row.get(family_of(action) or "", [])
        )
        for action in Action
    }


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    return value


@dataclass
class Server:
    http: TestClient
    owner: dict[str, str]
    tokens: dict[str, dict[str, str]]

    def outcome(self, principal: str, action: Action, workspace: str) -> bool:
        """Whether ``principal`` is allowed ``action`` in ``workspace`` (not a 403)."""
        method, path, body = PROBES[action]
        if method == CHECKED:
            params = {"principal": principal, "action": action.value}
            answer = self.http.get(
                "/access/check",
                params={**params, "resource": f"/workspaces/{workspace}"},
                headers=self.owner,
            )
            assert answer.status_code == 200, answer.text
            return bool(answer.json()["allowed"])
        ep = f"ep-{workspace}"
        url = path.format(w=workspace, ep=ep)
        headers = self.tokens[principal]
        if isinstance(body, bytes):
            answer = self.http.request(method, url, content=body, headers=headers)
        else:
            filled = _fill(body, w=workspace, ep=ep)
            answer = self.http.request(method, url, json=filled, headers=headers)
        assert answer.status_code != 401, answer.text
        if answer.status_code == 403:
            assert answer.json()["action"] == action.value, (action, answer.text)
            return False
        assert answer.status_code < 500, (principal, action, answer.text)
        return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home: Path = tmp_path_factory.mktemp("matrix")
    platform, owner_token = server_platform(home)
    app = create_app(platform, launch_jobs=False)
    owner = {"authorization": f"Bearer {owner_token}"}
    with TestClient(app, base_url="http://testserver/api/v1", headers={}) as http:

        def ok(method: str, path: str, body: Any = None) -> Any:
            answer = http.request(method, path, json=body, headers=owner)
            assert answer.status_code < 300, (path, answer.text)
            return answer.json()

        for kind, workspace in KINDS.items():
            ok("POST", "/workspaces", {"name": workspace, "kind": kind})
            ok("POST", f"/workspaces/{workspace}/online-endpoints", {"name": f"ep-{workspace}"})
        ok("POST", "/principals", {"name": "bystander"})  # the one probes give roles to
        tokens = {"admin": owner}
        for persona in [p["id"] for p in TABLES["personas"]] + ["nobody"]:
            ok("POST", "/principals", {"name": persona})
            if persona != "nobody":
                for workspace in KINDS.values():
                    body = {"principal": persona, "workspace": workspace}
                    ok("POST", f"/personas/{persona}/assignments", body)
            token = ok("POST", "/tokens", {"principal": persona})["token"]
            tokens[persona] = {"authorization": f"Bearer {token}"}
        yield Server(http, owner, tokens)
    platform.database.dispose()


def test_every_declared_action_has_a_probe_and_a_family_or_is_access_administration() -> None:
    assert set(PROBES) == set(Action), "add a probe for each new action"
    for action in Action:
        administration = any(fnmatchcase(action.value, p) for p in TABLES["not_in_templates"])
        assert administration or family_of(action) is not None, (
            f"{action.value} belongs to no family: add it to one in personas.yaml"
        )


@pytest.mark.parametrize("principal", ["admin", "nobody"])
def test_the_probes_are_allowed_to_the_owner_and_refused_to_a_principal_without_roles(
    server: Server, principal: str
) -> None:
    for workspace in KINDS.values():
        outcomes = {a: server.outcome(principal, a, workspace) for a in Action}
        wrong = [a.value for a, allowed in outcomes.items() if allowed != (principal == "admin")]
        assert wrong == [], f"{principal} in {workspace}: {wrong}"


CASES = [(p["id"], kind) for p in TABLES["personas"] for kind in KINDS]


@pytest.mark.parametrize(("persona", "kind"), CASES, ids=[f"{p}-{k}" for p, k in CASES])
def test_each_persona_is_allowed_exactly_what_the_tables_say(
    server: Server, persona: str, kind: str
) -> None:
    workspace = KINDS[kind]
    mismatches = [
        f"{action.value} ({family_of(action)}): tables say "
        f"{'allow' if allowed else 'deny'}, server says the opposite"
        for action, allowed in expected(persona, kind).items()
        if server.outcome(persona, action, workspace) != allowed
    ]
    assert mismatches == [], f"{persona} in a {kind} workspace:\n" + "\n".join(mismatches)


def test_the_tables_hold_what_the_reference_says_for_a_few_cells() -> None:
    """Spot checks against the article's cells (the data's own consistency is checked
    when it loads)."""
    production = TABLES["kinds"]["production"]["cells"]
    preproduction = TABLES["kinds"]["preproduction"]["cells"]
    assert production["data_scientist"] == {
        "container_registry": ["R"], "logs": ["LAR"], "monitor": ["MR"],
    }  # fmt: skip
    assert preproduction["data_scientist"]["workspace"] == ["ADS"]
    assert production["ci_cd_process"]["container_registry"] == ["ACRPush"]
    assert "storage" not in production["ci_cd_process"]
    assert production["model_end_user"] == {} == preproduction["model_end_user"]
    assert "platform_technical_support" in TABLES["kinds"]["production"]["just_in_time"]
    assert "learn.microsoft.com" in TABLES["source"]["url"]
