"""Exporting an online endpoint: image folders, Kubernetes manifests and KServe services.

Real bundles (model and code folders on disk, real specs) go through the exporter, and
every YAML document is loaded back and checked against the spec it came from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsloop import Client
from opsloop.errors import NotFoundError, ValidationError
from opsloop.export.k8s import dns_name
from opsloop.export.writer import ExportResult, export_endpoint
from opsloop.scoring.bundle import DeploymentBundle, EndpointBundle
from opsloop.specs.endpoint import OnlineDeploymentSpec, OnlineEndpointSpec
from opsloop.specs.environment import EnvironmentSpec

DNS_1123 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
CMD = (
    'CMD ["opsloop", "online-endpoint", "serve", "--bundle", "/opt/opsloop/bundle", '
    '"--host", "0.0.0.0", "--port", "8080", "--workers", "1"]'
)
KEYS = ("primary-SECRET-key-1", "secondary-SECRET-key-2")
TOKEN_SECRET = "token-SECRET-signing"
PICKLE = b"\x80\x04\x95fake pickle bytes"

ENVIRONMENTS: dict[str, str | EnvironmentSpec] = {
    "blue": EnvironmentSpec(
        name="sk-env",
        image="registry.local/base/python:3.11",
        requirements=["scikit-learn==1.5.0", "opsloop>=0.1", "# a comment", ""],
    ),
    "green": EnvironmentSpec(
        name="conda-env",
        conda_file={"dependencies": ["python=3.11", "pip", "numpy", {"pip": ["pandas==2.2.2"]}]},
    ),
    "red": "azureml:shared-env:3",
}


def _model_and_code(root: Path) -> tuple[Path, Path]:
    model, code = root / "model", root / "code"
    model.mkdir(parents=True)
    code.mkdir(parents=True)
    (model / "MLmodel").write_text("flavors:\n  python_function: {}\n")
    (model / "model.pkl").write_bytes(PICKLE)
    (code / "score.py").write_text("def init():\n    pass\n\ndef run(data):\n    return data\n")
    return model, code


def _deployment(root: Path, endpoint: str, name: str, **spec: Any) -> DeploymentBundle:
    model, code = _model_and_code(root / name)
    return DeploymentBundle(
        name=name,
        spec=OnlineDeploymentSpec.model_validate(
            {
                "name": name,
                "endpoint_name": endpoint,
                "model": "azureml:churn:3",
                "code_configuration": {"code": "code", "scoring_script": "score.py"},
                **spec,
            }
        ),
        model_name="churn",
        model_version="3",
        model_type="custom_model",
        model_dir=model,
        code_dir=code,
    )


def _bundle(
    root: Path,
    *,
    name: str = "churn",
    traffic: dict[str, int] | None = None,
    mirror: dict[str, int] | None = None,
    names: tuple[str, ...] = ("blue", "green", "red"),
) -> EndpointBundle:
    specs: dict[str, dict[str, Any]] = {
        "blue": {
            "instance_count": 2,
            "instance_type": "Standard_DS3_v2",
            "environment_variables": {"MODE": "fast", "OPSLOOP_ENDPOINT_KEYS": "leak"},
            "liveness_probe": {
                "initial_delay": 5,
                "period": 7,
                "timeout": 3,
                "failure_threshold": 4,
            },
            "readiness_probe": {
                "initial_delay": 2,
                "period": 3,
                "timeout": 1,
                "success_threshold": 2,
            },
        },
        "green": {"instance_count": 1, "liveness_probe": {"success_threshold": 3}},
        "red": {"instance_count": 3},
    }
    deployments = {
        deployment: _deployment(
            root / "src",
            name,
            deployment,
            environment=ENVIRONMENTS.get(deployment),
            **specs.get(deployment, {}),
        )
        for deployment in names
    }
    spec = OnlineEndpointSpec(
        name=name,
        traffic={"blue": 90, "green": 10} if traffic is None else traffic,
        mirror_traffic={"red": 20} if mirror is None else mirror,
    )
    return EndpointBundle(
        workspace="dev",
        name=name,
        spec=spec,
        deployments=deployments,
        keys=KEYS,
        token_secret=TOKEN_SECRET,
    )


def _documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def _by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def _all_names(value: Any) -> list[str]:
    """Every metadata.name, backendRef name and label value in a manifest."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("labels", "matchLabels", "selector") and isinstance(item, dict):
                found += [str(v) for v in item.values() if not isinstance(v, dict)]
            if key in ("metadata", "backendRef", "scaleTargetRef") and "name" in item:
                found.append(item["name"])
            found += _all_names(item)
    elif isinstance(value, list):
        for item in value:
            found += _all_names(item)
    return found


