"""End to end: a scaffolded classical project's GitHub pipelines, their commands read from
the workflow files, run against a real `opsloop server` as the project's CI/CD service
principal (its token as OPSLOOP_TOKEN): train in dev, register, share to the registry,
promote to staging through the gates, then to prod, where the project lead approves.

The platform is set up from project.yaml by the owner with the SDK, the way `opsloop apply`
will do it (on another branch while this was written). The pull-request workflow's
`opsloop job validate` is left out until that command exists."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers import first_started_server
from opsloop.client import Client
from opsloop.scaffold import scaffold
from scaffold_pipelines import run_github_workflow

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server on an empty home: its URL and the owner's token, printed at first start."""
    with first_started_server(tmp_path) as started:
        yield started


def set_up_platform(owner: Client, project: dict) -> None:  # type: ignore[type-arg]
    """What project.yaml declares about workspaces, registries, identities and access."""
    for registry in project["registries"]:
        owner.registries.create(name=registry["name"])
    for principal in project["principals"]:
        owner.principals.create(principal["name"], kind=principal["kind"])
    for group in project["groups"]:
        owner.groups.create(group["name"])
    for grant in project["role_assignments"]:
        owner.role_assignments.create(grant["principal"], grant["role"], scope=grant["scope"])
    for workspace in project["workspaces"]:
        owner.workspaces.create(name=workspace["name"], kind=workspace["kind"])
        for grant in workspace.get("access", []):
            if "role" in grant:
                scope = f"/workspaces/{workspace['name']}"
                owner.role_assignments.create(grant["principal"], grant["role"], scope=scope)
            elif grant["principal"] not in {g["name"] for g in project["groups"]}:
                owner.personas.assign(grant["persona"], grant["principal"],
                                      workspace=workspace["name"])  # fmt: skip


@pytest.mark.slow
def test_the_github_pipelines_train_share_and_promote_on_a_server(
    server: tuple[str, str], tmp_path: Path
) -> None:
    url, owner_token = server
    root = scaffold(tmp_path / "fares", "classical", "github").root
    # The staging load test's latency SLO is for a quiet machine, not a shared test runner.
    policy = root / "mlops" / "promotion" / "to-staging.yml"
    policy.write_text(policy.read_text().replace("p99_latency_ms: 500", "p99_latency_ms: 10000"))
    project = yaml.safe_load((root / "project.yaml").read_text())
    with Client(url, token=owner_token) as owner:
        set_up_platform(owner, project)
        cicd = owner.tokens.create("fares-cicd", name="ci").token
        lead = owner.tokens.create("fares-lead", name="lead").token
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["OPSLOOP_PROFILE"] = str(tmp_path / "profile")
    context = {"vars": {"OPSLOOP_URI": url}, "secrets": {"OPSLOOP_TOKEN": cicd}}

    workflows = root / ".github" / "workflows"
    logs = run_github_workflow(workflows / "train-deploy.yml", cwd=root, context=context,
                               env=env)  # fmt: skip
    text = "\n".join(logs)
    with Client(url, token=owner_token) as owner:
        shared = owner.models.get("fares-model@latest", registry="shared")
        assert shared.shared_from is not None and shared.shared_from.workspace == "dev"
        staging = owner.promotions.list(workspace="staging")
        assert [p.state for p in staging] == ["Succeeded"], text
        (prod,) = owner.promotions.list(workspace="prod")
        assert prod.state == "AwaitingApproval", text
        assert prod.requested_by == "fares-cicd"
        with Client(url, token=lead) as project_lead:
            project_lead.approvals.approve(prod.approval, workspace="prod", comment="ship it")
        # The canary is judged on live requests: users' traffic while it rolls out.
        request = root / "mlops" / "azureml" / "deploy" / "online" / "score-request.json"
        stop = threading.Event()

        def traffic() -> None:
            with Client(url, token=owner_token) as user:
                while not stop.wait(0.05):
                    user.online_endpoints.invoke("fares", request_file=request, workspace="prod")

        sender = threading.Thread(target=traffic, daemon=True)
        sender.start()
        try:
            final = owner.promotions.wait(prod.name, workspace="prod")
        finally:
            stop.set()
            sender.join(timeout=30)
        assert final.state == "Succeeded", final.report

    retrained = run_github_workflow(workflows / "retrain.yml", cwd=root, context=context, env=env)
    assert "Completed" in retrained[-1]
