"""End to end: a scaffolded classical project as its teams would use it against a real
`opsloop server`. The platform owner runs `opsloop apply -f project.yaml` (and a second
apply changes nothing); then the project's GitHub pipelines run, their commands read from
the workflow files, as the project's CI/CD service principal (its token as OPSLOOP_TOKEN):
train in dev, register, share to the registry, promote to staging through the gates, then
to prod, where the project lead approves; a later pull request's checks (lint, unit tests,
data checks, `opsloop job validate` of every job spec against the platform); and the
scheduled retraining."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import first_started_server
from opsloop.client import Client
from opsloop.errors import RemoteError
from opsloop.scaffold import scaffold
from scaffold_pipelines import run_github_workflow

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server on an empty home: its URL and the owner's token, printed at first start."""
    with first_started_server(tmp_path) as started:
        yield started


def apply_project(root: Path, url: str, owner_token: str, env: dict[str, str]) -> str:
    """`opsloop apply -f project.yaml` as the platform owner, as the issue's infrastructure
    team would run it; its output."""
    done = subprocess.run(
        ["opsloop", "apply", "-f", "project.yaml"],
        cwd=root, env={**env, "OPSLOOP_URI": url, "OPSLOOP_TOKEN": owner_token},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_github_pipelines_train_share_and_promote_on_a_server(
    server: tuple[str, str], tmp_path: Path
) -> None:
    url, owner_token = server
    root = scaffold(tmp_path / "fares", "classical", "github").root
    # The staging load test's latency SLO is for a quiet machine, not a shared test runner.
    policy = root / "mlops" / "promotion" / "to-staging.yml"
    policy.write_text(policy.read_text().replace("p99_latency_ms: 500", "p99_latency_ms: 10000"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["OPSLOOP_PROFILE"] = str(tmp_path / "profile")
    applied = apply_project(root, url, owner_token, env)
    assert "+ create" in applied and "failed: 0" in applied, applied
    assert "No changes." in apply_project(root, url, owner_token, env)
    with Client(url, token=owner_token) as owner:
        assert {w.name for w in owner.workspaces.list()} >= {"dev", "staging", "prod"}
        cicd = owner.tokens.create("fares-cicd", name="ci").token
        lead = owner.tokens.create("fares-lead", name="lead").token
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
                    # Refused until the rollout's first step sends the new deployment traffic.
                    with contextlib.suppress(RemoteError):
                        user.online_endpoints.invoke(
                            "fares", request_file=request, workspace="prod"
                        )

        sender = threading.Thread(target=traffic, daemon=True)
        sender.start()
        try:
            final = owner.promotions.wait(prod.name, workspace="prod")
        finally:
            stop.set()
            sender.join(timeout=30)
        assert final.state == "Succeeded", final.report

    # A pull request after that first merge: its checks validate every job spec against the
    # platform (the data the first run registered), and the plan shows the training
    # pipeline's steps reused, since nothing they depend on changed.
    checks = run_github_workflow(workflows / "pull-request.yml", cwd=root, context=context,
                                 env=env)  # fmt: skip
    assert "2 step(s) would run, 2 would be reused." in checks[-1], checks[-1]

    retrained = run_github_workflow(workflows / "retrain.yml", cwd=root, context=context, env=env)
    assert "Completed" in retrained[-1]