@pytest.fixture
def k8s(tmp_path: Path) -> tuple[EndpointBundle, ExportResult]:
    bundle = _bundle(tmp_path)
    result = export_endpoint(
        bundle, "k8s", tmp_path / "out", image_registry="registry.example.com/ml/"
    )
    return bundle, result


def test_each_deployment_gets_a_build_context_serving_only_itself(
    k8s: tuple[EndpointBundle, ExportResult],
) -> None:
    _, result = k8s
    out = result.destination
    for name in ("blue", "green", "red"):
        dockerfile = (out / name / "Dockerfile").read_text().splitlines()
        assert dockerfile[-1] == CMD
        assert "EXPOSE 8080" in dockerfile
        assert "USER 10001:10001" in dockerfile
        assert "COPY --chown=10001:10001 bundle /opt/opsloop/bundle" in dockerfile
        assert any(line.startswith("HEALTHCHECK ") for line in dockerfile)
        document = json.loads((out / name / "bundle" / "endpoint.json").read_text())
        assert list(document["deployments"]) == [name]
        assert document["spec"]["traffic"] == {name: 100}
        assert document["spec"]["mirror_traffic"] == {}
        copied = out / name / "bundle" / "deployments" / name
        assert (copied / "model" / "model.pkl").read_bytes() == PICKLE
        assert (copied / "model" / "MLmodel").is_file()
        assert (copied / "code" / "score.py").is_file()
        assert out / name / "Dockerfile" in result.files
        assert copied / "model" / "model.pkl" in result.files
    blue_docker = (out / "blue" / "Dockerfile").read_text()
    assert "FROM registry.local/base/python:3.11\n" in blue_docker
    assert "HEALTHCHECK --interval=7s --timeout=4s --start-period=5s --retries=4" in blue_docker
    assert "FROM python:3.11-slim\n" in (out / "green" / "Dockerfile").read_text()
    assert (out / "blue" / "requirements.txt").read_text() == "opsloop\nscikit-learn==1.5.0\n"
    assert (out / "green" / "requirements.txt").read_text() == "opsloop\npandas==2.2.2\n"
    assert (out / "red" / "requirements.txt").read_text() == "opsloop\n"
    assert any("numpy" in note for note in result.notes)
    assert any("azureml:shared-env:3" in note for note in result.notes)
    assert any("OPSLOOP_ENDPOINT_KEYS dropped" in note for note in result.notes)
    assert result.images == {
        name: f"registry.example.com/ml/churn-{name}:3" for name in ("blue", "green", "red")
    }


