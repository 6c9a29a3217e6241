"""``opsloop apply`` changes in place what the platform can change (datastores,
subscriptions, workspaces, principals, registries), with a field diff in the plan; what
cannot change in place is refused in the plan, before anything runs, and left untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from helpers import write
from opsloop.client import Client
from opsloop.project.apply import apply_plan, plan_file, render_change
from opsloop.services.context import Platform
from opsloop.store.tables import OutboxEventRow

PROJECT = """\
name: taxi-fares
registries:
  - {name: shared, description: Models for every workspace}
principals:
  - {name: cicd, kind: service_principal, display_name: CI}
  - {name: tess, kind: user}
workspaces:
  - name: dev
    description: Where data scientists train
    datastores: [{file: mlops/raw.yml}]
    subscriptions: [{file: mlops/notify.yml}]
  - name: prod
    kind: production
    access:
      - {principal: tess, persona: platform_technical_support}
      - {principal: cicd, persona: ci_cd_process}
"""

FILES = {
    "mlops/raw.yml": "name: raw\nurl: file:///tmp/raw\ndescription: Raw fares\n",
    "mlops/notify.yml": (
        "name: notify\ntypes: [job.failed]\n"
        "action: {type: webhook, url: 'https://ci.example.com/hook'}\n"
    ),
}


def _project(root: Path) -> Path:
    for name, content in FILES.items():
        write(root / name, content)
    return write(root / "project.yaml", PROJECT)


@pytest.fixture
def client(home: Path) -> Client:
    with Client(home=home) as made:
        yield made  # type: ignore[misc]


def _apply(client: Client, path: Path) -> dict[str, str]:
    plan = apply_plan(plan_file(client, path))
    return {c.address: c.outcome + (f": {c.message}" if c.message else "") for c in plan.pending}


def _events(client: Client) -> list[str]:
    platform = Platform(client.settings)
    with platform.database.transaction() as session:
        return [r.type for r in session.scalars(select(OutboxEventRow).order_by(OutboxEventRow.id))]


def test_a_second_apply_with_a_just_in_time_persona_changes_nothing(
    client: Client, tmp_path: Path
) -> None:
    path = _project(tmp_path)
    outcomes = _apply(client, path)
    assert set(outcomes.values()) == {"applied"}, outcomes
    again = plan_file(client, path)
    assert again.pending == [], [render_change(c) for c in again.pending]
    # The persona made tess eligible, not a holder: eligibility is what the plan saw.
    held = client.role_assignments.list(principal="tess", scope="/workspaces/prod")
    assert held == []


def test_changed_fields_are_diffed_then_updated_in_place(client: Client, tmp_path: Path) -> None:
    path = _project(tmp_path)
    _apply(client, path)
    secret_before = client.subscriptions.get("notify")
    write(tmp_path / "mlops/raw.yml", "name: raw\nurl: file:///tmp/raw2\ntags: {tier: bronze}\n")
    write(
        tmp_path / "mlops/notify.yml",
        FILES["mlops/notify.yml"].replace("[job.failed]", "[job.failed, job.canceled]"),
    )
    write(
        path,
        PROJECT.replace("Where data scientists train", "Where CI trains")
        .replace("display_name: CI}", "display_name: GitHub Actions}")
        .replace("Models for every workspace", "Shared models"),
    )
    plan = plan_file(client, path)
    lines = {c.address: render_change(c) for c in plan.pending}
    assert sorted(lines) == [
        "dev/datastore/raw",
        "dev/subscription/notify",
        "principal/cicd",
        "registry/shared",
        "workspace/dev",
    ]
    assert all(c.error is None for c in plan.pending)
    assert '      url: "file:///tmp/raw" -> "file:///tmp/raw2"' in lines["dev/datastore/raw"]
    assert '      description: "Raw fares" -> null' in lines["dev/datastore/raw"]
    assert any("job.canceled" in line for line in lines["dev/subscription/notify"])
    assert '      display_name: "CI" -> "GitHub Actions"' in lines["principal/cicd"]
    assert client.datastores.get("raw", workspace="dev").url == "file:///tmp/raw"  # planned only

    outcomes = _apply(client, path)
    assert set(outcomes.values()) == {"applied"}, outcomes
    raw = client.datastores.get("raw", workspace="dev")
    assert (raw.url, raw.description, raw.tags) == ("file:///tmp/raw2", None, {"tier": "bronze"})
    notify = client.subscriptions.get("notify")
    assert sorted(notify.event_types) == ["job.canceled", "job.failed"]
    assert notify.created_at == secret_before.created_at  # the same subscription, changed
    assert client.workspaces.get("dev").description == "Where CI trains"
    assert client.principals.get("cicd").display_name == "GitHub Actions"
    assert client.registries.get("shared").description == "Shared models"
    assert plan_file(client, path).pending == []
    updated = [e for e in _events(client) if e.endswith(".updated")]
    assert sorted(updated) == [
        "datastore.updated",
        "event_subscription.updated",
        "principal.updated",
        "registry.updated",
        "workspace.updated",
    ]


def test_what_cannot_change_in_place_is_refused_in_the_plan_and_left_untouched(
    client: Client, tmp_path: Path
) -> None:
    path = _project(tmp_path)
    _apply(client, path)
    text = (
        PROJECT.replace("  - name: prod\n    kind: production\n", "  - name: prod\n")
        .replace("{name: tess, kind: user}", "{name: tess, kind: service_principal}")
        .replace("datastores: [{file: mlops/raw.yml}]", "datastores: [{file: mlops/raw.yml}, "
                 "{name: workspaceblobstore, url: 'file:///elsewhere'}]")
        .replace("Where data scientists train", "Where CI trains")
        .replace("persona: ci_cd_process}\n", "persona: ci_cd_process}\n"
                 "      - {principal: tess, role: Reader}\n")
    )  # fmt: skip
    write(path, text)
    plan = plan_file(client, path)
    errors = {c.address: c.error for c in plan.pending}
    assert "a workspace's kind cannot change in place" in (errors["workspace/prod"] or "")
    assert "a principal's kind cannot change in place" in (errors["principal/tess"] or "")
    assert "default datastore's url cannot change" in (
        errors["dev/datastore/workspaceblobstore"] or ""
    )
    assert errors["workspace/dev"] is None
    rendered = [line for c in plan.pending for line in render_change(c)]
    assert any("[will fail: a workspace's kind" in line for line in rendered)

    outcomes = _apply(client, path)
    assert outcomes["workspace/dev"] == "applied"  # the others go on
    assert outcomes["workspace/prod"].startswith("failed: a workspace's kind")
    # prod still exists: what lives in it is applied, not skipped as if it could not be made.
    (granted,) = [o for address, o in outcomes.items() if "tess" in address and "prod" in address
                  and "Reader" in address]  # fmt: skip
    assert granted == "applied", outcomes
    assert client.workspaces.get("prod").kind == "production"
    assert client.principals.get("tess").kind == "user"
    default = client.datastores.get("workspaceblobstore", workspace="dev")
    assert default.url != "file:///elsewhere"


def test_a_failed_update_leaves_that_resource_untouched(client: Client, tmp_path: Path) -> None:
    """Refused by the service mid-apply (the workspace a run_job action acts in is checked
    there): the subscription keeps its old filter and action in full."""
    path = _project(tmp_path)
    _apply(client, path)
    write(tmp_path / "mlops/job.yml", "type: command\ncommand: python -c pass\n")
    write(
        tmp_path / "mlops/notify.yml",
        "name: notify\ntypes: [job.canceled]\n"
        "action: {type: run_job, job: job.yml, workspace: nowhere}\n",
    )
    outcomes = _apply(client, path)
    assert outcomes["dev/subscription/notify"].startswith("failed: workspace 'nowhere'")
    kept = client.subscriptions.get("notify")
    assert kept.event_types == ["job.failed"] and kept.action["type"] == "webhook"


def test_a_role_a_standing_persona_lost_is_a_diff_that_apply_repairs(
    client: Client, tmp_path: Path
) -> None:
    path = _project(tmp_path)
    _apply(client, path)
    held = client.role_assignments.list(principal="cicd", scope="/workspaces/prod")
    roles = sorted(a.role for a in held)
    assert len(roles) >= 2 and all(a.persona == "ci_cd_process" for a in held)
    lost = held[0]
    client.role_assignments.delete(lost.id)
    plan = plan_file(client, path)
    [change] = plan.pending
    assert (change.action, change.address) == ("update", "prod/access/cicd/persona:ci_cd_process")
    assert change.diffs == [("roles", [r for r in roles if r != lost.role], roles)]
    assert _apply(client, path) == {change.address: "applied"}
    again = client.role_assignments.list(principal="cicd", scope="/workspaces/prod")
    assert sorted(a.role for a in again) == roles
    assert plan_file(client, path).pending == []


def test_a_description_the_file_leaves_out_is_kept(client: Client, tmp_path: Path) -> None:
    path = _project(tmp_path)
    _apply(client, path)
    write(path, PROJECT.replace("    description: Where data scientists train\n", "")
          .replace("{name: shared, description: Models for every workspace}", "{name: shared}"))  # fmt: skip
    changed = [c.address for c in plan_file(client, path).pending]
    assert "workspace/dev" not in changed and "registry/shared" not in changed, changed
    assert client.workspaces.get("dev").description == "Where data scientists train"
