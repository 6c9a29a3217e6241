"""A classifier's shadow: the runtime logs both answers as labels, and the shadow analysis
judges them by agreement. Real models served by the real runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from starlette.testclient import TestClient

from helpers import bearer, serving_runtime
from opsloop import Client
from opsloop.gates.shadow import MirroredRequest, analyse_shadow
from opsloop.specs.promotion import Analysis, Comparison


def _classifier(path: Path, flipped: bool) -> Path:
    """``big`` when a + b > 0, else ``small`` (the other way round when ``flipped``)."""
    import mlflow.sklearn
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    big = (features.a + features.b > 0) != flipped
    labels = np.where(big, "big", "small")
    model = DecisionTreeClassifier(max_depth=4, random_state=0).fit(features, labels)
    mlflow.sklearn.save_model(model, str(path), input_example=features.head(2),
                              serialization_format="cloudpickle")  # fmt: skip
    return path


def test_a_disagreeing_classifier_shadow_is_judged_by_its_labels(
    client: Client, tmp_path: Path
) -> None:
    client.models.create(name="clf", path=str(_classifier(tmp_path / "a", flipped=False)))
    client.models.create(name="clf", path=str(_classifier(tmp_path / "b", flipped=True)))
    client.online_endpoints.create(name="ep")
    client.online_deployments.create(name="blue", endpoint_name="ep", model="clf:1",
                                     all_traffic=True)  # fmt: skip
    client.online_deployments.create(
        name="green", endpoint_name="ep", model="clf:2",
        overrides=["request_settings.max_concurrent_requests_per_instance=8"],
    )  # fmt: skip
    client.online_endpoints.update("ep", mirror_traffic={"green": 50})
    rows = [[3.0, 1.0], [-2.0, -1.0]]  # clearly big, clearly small
    with TestClient(serving_runtime(client), headers=bearer(client)) as http:
        answers = [
            http.post("/score", json={"input_data": {"columns": ["a", "b"], "data": rows}})
            for _ in range(40)
        ]
    assert all(a.json() == ["big", "small"] for a in answers)  # blue's, always
    logs = client.online_endpoints.request_logs("ep", limit=200)
    mirrored = [MirroredRequest(e.request_id, e.status_code, e.duration_ms, e.comparison)
                for e in logs if e.mirrored]  # fmt: skip
    assert mirrored and all(m.comparison == {"deployment": "blue", "live": ["big", "small"],
                                             "shadow": ["small", "big"]} for m in mirrored)  # fmt: skip
    judged = analyse_shadow(mirrored, Analysis(min_requests=5), Comparison())
    assert (judged.verdict, judged.outputs, judged.agreement_rate) == ("failed", "labels", 0.0)
