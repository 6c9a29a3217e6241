"""``run_quickstart``: the MLOps v2 loop on an embedded home, offline, with access control
on. Everything goes through ``opsloop.Client``, as a user's own script would, each call
made as the identity whose work it is (the platform owner, the CI/CD service principal,
the project lead, a model end user)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from opsloop.client import Client
from opsloop.quickstart.endpoints import PROD_ENDPOINT, STAGING_ENDPOINT, create_endpoints
from opsloop.quickstart.identities import create_identities
from opsloop.quickstart.inner import (
    Say,
    classical_example_dir,
    create_workspaces,
    generate_taxi_data,
    register_training_inputs,
    run_training_pipeline,
    show_latest_model,
)
from opsloop.quickstart.monitoring import LoopResult, close_the_loop
from opsloop.quickstart.promotion import (
    promote_to_prod,
    promote_to_staging,
    share_to_registry,
)
from opsloop.schemas.entities import Job, Model
from opsloop.schemas.promotions import Promotion

STEPS = 9


@dataclass
class QuickstartResult:
    home: Path
    job: Job
    model: Model | None
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    endpoint: str | None = None
    prod_endpoint: str | None = None
    predictions: list[float] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    model_uri: str | None = None
    loop: LoopResult | None = None


def run_quickstart(
    home: Path, say: Say, *, rows: int = 5000, n_estimators: int = 50
) -> QuickstartResult:
    started = time.monotonic()
    timings: dict[str, float] = {}
    example = classical_example_dir()
    owner = Client(home=home, workspace="dev")

    say(f"1/{STEPS} Workspaces dev, staging (preproduction), prod (production) and registry "
        f"shared in {home}, made by you, the platform owner")  # fmt: skip
    create_workspaces(owner)
    say(f"2/{STEPS} Identities, each with its own token (the quickstart acts as each in turn)")
    who = create_identities(home, owner, say)
    say(f"3/{STEPS} Data: taxi trips generated offline; [cicd] registers them (content hash "
        f"+ profile); prod keeps test trips, staging sample trips")  # fmt: skip
    data_file = generate_taxi_data(example, home / "data" / "taxi-data.csv", rows)
    register_training_inputs(who.cicd, example, data_file, say)
    _register_target_data(who.cicd, example, home, say)
    create_endpoints(owner, example, data_file, say)
    timings["setup"] = time.monotonic() - started

    say(f"4/{STEPS} [cicd] Training pipeline prep -> train -> evaluate -> register in dev")
    job = run_training_pipeline(who.cicd, example, n_estimators, say)
    timings["pipeline"] = time.monotonic() - started - timings["setup"]
    if job.status != "Completed":
        say(f"Pipeline {job.name} ended {job.status}: {job.error}")
        return QuickstartResult(home, job, None, time.monotonic() - started, timings)

    say(f"5/{STEPS} Model registry")
    model = show_latest_model(who.cicd, say)
    result = QuickstartResult(home, job, model, time.monotonic() - started, timings)
    if model is None:
        return result
    result.model_uri = share_to_registry(who.cicd, model, say)

    promoted = time.monotonic()
    say(f"6/{STEPS} Promotion to staging: gates, then blue-green on {STAGING_ENDPOINT}")
    staging = promote_to_staging(who, result.model_uri, example, say)
    result.endpoint = STAGING_ENDPOINT
    request = example / "mlops" / "azureml" / "deploy" / "online" / "score-request.json"
    scored = time.monotonic()
    predictions = owner.online_endpoints.invoke(
        STAGING_ENDPOINT, request_file=request, workspace="staging"
    )
    result.predictions = [float(value) for value in predictions]
    say(f"    scored 3 trips on {STAGING_ENDPOINT} in {time.monotonic() - scored:.2f}s: "
        + ", ".join(f"${value:.2f}" for value in result.predictions))  # fmt: skip

    say(f"7/{STEPS} Promotion to prod: gates, the project lead's approval, then a canary "
        f"on {PROD_ENDPOINT} under live traffic")  # fmt: skip
    prod, canary_rows = promote_to_prod(who, home, result.model_uri, example, say)
    result.prod_endpoint = PROD_ENDPOINT
    result.promotions = [p for p in (staging, prod) if p is not None]
    timings["promotion"] = time.monotonic() - promoted

    monitored = time.monotonic()
    say(f"8/{STEPS} Monitoring closes the loop: drift on {PROD_ENDPOINT} alerts, the alert "
        f"retrains in dev")  # fmt: skip
    deployment = _serving_deployment(owner)
    result.loop = close_the_loop(who, home, example, deployment, canary_rows, say)
    timings["monitoring"] = time.monotonic() - monitored
    result.seconds = time.monotonic() - started
    return result


def _serving_deployment(owner: Client) -> str:
    """The deployment taking prod's traffic: the one just promoted (or an earlier one's)."""
    traffic = owner.online_endpoints.get(PROD_ENDPOINT, workspace="prod").traffic
    return max(traffic, key=lambda name: traffic[name])


def _register_target_data(cicd: Client, example: Path, home: Path, say: Say) -> None:
    """Trips the model never saw: a test set in prod (the champion comparison scores both
    models on it) and a sample in staging (the staging test's requests)."""
    for workspace, name, rows, seed in (("prod", "taxi-test", 1000, 1),
                                        ("staging", "taxi-sample", 200, 2)):  # fmt: skip
        path = generate_taxi_data(example, home / "data" / f"{name}.csv", rows, seed=seed)
        asset = cicd.data.create(name=name, type="uri_file", path=str(path), workspace=workspace)
        say(f"    data {workspace}/{asset.name}:{asset.version}  rows={rows}")
