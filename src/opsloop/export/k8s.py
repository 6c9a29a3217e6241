"""Kubernetes manifests for an exported online endpoint, and the pieces KServe shares.

The traffic split uses the Gateway API (``gateway.networking.k8s.io/v1`` HTTPRoute), not
ingress-nginx canary annotations: an HTTPRoute expresses any number of weighted
deployments, pins a request to a named deployment by header with an exact match that
no weight overrides, and mirrors a percentage of requests (``percent``, Standard channel
since Gateway API v1.3). ingress-nginx allows one canary per host and path, mirrors all
or nothing, and its controller was retired in March 2026.

Keys never appear in a manifest: containers read them from a Secret that the user
fills in, written to its own file so that re-applying the manifests cannot wipe it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from opsloop.scoring.bundle import KEYS_ENV, TOKEN_SECRET_ENV, EndpointBundle
from opsloop.security.secret_references import referenced_names
from opsloop.specs.endpoint import OnlineDeploymentSpec, ProbeSettings

Manifest = dict[str, Any]

PORT = 8080
SERVICE_PORT = 80
LIVE_PATH = "/v2/health/live"
READY_PATH = "/v2/health/ready"
METRICS_PATH = "/metrics"
DEPLOYMENT_HEADER = "opsloop-model-deployment"
GATEWAY_NAME = "opsloop-gateway"
APP_NAME = "opsloop-endpoint"
CPU_TARGET = 70
# The HPA needs a CPU request to compute utilisation; tune it per instance_type.
DEFAULT_REQUESTS = {"cpu": "250m", "memory": "512Mi"}
NON_ROOT_UID = 10001
# Gateway API caps an HTTPRoute at 16 rules: one per deployment pin plus the split.
MAX_ROUTED_DEPLOYMENTS = 15


@dataclass
class Manifests:
    """What a format produces: YAML files (name -> documents), apply commands, caveats."""

    files: dict[str, list[Manifest]] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def dns_name(text: str, max_length: int = 63) -> str:
    """A DNS-1123 label that also starts with a letter (Services need RFC 1035).

    Names that are too long keep a hash of the original, so two long names that share a
    prefix stay distinct.
    """
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")
    if not name or not name[0].isalpha():
        name = f"x-{name}".rstrip("-")
    if len(name) > max_length:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        name = f"{name[: max_length - 9].rstrip('-')}-{digest}"
    return name


def image_reference(
    registry: str | None, endpoint: str, deployment: str, model_version: str | None
) -> str:
    """``<registry>/<endpoint>-<deployment>:<model_version or latest>``, made valid for Docker."""
    repository = dns_name(f"{endpoint}-{deployment}")
    tag = re.sub(r"[^A-Za-z0-9_.-]", "-", model_version or "").lstrip(".-")[:128] or "latest"
    prefix = f"{registry.rstrip('/')}/" if registry else ""
    return f"{prefix}{repository}:{tag}"


def secret_name(endpoint: str) -> str:
    return dns_name(f"{endpoint}-auth")


def labels(endpoint: str, deployment: str | None = None) -> dict[str, str]:
    values = {"app.kubernetes.io/name": APP_NAME, "opsloop.dev/endpoint": dns_name(endpoint)}
    if deployment is not None:
        values["opsloop.dev/deployment"] = dns_name(deployment)
    return values


def secret_manifest(bundle: EndpointBundle) -> Manifest:
    """An Opaque Secret with empty values: the exporter never copies keys out of opsloop."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(bundle.name),
            "labels": labels(bundle.name),
            "annotations": {
                "opsloop.dev/note": (
                    f"Fill in before applying: {KEYS_ENV} is 'primary,secondary' (key auth); "
                    f"{TOKEN_SECRET_ENV} signs tokens (token auth). See README.md."
                )
            },
        },
        "type": "Opaque",
        "stringData": {KEYS_ENV: "", TOKEN_SECRET_ENV: ""}
        | {variable: "" for variable in sorted(vault_variables(bundle))},
    }


