"""``opsloop apply`` on a fresh embedded home: create, apply again (no changes), a dry run
of an edit (field diffs, nothing written), --prune, literal secrets refused, a failing
resource reported while the others apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop.client import Client
from opsloop.errors import ValidationError
from opsloop.project.apply import apply_plan, plan_file, render_change, summary

PROJECT = """\
name: taxi-fares
principals:
  - {name: cicd, kind: service_principal}
groups:
  - name: data-scientists
    members: [cicd]
workspaces:
  - name: dev
    description: Where data scientists and CI train
    budget: {monthly: 200, currency: USD, thresholds: [50, 80, 100]}
    access:
      - {principal: cicd, role: Contributor}
      - {principal: data-scientists, persona: data_scientist}
    datastores: [{file: mlops/raw.yml}]
    computes:
      - {file: mlops/cpu.yml}
    environments: [{file: mlops/env.yml}]
    promotion_policies:
      - {name: to-staging, file: mlops/policy.yml}
    schedules:
      - {file: mlops/nightly.yml}
    subscriptions:
      - {file: mlops/retrain.yml}
  - name: prod
    kind: production
"""

FILES = {
    "mlops/raw.yml": "name: raw\nurl: file:///tmp/raw\n",
    "mlops/cpu.yml": "name: cpu\ntype: local\nmax_instances: 2\n",
    "mlops/env.yml": "name: train-env\nimage: python:3.11-slim\nconda_file: conda.yml\n",
    "mlops/conda.yml": "name: train\ndependencies: [python=3.11, {pip: [scikit-learn]}]\n",
    "mlops/nightly.yml": (
        "name: nightly\ntrigger: {type: cron, expression: '0 2 * * *'}\ncreate_job: job.yml\n"
    ),
    "mlops/policy.yml": (
        "name: ignored\ngates: [{type: approval, role: project_lead}]\ndeploy: {endpoint: ep}\n"
    ),
    "mlops/job.yml": "type: command\ncommand: python -c pass\n",
    # A run_job action's job file is relative to the subscription file, as the scaffold's.
    "mlops/retrain.yml": (
        "name: retrain\ntypes: [monitor.alerted]\naction: {type: run_job, job: job.yml}\n"
    ),
}


def _project(root: Path, text: str = PROJECT) -> Path:
    for name, content in FILES.items():
        write(root / name, content)
    return write(root / "project.yaml", text)


@pytest.fixture
def fresh(home: Path) -> Client:
    with Client(home=home) as client:
        yield client  # type: ignore[misc]


def _apply(client: Client, path: Path, *, prune: bool = False) -> list[str]:
    plan = apply_plan(plan_file(client, path, prune=prune))
    failures = [f"{c.address}: {c.message}" for c in plan.pending if c.outcome != "applied"]
    return failures


def test_apply_then_again_changes_nothing_and_a_dry_run_shows_field_diffs(
    fresh: Client, tmp_path: Path
) -> None:
    path = _project(tmp_path)
    assert _apply(fresh, path) == []
    assert fresh.computes.get("cpu", workspace="dev").max_instances == 2
    assert fresh.workspaces.get("prod").kind == "production"
    assert fresh.groups.get("data-scientists").members == ["cicd"]
    assert fresh.workspaces.get_budget("dev").monthly == 200
    held = fresh.role_assignments.list(scope="/workspaces/dev")
    assert any(a.principal == "cicd" and a.role == "Contributor" for a in held)
    assert any(a.persona == "data_scientist" for a in held)
    assert fresh.environments.get("train-env@latest", workspace="dev").version == "1"
    assert fresh.promotion_policies.get("to-staging", workspace="dev").version == 1

    again = plan_file(fresh, path)
    assert again.pending == [], [render_change(c) for c in again.pending]
    assert summary(again, applied=False) == f"No changes. {len(again.changes)} resources unchanged."

    write(tmp_path / "mlops/cpu.yml", "name: cpu\ntype: local\nmax_instances: 4\n")
    write(tmp_path / "mlops/nightly.yml", FILES["mlops/nightly.yml"].replace("0 2", "30 3"))
    dry = plan_file(fresh, path)
    lines = [line for c in dry.pending for line in render_change(c)]
    assert any(line.startswith("~ update") and "dev/compute/cpu" in line for line in lines)
    assert "      max_instances: 2 -> 4" in lines
    assert any(
        "trigger:" in line and "0 2 * * *" in line and "30 3 * * *" in line for line in lines
    )
    assert summary(dry, applied=False).startswith("Plan: 0 to create, 2 to update, 0 to delete")
    # A dry run writes nothing.
    assert fresh.computes.get("cpu", workspace="dev").max_instances == 2

    assert _apply(fresh, path) == []
    assert fresh.computes.get("cpu", workspace="dev").max_instances == 4
    assert fresh.schedules.get("nightly", workspace="dev").trigger["expression"] == "30 3 * * *"
    assert plan_file(fresh, path).pending == []

    # A changed environment is a new version; the same content is not.
    write(tmp_path / "mlops/env.yml", FILES["mlops/env.yml"].replace("3.11-slim", "3.12-slim"))
    assert _apply(fresh, path) == []
    assert fresh.environments.get("train-env@latest", workspace="dev").version == "2"


def test_prune_deletes_what_the_file_no_longer_declares(fresh: Client, tmp_path: Path) -> None:
    path = _project(tmp_path)
    assert _apply(fresh, path) == []
    fresh.role_assignments.create("cicd", "Reader", scope="/workspaces/dev")
    removed = PROJECT.replace("    computes:\n      - {file: mlops/cpu.yml}\n", "")
    write(path, removed)
    without_prune = plan_file(fresh, path)
    assert without_prune.pending == []  # nothing is deleted without --prune
    pruned = plan_file(fresh, path, prune=True)
    deletes = sorted(c.address for c in pruned.pending if c.action == "delete")
    assert deletes == ["dev/access/cicd/Reader", "dev/compute/cpu"]
    assert _apply(fresh, path, prune=True) == []
    assert [c.name for c in fresh.computes.list(workspace="dev")] == []
    assert fresh.workspaces.get("prod")  # a workspace the file lists stays
    assert plan_file(fresh, path, prune=True).pending == []


@pytest.mark.parametrize(
    ("where", "text", "field", "line"),
    [
        (
            "project.yaml",
            PROJECT.replace(
                "kind: service_principal}",
                "kind: service_principal, token: opsloop_pat_abcdefghijkl}",
            ),
            "principals.0.token",
            3,
        ),
        (
            "mlops/raw.yml",
            "name: raw\nurl: s3://bucket/raw\naccount_key: c2VjcmV0a2V5\n",
            "account_key",
            3,
        ),
        ("mlops/raw.yml", "name: raw\nurl: https://user:hunter2@example.com/raw\n", "url", 2),
    ],
)
def test_a_literal_credential_is_refused_with_file_and_line(
    fresh: Client, tmp_path: Path, where: str, text: str, field: str, line: int
) -> None:
    path = _project(tmp_path)
    write(tmp_path / where, text)
    with pytest.raises(ValidationError) as caught:
        plan_file(fresh, path)
    assert caught.value.field == field
    assert caught.value.file is not None and caught.value.file.endswith(where)
    assert caught.value.line == line
    assert fresh.workspaces.list() == []


def test_a_secret_reference_must_name_a_secret_of_the_workspace(
    fresh: Client, tmp_path: Path
) -> None:
    path = _project(tmp_path)
    write(
        tmp_path / "mlops/raw.yml",
        "name: raw\nurl: file:///tmp/raw\ntags: {key: '${{secrets.RAW_KEY}}'}\n",
    )
    plan = apply_plan(plan_file(fresh, path))
    raw = next(c for c in plan.pending if c.address == "dev/datastore/raw")
    assert raw.outcome == "failed" and "secret 'RAW_KEY'" in raw.message
    assert "opsloop secret set RAW_KEY -w dev" in raw.message
    assert fresh.computes.get("cpu", workspace="dev")  # the others are applied
    fresh.secrets.set("RAW_KEY", "s3cr3t", workspace="dev")
    assert _apply(fresh, path) == []
    assert fresh.datastores.get("raw", workspace="dev").tags == {"key": "${{secrets.RAW_KEY}}"}


def test_an_entry_file_error_names_that_file_and_line(fresh: Client, tmp_path: Path) -> None:
    path = _project(tmp_path)
    write(tmp_path / "mlops/cpu.yml", "name: cpu\ntype: local\nmax_instances: many\n")
    with pytest.raises(ValidationError) as caught:
        plan_file(fresh, path)
    assert caught.value.file is not None and caught.value.file.endswith("mlops/cpu.yml")
    assert (caught.value.field, caught.value.line) == ("max_instances", 3)


def test_a_failing_resource_leaves_the_others_applied(fresh: Client, tmp_path: Path) -> None:
    text = PROJECT.replace(
        "    schedules:\n",
        "    monitors:\n      - {file: mlops/monitor.yml}\n    schedules:\n",
    )
    path = _project(tmp_path, text)
    write(
        tmp_path / "mlops/monitor.yml",
        "name: fares\ncompute: serverless\nmonitoring_target: {endpoint_deployment_id: 'missing:blue'}\n",
    )
    plan = apply_plan(plan_file(fresh, path))
    outcomes = {c.address: c.outcome for c in plan.pending}
    assert outcomes["dev/monitor/fares"] == "failed"
    assert "missing" in next(c.message for c in plan.pending if c.address == "dev/monitor/fares")
    assert outcomes["dev/schedule/nightly"] == "applied"
    assert summary(plan, applied=True).startswith("Applied: ")
    assert "failed: 1" in summary(plan, applied=True)
    assert fresh.monitors.list(workspace="dev") == []
    assert fresh.computes.get("cpu", workspace="dev").max_instances == 2
