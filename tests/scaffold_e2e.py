"""End to end: each scenario's scaffolded project, with each CI system's pipelines, as its
teams would use it against a real `opsloop server`. The platform owner runs `opsloop apply -f
project.yaml` (and a second apply changes nothing); then the project's pipelines run, their
commands read from the GitHub workflow or Azure DevOps pipeline files, as the project's
CI/CD service principal (its token as the CI system's OPSLOOP_TOKEN secret): train in dev,
register, share to the registry, promote to staging through the gates, then to prod, where
the project lead approves and the rollout finishes; a later pull request's checks (lint,
unit tests, data checks, `opsloop job validate` of every job spec against the platform);
and the scheduled retraining.

Shared by tests/scaffold/test_e2e_<scenario>.py: one file per scenario, so the test runner's
workers, which split the suite by file, run the scenarios side by side."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from helpers import first_started_server
from opsloop.client import Client
from opsloop.errors import RemoteError
from opsloop.scaffold import scaffold
from scaffold_pipelines import run_pipeline

BIN = str(Path(sys.executable).parent)


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


def approve_and_roll_out(url: str, owner_token: str, lead: str, name: str, root: Path) -> None:
    """The project lead approves the prod promotion; its canary rollout is judged on live
    requests, so users send the endpoint traffic until it finishes."""
    with Client(url, token=owner_token) as owner:
        (prod,) = [p for p in owner.promotions.list(workspace="prod") if p.endpoint == name]
        assert prod.state == "AwaitingApproval", prod.report
        assert prod.requested_by == f"{name}-cicd"
        with Client(url, token=lead) as project_lead:
            project_lead.approvals.approve(prod.approval, workspace="prod", comment="ship it")
        request = root / "mlops" / "azureml" / "deploy" / "online" / "score-request.json"
        stop = threading.Event()

        def traffic() -> None:
            with Client(url, token=owner_token) as user:
                while not stop.wait(0.05):
                    # Refused until the rollout's first step sends the new deployment traffic.
                    with contextlib.suppress(RemoteError):
                        user.online_endpoints.invoke(name, request_file=request, workspace="prod")

        sender = threading.Thread(target=traffic, daemon=True)
        sender.start()
        try:
            final = owner.promotions.wait(prod.name, workspace="prod")
        finally:
            stop.set()
            sender.join(timeout=30)
        assert final.state == "Succeeded", final.report


def run_scaffolded_project(tmp_path: Path, scenario: str, ci: str) -> None:
    """Scaffold SCENARIO for CI, apply its project.yaml on a fresh server and run its
    pipelines end to end (train-deploy, approval and rollout, pull request, retrain). One
    server per project: the scaffold's workspaces (dev, staging, prod) and their policies are
    named for the platform, not the project, so two projects cannot share them."""
    with first_started_server(tmp_path) as (url, owner_token):
        _run_on_server(url, owner_token, tmp_path, scenario, ci)


def _run_on_server(url: str, owner_token: str, tmp_path: Path, scenario: str, ci: str) -> None:
    name = f"{scenario}-{ci}"
    root = scaffold(tmp_path / name, scenario, ci).root
    # The staging load test's latency SLO is for a quiet machine, not a shared test runner.
    policy = root / "mlops" / "promotion" / "to-staging.yml"
    policy.write_text(re.sub(r"p99_latency_ms: \d+", "p99_latency_ms: 10000", policy.read_text()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLOOP_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["OPSLOOP_PROFILE"] = str(tmp_path / "profile")
    applied = apply_project(root, url, owner_token, env)
    assert "+ create" in applied and "failed: 0" in applied, applied
    assert "No changes." in apply_project(root, url, owner_token, env)
    with Client(url, token=owner_token) as owner:
        assert {w.name for w in owner.workspaces.list()} >= {"dev", "staging", "prod"}
        cicd = owner.tokens.create(f"{name}-cicd", name="ci").token
        lead = owner.tokens.create(f"{name}-lead", name="lead").token

    def pipeline(which: str) -> list[str]:
        return run_pipeline(root, ci, which, uri=url, token=cicd, env=env)

    text = "\n".join(pipeline("train-deploy"))
    with Client(url, token=owner_token) as owner:
        shared = owner.models.get(f"{name}-model@latest", registry="shared")
        assert shared.shared_from is not None and shared.shared_from.workspace == "dev"
        staging = owner.promotions.list(workspace="staging")
        assert [p.state for p in staging if p.endpoint == f"{name}-staging"] == ["Succeeded"], text
    approve_and_roll_out(url, owner_token, lead, name, root)

    # A pull request after that first merge: its checks validate every job spec against the
    # platform (the data the first run registered), and the plan shows the training
    # pipeline's deterministic steps reused, since nothing they depend on changed.
    checks = pipeline("pull-request")
    assert re.search(r"step\(s\) would run, [1-9]\d* would be reused\.", checks[-1]), checks[-1]

    retrained = pipeline("retrain")
    assert "Completed" in retrained[-1]
