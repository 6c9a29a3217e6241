"""The online endpoints promotions deploy to, made by the platform owner: staging's, empty,
and prod's, serving a first release (a one-tree model of the example's own pipeline: the
champion a trained candidate must beat)."""

from __future__ import annotations

import contextlib
import functools
import tempfile
from pathlib import Path

from opsloop.client import Client
from opsloop.errors import NotFoundError
from opsloop.quickstart.inner import Say, create_once, example_module

STAGING_ENDPOINT = "taxi-fare-staging"
PROD_ENDPOINT = "taxi-fare"
BASELINE_MODEL = "taxi-fare-first-release"


def create_endpoints(owner: Client, example: Path, data_file: Path, say: Say) -> None:
    deploy = example / "mlops" / "azureml" / "deploy" / "online"
    for workspace, name in (("staging", STAGING_ENDPOINT), ("prod", PROD_ENDPOINT)):
        create_once(
            functools.partial(
                owner.online_endpoints.create, file=deploy / "online-endpoint.yml",
                workspace=workspace, overrides=[f"name={name}"],
            )
        )  # fmt: skip
    say(f"    online endpoints staging/{STAGING_ENDPOINT} and prod/{PROD_ENDPOINT}")
    if owner.online_deployments.list(endpoint_name=PROD_ENDPOINT, workspace="prod"):
        say(f"    prod endpoint {PROD_ENDPOINT} serves already (an earlier quickstart)")
        return
    model = _registered_first_model(owner, example, data_file)
    owner.online_deployments.create(
        file=deploy / "online-deployment.yml", workspace="prod", all_traffic=True,
        overrides=["name=first-release", f"endpoint_name={PROD_ENDPOINT}",
                   f"model={model}"],
    )  # fmt: skip
    say(f"    prod endpoint {PROD_ENDPOINT} serves {model} (one shallow tree): the champion")


def _registered_first_model(owner: Client, example: Path, data_file: Path) -> str:
    with contextlib.suppress(NotFoundError):
        found = owner.models.get(f"{BASELINE_MODEL}@latest", workspace="prod")
        return f"{found.name}:{found.version}"
    import pandas as pd

    train = example_module(example / "data-science" / "src" / "train.py")
    frame = pd.read_csv(data_file).dropna(subset=[train.TARGET])
    features = frame[train.NUMERIC + train.CATEGORICAL]
    pipeline = train.build_pipeline(n_estimators=1, max_depth=3, random_state=0)
    pipeline.fit(features, frame[train.TARGET])
    with tempfile.TemporaryDirectory(prefix="opsloop-first-release-") as scratch:
        folder = Path(scratch) / "model"
        train.save_mlflow_model(pipeline, features.head(5), folder)
        model = owner.models.create(
            name=BASELINE_MODEL, path=str(folder), workspace="prod",
            description="prod's first release: one tree of depth 3",
        )  # fmt: skip
    return f"{model.name}:{model.version}"