def test_k8s_manifests_follow_the_specs(k8s: tuple[EndpointBundle, ExportResult]) -> None:
    bundle, result = k8s
    documents = _documents(result.destination / "manifests.yaml")
    assert {(doc["apiVersion"], doc["kind"]) for doc in documents} == {
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    }
    deployments = _by_kind(documents, "Deployment")
    services = _by_kind(documents, "Service")
    autoscalers = _by_kind(documents, "HorizontalPodAutoscaler")
    assert set(deployments) == set(autoscalers) == {"churn-blue", "churn-green", "churn-red"}
    assert set(services) == {"churn", "churn-blue", "churn-green", "churn-red"}
    for name, deployment_bundle in bundle.deployments.items():
        spec = deployment_bundle.spec
        deployment = deployments[f"churn-{name}"]
        assert deployment["spec"]["replicas"] == spec.instance_count
        pod = deployment["spec"]["template"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector == {
            "app.kubernetes.io/name": "opsloop-endpoint",
            "opsloop.dev/endpoint": "churn",
            "opsloop.dev/deployment": name,
        }
        assert selector.items() <= pod["metadata"]["labels"].items()
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"registry.example.com/ml/churn-{name}:3"
        assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
        for key, path, settings in (
            ("livenessProbe", "/v2/health/live", spec.liveness_probe),
            ("readinessProbe", "/v2/health/ready", spec.readiness_probe),
        ):
            assert container[key] == {
                "httpGet": {"path": path, "port": 8080},
                "initialDelaySeconds": settings.initial_delay,
                "periodSeconds": settings.period,
                "timeoutSeconds": settings.timeout,
                "successThreshold": 1 if key == "livenessProbe" else settings.success_threshold,
                "failureThreshold": settings.failure_threshold,
            }
        env = {item["name"]: item for item in container["env"]}
        assert env["OPSLOOP_ENDPOINT_KEYS"]["valueFrom"]["secretKeyRef"] == {
            "name": "churn-auth",
            "key": "OPSLOOP_ENDPOINT_KEYS",
            "optional": False,
        }
        assert "value" not in env["OPSLOOP_ENDPOINT_KEYS"]
        assert env["OPSLOOP_ENDPOINT_TOKEN_SECRET"]["valueFrom"]["secretKeyRef"]["optional"]
        service = services[f"churn-{name}"]
        assert service["spec"]["selector"] == selector
        (port,) = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (80, 8080)
        autoscaler = autoscalers[f"churn-{name}"]["spec"]
        assert autoscaler["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": f"churn-{name}",
        }
        assert autoscaler["minReplicas"] == spec.instance_count
        assert autoscaler["maxReplicas"] == max(spec.instance_count * 3, spec.instance_count + 1)
        (metric,) = autoscaler["metrics"]
        assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
        assert container["resources"]["requests"]["cpu"]  # the HPA needs a CPU request
    assert any("liveness successThreshold of 1" in note for note in result.notes)
    blue_env = deployments["churn-blue"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MODE", "value": "fast"} in blue_env
    assert [item["name"] for item in blue_env].count("OPSLOOP_ENDPOINT_KEYS") == 1
    assert services["churn"]["spec"]["selector"]["opsloop.dev/live"] == "true"
    live = {
        name
        for name, doc in deployments.items()
        if doc["spec"]["template"]["metadata"]["labels"]["opsloop.dev/live"] == "true"
    }
    assert live == {"churn-blue", "churn-green"}  # the mirror never answers real requests


def test_http_route_splits_pins_and_mirrors(k8s: tuple[EndpointBundle, ExportResult]) -> None:
    _, result = k8s
    (route,) = _by_kind(_documents(result.destination / "manifests.yaml"), "HTTPRoute").values()
    rules = route["spec"]["rules"]
    pins = {
        rule["matches"][0]["headers"][0]["value"]: rule["backendRefs"]
        for rule in rules
        if "headers" in rule["matches"][0]
    }
    assert pins == {
        name: [{"name": f"churn-{name}", "port": 80}] for name in ("blue", "green", "red")
    }
    (split,) = [rule for rule in rules if "headers" not in rule["matches"][0]]
    weights = {ref["name"]: ref["weight"] for ref in split["backendRefs"]}
    assert weights == {"churn-blue": 90, "churn-green": 10}
    assert sum(weights.values()) == 100
    assert split["filters"] == [
        {
            "type": "RequestMirror",
            "requestMirror": {"backendRef": {"name": "churn-red", "port": 80}, "percent": 20},
        }
    ]
    readme = (result.destination / "README.md").read_text()
    assert "mirror" in readme.lower() and "opsloop-model-deployment" in readme


def test_keys_never_leave_opsloop(k8s: tuple[EndpointBundle, ExportResult]) -> None:
    _, result = k8s
    (secret,) = _documents(result.destination / "secret.yaml")
    assert (secret["apiVersion"], secret["kind"], secret["type"]) == ("v1", "Secret", "Opaque")
    assert secret["metadata"]["name"] == "churn-auth"
    assert secret["stringData"] == {
        "OPSLOOP_ENDPOINT_KEYS": "",
        "OPSLOOP_ENDPOINT_TOKEN_SECRET": "",
    }
    assert "opsloop.dev/note" in secret["metadata"]["annotations"]
    for path in result.destination.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret_text in (*KEYS, TOKEN_SECRET, "leak"):
                assert secret_text.encode() not in content, path


def test_readme_lists_the_commands_in_order(k8s: tuple[EndpointBundle, ExportResult]) -> None:
    _, result = k8s
    readme = (result.destination / "README.md").read_text()
    commands = [
        "docker build -t registry.example.com/ml/churn-blue:3 ./blue",
        "docker build -t registry.example.com/ml/churn-red:3 ./red",
        "docker push registry.example.com/ml/churn-blue:3",
        "kubectl apply -f secret.yaml",
        "kubectl apply -f manifests.yaml",
    ]
    positions = [readme.index(command) for command in commands]
    assert positions == sorted(positions)


def test_names_become_dns_1123_labels(tmp_path: Path) -> None:
    bundle = _bundle(
        tmp_path,
        name="Churn_Model.V2",
        traffic={"Blue_One": 100},
        mirror={},
        names=("Blue_One", "green"),
    )
    result = export_endpoint(bundle, "k8s", tmp_path / "out")
    names: list[str] = []
    for filename in ("manifests.yaml", "secret.yaml"):
        assert "&id" not in (result.destination / filename).read_text()  # no YAML anchors
        for document in _documents(result.destination / filename):
            names += _all_names(document)
    assert "churn-model-v2-blue-one" in names
    assert "churn-model-v2" in names
    for name in names:
        assert DNS_1123.match(name) and len(name) <= 63, name
    assert result.images["Blue_One"] == "churn-model-v2-blue-one:3"
    assert (result.destination / "Blue_One" / "Dockerfile").is_file()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Churn_Model", "churn-model"),
        ("a..b--c", "a-b-c"),
        ("9lives", "x-9lives"),
        ("-edge-", "edge"),
    ],
)
def test_dns_name(text: str, expected: str) -> None:
    assert dns_name(text) == expected


