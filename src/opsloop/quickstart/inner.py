"""The quickstart's inner loop: workspaces and a registry, taxi data registered with a
profile, the classical pipeline prep -> train -> evaluate -> register, the model and its
lineage."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from opsloop.client import Client
from opsloop.client._progress import StepProgress
from opsloop.errors import ConflictError, OpsloopError
from opsloop.schemas.entities import Job, Model

Say = Callable[[str], None]


def classical_example_dir() -> Path:
    """The classical example, bundled in the wheel or beside the source checkout."""
    package = Path(__file__).parents[1]
    bundled = package / "_examples" / "classical"
    if bundled.is_dir():
        return bundled
    checkout = package.resolve().parents[1] / "examples" / "classical"
    if checkout.is_dir():
        return checkout
    raise OpsloopError("the classical example is missing from this installation")


def create_workspaces(client: Client) -> None:
    """dev and staging (preproduction), prod (production) and the registry ``shared``."""
    for name, kind in (
        ("dev", "preproduction"),
        ("staging", "preproduction"),
        ("prod", "production"),
    ):
        create_once(functools.partial(client.workspaces.create, name=name, kind=kind))
    create_once(
        lambda: client.registries.create(
            name="shared", description="Models promoted across workspaces"
        )
    )


def register_training_inputs(client: Client, example: Path, data_file: Path, say: Say) -> None:
    train = example / "mlops" / "azureml" / "train"
    data = client.data.create(file=train / "data.yml", overrides=[f"path={data_file}"])
    say(f"    data {data.name}:{data.version}  rows={(data.profile or {}).get('row_count')}")
    env = client.environments.create(file=train / "train-env.yml")
    say(f"    environment {env.name}:{env.version}")


def run_training_pipeline(client: Client, example: Path, n_estimators: int, say: Say) -> Job:
    pipeline = example / "mlops" / "azureml" / "train" / "pipeline.yml"
    job = client.jobs.create(file=pipeline, overrides=[f"inputs.n_estimators={n_estimators}"])
    return follow_steps(client, job.name, say)


def show_latest_model(client: Client, say: Say) -> Model | None:
    models = client.models.list("taxi-fare-model")
    model = models[0] if models else None
    if model is not None:
        lineage = model.lineage
        say(f"    model {model.name}:{model.version}  flavors={','.join(model.flavors)}")
        say(
            f"    lineage: job={lineage.job} step={lineage.step} data={', '.join(lineage.data)} "
            f"environment={lineage.environment}"
        )
    return model


def create_once(create: Callable[[], object]) -> None:
    # A second quickstart in the same home keeps what the first made.
    with contextlib.suppress(ConflictError):
        create()


def generate_taxi_data(
    example: Path, target: Path, rows: int, seed: int = 0, *, drift: bool = False
) -> Path:
    module = example_module(example / "data" / "generate.py")
    target.parent.mkdir(parents=True, exist_ok=True)
    module.write_taxi_data(target, rows=rows, seed=seed, drift=drift)
    return target


def example_module(path: Path) -> ModuleType:
    """A module of the example (its data generator, its training code), loaded by path."""
    spec = importlib.util.spec_from_file_location(f"opsloop_example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def follow_steps(client: Client, name: str, say: Say, timeout: float = 1800) -> Job:
    progress = StepProgress()
    deadline = time.monotonic() + timeout
    while True:
        job = client.jobs.get(name)
        for line in progress.changes(job):
            say(f"    {line}")
        if job.is_terminal or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def opsloop_command() -> str:
    """How to run this opsloop from the user's shell: ``opsloop`` when that is what PATH
    finds, else the path of this installation's script (``.venv/bin/opsloop`` after the
    README's install, which does not activate the virtualenv)."""
    script = Path(sys.executable).parent / "opsloop"
    on_path = shutil.which("opsloop")
    if not script.exists() or (on_path and Path(on_path).resolve() == script.resolve()):
        return "opsloop"
    with contextlib.suppress(ValueError):
        return str(script.absolute().relative_to(Path.cwd()))
    return str(script.absolute())
