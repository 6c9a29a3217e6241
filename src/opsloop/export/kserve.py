"""A KServe InferenceService for an exported online endpoint.

KServe splits traffic between two revisions of one InferenceService: the previous
(stable) predictor and the latest one with ``canaryTrafficPercent``. So an endpoint
maps onto KServe only when at most two deployments take live traffic, and the canary
is a second apply of the same InferenceService with the other predictor. Mirror
traffic and header pinning have no KServe equivalent; the README says so.
"""

from __future__ import annotations

from opsloop.errors import ValidationError
from opsloop.export.install import CANARY_FILE, STABLE_FILE
from opsloop.export.k8s import (
    METRICS_PATH,
    PORT,
    Manifest,
    Manifests,
    container,
    dns_name,
    labels,
    live_traffic,
    max_replicas,
    mirror_traffic,
    secret_manifest,
)
from opsloop.scoring.bundle import EndpointBundle

API_VERSION = "serving.kserve.io/v1beta1"
# Knative adds "-predictor-00001" and more to the name inside a 63-character DNS label.
MAX_NAME_LENGTH = 45


def kserve_manifests(bundle: EndpointBundle, images: dict[str, str]) -> Manifests:
    """One InferenceService for one live deployment; a stable and a canary file for two."""
    stable, canary = _stable_and_canary(bundle)
    name = dns_name(bundle.name, MAX_NAME_LENGTH)
    result = Manifests(files={"secret.yaml": [secret_manifest(bundle)]})
    result.files[STABLE_FILE] = [_inference_service(bundle, stable, images[stable], None)]
    result.commands = ["kubectl apply -f secret.yaml", f"kubectl apply -f {STABLE_FILE}"]
    if canary is not None:
        percent = bundle.spec.traffic[canary]
        result.files[CANARY_FILE] = [_inference_service(bundle, canary, images[canary], percent)]
        result.commands += [
            f"kubectl wait --for=condition=Ready inferenceservice/{name} --timeout=15m",
            f"kubectl apply -f {CANARY_FILE}",
        ]
        result.notes.append(
            f"Apply {STABLE_FILE} first and wait until it is Ready: KServe sends "
            f"{percent}% to the latest revision (`{canary}`) and the rest to the previous "
            f"one (`{stable}`). Promote with `kubectl patch inferenceservice {name} "
            '--type=json -p \'[{"op":"remove","path":"/spec/predictor/canaryTrafficPercent"}]\'`; '
            "roll back by setting canaryTrafficPercent to 0. Canary rollout needs KServe's "
            "Serverless (Knative) mode; RawDeployment mode does not split traffic."
        )
    unused = [other for other in bundle.deployments if other not in (stable, canary)]
    if unused:
        result.notes.append(
            f"Deployments without live traffic ({', '.join(unused)}) have image folders but "
            "no place in the InferenceService."
        )
    if mirror_traffic(bundle):
        result.notes.append("KServe has no traffic mirroring; mirror_traffic is not exported.")
    result.notes.append(
        "KServe cannot pin a request to a deployment by header; Knative tag routing "
        "(annotation serving.kserve.io/enable-tag-routing) can address the revisions instead."
    )
    return result


def _stable_and_canary(bundle: EndpointBundle) -> tuple[str, str | None]:
    """The larger share is the previous revision; a tie keeps the traffic map's order."""
    live = live_traffic(bundle)
    if len(live) > 2:
        raise ValidationError(
            f"KServe splits traffic between two revisions only, but {len(live)} deployments "
            f"take live traffic ({', '.join(live)}); send traffic to at most two",
            field="traffic",
        )
    if not live:
        if len(bundle.deployments) != 1:
            raise ValidationError(
                "no deployment takes live traffic, so the InferenceService has no predictor; "
                "set traffic before exporting to KServe",
                field="traffic",
            )
        return next(iter(bundle.deployments)), None
    ordered = sorted(live, key=lambda name: -live[name])
    return ordered[0], ordered[1] if len(ordered) > 1 else None


def _inference_service(
    bundle: EndpointBundle, deployment: str, image: str, canary_percent: int | None
) -> Manifest:
    """A custom-container predictor speaking the V2 protocol (KServe reads env PROTOCOL)."""
    spec = bundle.deployments[deployment].spec
    serving = container(bundle, spec, image, "kserve-container")
    serving["env"] = [{"name": "PROTOCOL", "value": "v2"}, *serving["env"]]
    predictor: Manifest = {
        "minReplicas": spec.instance_count,
        "maxReplicas": max_replicas(spec.instance_count),
    }
    if canary_percent is not None:
        predictor["canaryTrafficPercent"] = canary_percent
    predictor["labels"] = labels(bundle.name, deployment)
    predictor["containers"] = [serving]
    return {
        "apiVersion": API_VERSION,
        "kind": "InferenceService",
        "metadata": {
            "name": dns_name(bundle.name, MAX_NAME_LENGTH),
            "labels": labels(bundle.name),
            "annotations": {
                "serving.kserve.io/enable-prometheus-scraping": "true",
                "prometheus.kserve.io/port": str(PORT),
                "prometheus.kserve.io/path": METRICS_PATH,
            },
        },
        "spec": {"predictor": predictor},
    }