def test_long_names_are_cut_and_stay_distinct() -> None:
    first, second = dns_name("a" * 80 + "-blue"), dns_name("a" * 80 + "-green")
    assert first != second
    assert len(first) <= 63 and DNS_1123.match(first)
    assert len(dns_name("b" * 80, 45)) <= 45


def test_names_that_collide_after_sanitising_are_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, traffic={"a_b": 100}, mirror={}, names=("a_b", "a-b"))
    with pytest.raises(ValidationError) as caught:
        export_endpoint(bundle, "k8s", tmp_path / "out")
    assert caught.value.field == "deployments"


def test_kserve_single_deployment_is_one_inference_service(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, traffic={"blue": 100}, mirror={}, names=("blue",))
    result = export_endpoint(bundle, "kserve", tmp_path / "out", image_registry="reg.io")
    out = result.destination
    assert not (out / "inferenceservice-canary.yaml").exists()
    assert not (out / "manifests.yaml").exists()
    (service,) = _documents(out / "inferenceservice.yaml")
    assert service["apiVersion"] == "serving.kserve.io/v1beta1"
    assert service["kind"] == "InferenceService"
    assert service["metadata"]["name"] == "churn"
    predictor = service["spec"]["predictor"]
    assert predictor["minReplicas"] == 2
    assert predictor["maxReplicas"] == 6
    assert "canaryTrafficPercent" not in predictor
    (container,) = predictor["containers"]
    assert container["name"] == "kserve-container"
    assert container["image"] == "reg.io/churn-blue:3"
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert {"name": "PROTOCOL", "value": "v2"} in container["env"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert container["readinessProbe"]["successThreshold"] == 2
    assert container["livenessProbe"]["periodSeconds"] == 7
    refs = [item["valueFrom"]["secretKeyRef"] for item in container["env"] if "valueFrom" in item]
    assert {ref["key"] for ref in refs} == {
        "OPSLOOP_ENDPOINT_KEYS",
        "OPSLOOP_ENDPOINT_TOKEN_SECRET",
    }
    assert (out / "secret.yaml").is_file()


def test_kserve_canary_is_a_second_apply(tmp_path: Path) -> None:
    result = export_endpoint(_bundle(tmp_path), "kserve", tmp_path / "out")
    out = result.destination
    (stable,) = _documents(out / "inferenceservice.yaml")
    (canary,) = _documents(out / "inferenceservice-canary.yaml")
    assert stable["metadata"]["name"] == canary["metadata"]["name"] == "churn"
    assert "canaryTrafficPercent" not in stable["spec"]["predictor"]
    assert canary["spec"]["predictor"]["canaryTrafficPercent"] == 10
    assert stable["spec"]["predictor"]["containers"][0]["image"] == "churn-blue:3"
    assert canary["spec"]["predictor"]["containers"][0]["image"] == "churn-green:3"
    readme = (out / "README.md").read_text()
    first = readme.index("kubectl apply -f inferenceservice.yaml")
    assert first < readme.index("kubectl apply -f inferenceservice-canary.yaml")
    assert (out / "red" / "Dockerfile").is_file()  # built, though not in the service


def test_kserve_refuses_three_live_deployments(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, traffic={"blue": 50, "green": 30, "red": 20}, mirror={})
    with pytest.raises(ValidationError) as caught:
        export_endpoint(bundle, "kserve", tmp_path / "out")
    assert caught.value.field == "traffic"
    assert "two" in caught.value.reason
    assert not (tmp_path / "out").exists()


def test_bad_input_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, traffic={"blue": 100}, mirror={}, names=("blue",))
    with pytest.raises(ValidationError) as caught:
        export_endpoint(bundle, "helm", tmp_path / "out")  # type: ignore[arg-type]
    assert caught.value.field == "format"
    empty = EndpointBundle(
        workspace="dev", name="churn", spec=OnlineEndpointSpec(name="churn"), deployments={}
    )
    with pytest.raises(ValidationError) as caught:
        export_endpoint(empty, "k8s", tmp_path / "out")
    assert caught.value.field == "deployments"