def vault_variables(bundle: EndpointBundle) -> set[str]:
    """Environment variables the deployments set from the vault (``${{secrets.NAME}}``):
    the Secret holds them too, for the user to fill in; no value leaves opsloop."""
    return {
        key
        for deployment in bundle.deployments.values()
        for key, value in deployment.spec.environment_variables.items()
        if referenced_names(value)
    }


def container(
    bundle: EndpointBundle, spec: OnlineDeploymentSpec, image: str, name: str
) -> Manifest:
    """The serving container: spec env vars, keys from the Secret, the spec's probes."""
    key_auth = bundle.spec.auth_mode == "key"
    from_vault = {k for k, v in spec.environment_variables.items() if referenced_names(v)}
    env: list[Manifest] = [
        {"name": key, "value": value}
        for key, value in spec.environment_variables.items()
        if key not in (KEYS_ENV, TOKEN_SECRET_ENV, *from_vault)
    ]
    required = [(variable, True) for variable in sorted(from_vault)]
    for variable, needed in (
        *required,
        (KEYS_ENV, key_auth),
        (TOKEN_SECRET_ENV, not key_auth),
    ):
        reference = {"name": secret_name(bundle.name), "key": variable, "optional": not needed}
        env.append({"name": variable, "valueFrom": {"secretKeyRef": reference}})
    return {
        "name": name,
        "image": image,
        "ports": [{"containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        "resources": {"requests": dict(DEFAULT_REQUESTS)},
        "livenessProbe": probe(LIVE_PATH, spec.liveness_probe, liveness=True),
        "readinessProbe": probe(READY_PATH, spec.readiness_probe, liveness=False),
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def probe(path: str, settings: ProbeSettings, *, liveness: bool) -> Manifest:
    """Kubernetes rejects a liveness successThreshold other than 1, so it is pinned there."""
    return {
        "httpGet": {"path": path, "port": PORT},
        "initialDelaySeconds": settings.initial_delay,
        "periodSeconds": settings.period,
        "timeoutSeconds": settings.timeout,
        "successThreshold": 1 if liveness else settings.success_threshold,
        "failureThreshold": settings.failure_threshold,
    }


def max_replicas(instance_count: int) -> int:
    return max(instance_count * 3, instance_count + 1)


def live_traffic(bundle: EndpointBundle) -> dict[str, int]:
    return {name: percent for name, percent in bundle.spec.traffic.items() if percent > 0}


def mirror_traffic(bundle: EndpointBundle) -> dict[str, int]:
    return {name: percent for name, percent in bundle.spec.mirror_traffic.items() if percent > 0}


def k8s_manifests(bundle: EndpointBundle, images: dict[str, str]) -> Manifests:
    """Per deployment a Deployment, Service and HPA; per endpoint a Service and HTTPRoute."""
    live = live_traffic(bundle)
    documents: list[Manifest] = []
    for name, deployment in bundle.deployments.items():
        documents.extend(_deployment_documents(bundle, name, deployment.spec, images[name], live))
    documents.append(_endpoint_service(bundle))
    documents.append(_route(bundle, live))
    result = Manifests(
        files={"secret.yaml": [secret_manifest(bundle)], "manifests.yaml": documents}
    )
    result.commands = ["kubectl apply -f secret.yaml", "kubectl apply -f manifests.yaml"]
    result.notes.append(
        f"The HTTPRoute attaches to a Gateway named `{GATEWAY_NAME}` in the same namespace "
        "(any Gateway API implementation: Envoy Gateway, Istio, Cilium, NGINX Gateway Fabric, "
        "...); edit `parentRefs` (and add `hostnames`) to use yours."
    )
    result.notes.append(
        f"Requests carrying the header `{DEPLOYMENT_HEADER}: <deployment>` go to that "
        "deployment whatever its weight; other requests follow the traffic split."
    )
    if not live:
        result.notes.append(
            "No deployment takes live traffic, so only requests that name a deployment by "
            "header are routed; the others get 404 from the Gateway."
        )
    for name, percent in mirror_traffic(bundle).items():
        result.notes.append(
            f"`{name}` receives a copy of {percent}% of the split traffic through the "
            "HTTPRoute's RequestMirror filter; its answers are discarded. `percent` needs "
            "Gateway API v1.3 or later; an implementation without it mirrors every request."
        )
    result.notes.append(
        f"The endpoint Service `{dns_name(bundle.name)}` serves in-cluster callers from the "
        "pods of the deployments with live traffic, spread by pod count, not by weight."
    )
    return result


def _deployment_documents(
    bundle: EndpointBundle,
    name: str,
    spec: OnlineDeploymentSpec,
    image: str,
    live: dict[str, int],
) -> list[Manifest]:
    resource = dns_name(f"{bundle.name}-{name}")
    selector = labels(bundle.name, name)
    pod_labels = {**selector, "opsloop.dev/live": "true" if name in live else "false"}
    annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(PORT),
        "prometheus.io/path": METRICS_PATH,
    }
    if spec.instance_type:
        annotations["opsloop.dev/instance-type"] = spec.instance_type
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": resource, "labels": selector},
        "spec": {
            "replicas": spec.instance_count,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": pod_labels, "annotations": annotations},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": NON_ROOT_UID},
                    "containers": [container(bundle, spec, image, "scoring")],
                },
            },
        },
    }
    service = _service(resource, selector, selector)
    autoscaler = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": resource, "labels": selector},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": resource},
            "minReplicas": spec.instance_count,
            "maxReplicas": max_replicas(spec.instance_count),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": CPU_TARGET},
                    },
                }
            ],
        },
    }
    return [deployment, service, autoscaler]


