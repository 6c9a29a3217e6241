"""The quickstart: the inner loop of the MLOps v2 lifecycle on an embedded home, offline.

Workspaces dev / staging / prod and a registry; taxi data registered with a profile; the
classical pipeline prep -> train -> evaluate -> register; the model and its lineage; the
model deployed to a staging online endpoint and scored.
Everything goes through ``opsloop.Client``, as a user's own script would.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opsloop.client import Client
from opsloop.client._progress import StepProgress
from opsloop.errors import ConflictError, OpsloopError
from opsloop.schemas.entities import Job, Model

Say = Callable[[str], None]


def classical_example_dir() -> Path:
    """The classical example, bundled in the wheel or beside the source checkout."""
    bundled = Path(__file__).parent / "_examples" / "classical"
    if bundled.is_dir():
        return bundled
    checkout = Path(__file__).resolve().parents[2] / "examples" / "classical"
    if checkout.is_dir():
        return checkout
    raise OpsloopError("the classical example is missing from this installation")


STAGING_ENDPOINT = "taxi-fare-staging"


@dataclass
class QuickstartResult:
    home: Path
    job: Job
    model: Model | None
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    endpoint: str | None = None
    predictions: list[float] = field(default_factory=list)


def run_quickstart(
    home: Path, say: Say, *, rows: int = 5000, n_estimators: int = 50
) -> QuickstartResult:
    started = time.monotonic()
    timings: dict[str, float] = {}
    example = classical_example_dir()
    train = example / "mlops" / "azureml" / "train"
    client = Client(home=home, workspace="dev")

    say(f"1/6 Workspaces and registry in {home}")
    for name, kind in (
        ("dev", "preproduction"),
        ("staging", "preproduction"),
        ("prod", "production"),
    ):
        _create_once(functools.partial(client.workspaces.create, name=name, kind=kind))
    _create_once(
        lambda: client.registries.create(
            name="shared", description="Models promoted across workspaces"
        )
    )

    say("2/6 Taxi trip data generated offline and registered (content hash + profile)")
    data_file = _generate_data(example, home / "data" / "taxi-data.csv", rows)
    data = client.data.create(file=train / "data.yml", overrides=[f"path={data_file}"])
    say(f"    data {data.name}:{data.version}  rows={(data.profile or {}).get('row_count')}")
    env = client.environments.create(file=train / "train-env.yml")
    say(f"    environment {env.name}:{env.version}")
    timings["setup"] = time.monotonic() - started

    say("3/6 Training pipeline prep -> train -> evaluate -> register")
    job = client.jobs.create(
        file=train / "pipeline.yml", overrides=[f"inputs.n_estimators={n_estimators}"]
    )
    job = _follow_steps(client, job.name, say)
    timings["pipeline"] = time.monotonic() - started - timings["setup"]
    if job.status != "Completed":
        say(f"Pipeline {job.name} ended {job.status}: {job.error}")
        return QuickstartResult(home, job, None, time.monotonic() - started, timings)

    say("4/6 Model registry")
    models = client.models.list("taxi-fare-model")
    model = models[0] if models else None
    if model is not None:
        lineage = model.lineage
        say(f"    model {model.name}:{model.version}  flavors={','.join(model.flavors)}")
        say(
            f"    lineage: job={lineage.job} step={lineage.step} data={', '.join(lineage.data)} "
            f"environment={lineage.environment}"
        )
    result = QuickstartResult(home, job, model, time.monotonic() - started, timings)
    if model is not None:
        say("5/6 Online endpoint in staging: deploy the model, then score requests")
        deployed = time.monotonic()
        result.predictions = deploy_to_staging(client, model, example, say)
        result.endpoint = STAGING_ENDPOINT
        timings["deploy"] = time.monotonic() - deployed
    result.seconds = time.monotonic() - started
    return result


def deploy_to_staging(client: Client, model: Model, example: Path, say: Say) -> list[float]:
    """Copy the model version into staging, deploy it blue at 100% and score a request.

    Until registries share models across workspaces (a later issue), staging gets its own
    registration of the same files, tagged with where it came from.
    """
    deploy = example / "mlops" / "azureml" / "deploy" / "online"
    staged = _staged_model(client, model)
    say(f"    model {staged.name}:{staged.version} registered in staging from dev")
    _create_once(
        lambda: client.online_endpoints.create(
            file=deploy / "online-endpoint.yml",
            workspace="staging",
            overrides=[f"name={STAGING_ENDPOINT}"],
        )
    )
    overrides = [f"endpoint_name={STAGING_ENDPOINT}", f"model={staged.name}:{staged.version}"]
    existing = {
        d.name
        for d in client.online_deployments.list(endpoint_name=STAGING_ENDPOINT, workspace="staging")
    }
    if "blue" in existing:
        deployment = client.online_deployments.update(
            file=deploy / "online-deployment.yml", workspace="staging", overrides=overrides
        )
    else:
        deployment = client.online_deployments.create(
            file=deploy / "online-deployment.yml", workspace="staging", overrides=overrides,
            all_traffic=True,
        )  # fmt: skip
    say(f"    endpoint {STAGING_ENDPOINT}: deployment blue takes 100% of traffic")
    say(f"    runtime {deployment.runtime} ({deployment.runtime_reason})")
    started = time.monotonic()
    predictions = client.online_endpoints.invoke(
        STAGING_ENDPOINT, request_file=deploy / "score-request.json", workspace="staging"
    )
    say(
        f"    scored 3 trips in {time.monotonic() - started:.2f}s (model load included): "
        + ", ".join(f"${value:.2f}" for value in predictions)
    )
    return [float(value) for value in predictions]


def _staged_model(client: Client, model: Model) -> Model:
    for candidate in client.models.list(model.name, workspace="staging"):
        if candidate.tags.get("promoted_from") == f"dev/{model.name}:{model.version}":
            return candidate
    return client.models.create(
        name=model.name,
        path=model.path,
        workspace="staging",
        tags={"promoted_from": f"dev/{model.name}:{model.version}"},
        description=f"{model.name}:{model.version} from workspace dev",
    )


def _create_once(create: Callable[[], object]) -> None:
    # A second quickstart in the same home keeps what the first made.
    with contextlib.suppress(ConflictError):
        create()


def _generate_data(example: Path, target: Path, rows: int) -> Path:
    spec = importlib.util.spec_from_file_location(
        "opsloop_example_generate", example / "data" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target.parent.mkdir(parents=True, exist_ok=True)
    module.write_taxi_data(target, rows=rows, seed=0)
    return target


def _follow_steps(client: Client, name: str, say: Say, timeout: float = 1800) -> Job:
    progress = StepProgress()
    deadline = time.monotonic() + timeout
    while True:
        job = client.jobs.get(name)
        for line in progress.changes(job):
            say(f"    {line}")
        if job.is_terminal or time.monotonic() > deadline:
            return job
        time.sleep(0.3)