def test_export_again_replaces_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_endpoint(_bundle(tmp_path), "k8s", out)
    stale = out / "blue" / "bundle" / "deployments" / "blue" / "model" / "old.bin"
    stale.write_bytes(b"old")
    export_endpoint(_bundle(tmp_path / "again"), "kserve", out)
    assert not stale.exists()
    assert not (out / "manifests.yaml").exists()
    assert (out / "inferenceservice-canary.yaml").is_file()


def test_sdk_export_goes_through_the_api(serving_client: Client, tmp_path: Path) -> None:
    """The SDK asks the export route for an archive and installs it; nothing in the client
    reads the store, so the same call works against a remote server."""
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", all_traffic=True,
        liveness_probe={"success_threshold": 2},
    )  # fmt: skip
    out = tmp_path / "deploy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # a user's file beside the export survives it
    (out / "manifests.yaml").write_text("stale")  # an earlier k8s export's file goes
    result = serving_client.online_endpoints.export("ep", "kserve", out, image_registry="reg.io")
    assert result.destination == out and result.format == "kserve"
    assert result.images == {"blue": "reg.io/ep-blue:1"}
    assert any("successThreshold" in note for note in result.notes)  # from the header
    assert (out / "blue" / "Dockerfile").is_file() and out / "blue" / "Dockerfile" in result.files
    assert (out / "blue" / "bundle" / "deployments" / "blue" / "model" / "MLmodel").is_file()
    (service,) = _documents(out / "inferenceservice.yaml")
    assert service["spec"]["predictor"]["containers"][0]["image"] == "reg.io/ep-blue:1"
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "manifests.yaml").exists()
    # No environment: the image installs the model's own pinned requirements.
    requirements = (out / "blue" / "requirements.txt").read_text().splitlines()
    assert requirements[0] == "opsloop" and "scikit-learn" in requirements
    assert any(line.startswith("mlflow==") for line in requirements)
    assert all(path.is_file() for path in result.files)

    with pytest.raises(ValidationError) as caught:  # the route's body model names the field
        serving_client.online_endpoints.export("ep", "helm", out)  # type: ignore[arg-type]
    assert caught.value.field == "format"
    with pytest.raises(NotFoundError):
        serving_client.online_endpoints.export("nope", "k8s", out)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(ValidationError) as caught:
        serving_client.online_endpoints.export("ep", "k8s", a_file)
    assert caught.value.field == "destination"
    assert a_file.read_text() == "x"