def _service(name: str, metadata_labels: dict[str, str], selector: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": metadata_labels},
        "spec": {
            "selector": selector,
            "ports": [
                {
                    "name": "http",
                    "port": SERVICE_PORT,
                    "targetPort": PORT,
                    "protocol": "TCP",
                    "appProtocol": "http",
                }
            ],
        },
    }


def _endpoint_service(bundle: EndpointBundle) -> Manifest:
    """Selects only live deployments, so a mirror never answers a real request."""
    return _service(
        dns_name(bundle.name),
        labels(bundle.name),
        {**labels(bundle.name), "opsloop.dev/live": "true"},
    )


def _route(bundle: EndpointBundle, live: dict[str, int]) -> Manifest:
    """Header pins first (more header matches win in Gateway API), then the weighted split."""
    rules: list[Manifest] = []
    for name in bundle.deployments:
        header = {"type": "Exact", "name": DEPLOYMENT_HEADER, "value": name}
        rules.append(
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}, "headers": [header]}],
                "backendRefs": [{"name": _backend(bundle, name), "port": SERVICE_PORT}],
            }
        )
    if live:
        split: Manifest = {
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
            "backendRefs": [
                {"name": _backend(bundle, name), "port": SERVICE_PORT, "weight": percent}
                for name, percent in live.items()
            ],
        }
        mirrors = [
            {
                "type": "RequestMirror",
                "requestMirror": {
                    "backendRef": {"name": _backend(bundle, name), "port": SERVICE_PORT},
                    "percent": percent,
                },
            }
            for name, percent in mirror_traffic(bundle).items()
        ]
        if mirrors:
            split["filters"] = mirrors
        rules.append(split)
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": dns_name(bundle.name), "labels": labels(bundle.name)},
        "spec": {"parentRefs": [{"name": GATEWAY_NAME}], "rules": rules},
    }


def _backend(bundle: EndpointBundle, deployment: str) -> str:
    return dns_name(f"{bundle.name}-{deployment}")