def test_a_registered_environment_is_pinned_and_exported(
    serving_client: Client, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="environment sk-env:9 not found") as caught:
        serving_client.online_deployments.create(
            name="blue", endpoint_name="ep", model="lin:1", environment="azureml:sk-env:9"
        )
    assert caught.value.field == "environment"
    serving_client.environments.create(
        name="sk-env", image="registry.local/py:3.11",
        conda_file={"dependencies": ["python=3.11", {"pip": ["scikit-learn==1.5.0"]}]},
    )  # fmt: skip
    serving_client.online_deployments.create(
        name="blue", endpoint_name="ep", model="lin:1", environment="azureml:sk-env@latest",
        all_traffic=True,
    )  # fmt: skip
    # A newer version registered later does not change what the deployment runs.
    serving_client.environments.create(name="sk-env", requirements=["scikit-learn==9.9"])
    stored = serving_client.online_deployments.get("blue", endpoint_name="ep").spec
    assert (stored["environment"]["name"], stored["environment"]["version"]) == ("sk-env", "1")
    result = serving_client.online_endpoints.export("ep", "k8s", tmp_path / "deploy")
    folder = result.destination / "blue"
    assert (folder / "requirements.txt").read_text() == "opsloop\nscikit-learn==1.5.0\n"
    assert "FROM registry.local/py:3.11\n" in (folder / "Dockerfile").read_text()
    assert not any("not known here" in note for note in result.notes)
    # A registry URI stays a reference (registries come later); export says so.
    registry = "azureml://registries/shared/environments/sk/versions/1"
    serving_client.online_deployments.create(
        name="green", endpoint_name="ep", model="lin:1", environment=registry
    )
    assert (
        serving_client.online_deployments.get("green", endpoint_name="ep").spec["environment"]
        == registry
    )
    again = serving_client.online_endpoints.export("ep", "k8s", tmp_path / "again")
    assert any(registry in note and "not known here" in note for note in again.notes)
    # Batch deployments pin the same way.
    serving_client.batch_endpoints.create(name="scores")
    batch = serving_client.batch_deployments.create(
        name="nightly", endpoint_name="scores", model="lin:1", environment="sk-env:1"
    )
    assert "scikit-learn==1.5.0" in str(batch.spec["environment"]["conda_file"])
    assert (batch.spec["environment"]["name"], batch.spec["environment"]["version"]) == (
        "sk-env",
        "1",
    )
    with pytest.raises(ValidationError, match="environment sk-env:7 not found"):
        serving_client.batch_deployments.create(
            name="other", endpoint_name="scores", model="lin:1", environment="sk-env:7"
        )
