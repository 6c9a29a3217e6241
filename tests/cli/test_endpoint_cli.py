"""Online and batch endpoint commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from helpers import opsloop

NOUN_VERBS = {
    "online-endpoint": [
        "create", "update", "show", "list", "delete", "invoke", "get-credentials",
        "regenerate-keys", "logs", "serve", "export",
    ],
    "online-deployment": ["create", "update", "show", "list", "delete", "get-logs"],
    "batch-endpoint": ["create", "invoke", "list-jobs", "show", "list", "delete"],
    "batch-deployment": ["create", "list", "show", "delete"],
}  # fmt: skip


def test_every_endpoint_command_has_help_with_an_example(tmp_path: Path) -> None:
    for noun, verbs in NOUN_VERBS.items():
        listing = opsloop(noun, "--help", home=tmp_path).stdout
        for verb in verbs:
            assert verb in listing, (noun, verb)
        assert "Example: opsloop" in opsloop(noun, "create", "--help", home=tmp_path).stdout


def test_deploy_invoke_route_and_export(tmp_path: Path, model_dirs: dict[str, Path]) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("model", "create", "-n", "lin", "--path", str(model_dirs["v1"]), home=home)
    opsloop("online-endpoint", "create", "-n", "lin-ep", home=home)
    spec = tmp_path / "blue.yml"
    spec.write_text(yaml.safe_dump({"name": "blue", "endpoint_name": "lin-ep", "model": "lin:1"}))
    opsloop("online-deployment", "create", "-f", str(spec), "--all-traffic", home=home)
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"input_data": [[1, 1, 1], [0, 0, 1]]}))
    answer = opsloop("online-endpoint", "invoke", "-n", "lin-ep", "-r", str(request), home=home)
    assert [round(v, 6) for v in json.loads(answer.stdout)] == [6.0, 3.0]
    bad = opsloop(
        "online-endpoint", "update", "-n", "lin-ep", "--traffic", "blue=70", home=home, check=False
    )
    assert bad.returncode == 2 and "add up to 0 or 100" in bad.stderr
    credentials = json.loads(
        opsloop("online-endpoint", "get-credentials", "-n", "lin-ep", home=home).stdout
    )
    assert set(credentials) >= {"primaryKey", "secondaryKey"}
    logs = json.loads(
        opsloop("online-endpoint", "logs", "-n", "lin-ep", "-o", "json", home=home).stdout
    )
    assert [entry["status_code"] for entry in logs] == [200]
    provisioning = opsloop("online-deployment", "get-logs", "-n", "blue", "-e", "lin-ep", home=home)
    assert "provisioned" in provisioning.stdout
    target = tmp_path / "deploy"
    opsloop(
        "online-endpoint",
        "export",
        "-n",
        "lin-ep",
        "--format",
        "kserve",
        "-o",
        str(target),
        home=home,
    )
    service = yaml.safe_load((target / "inferenceservice.yaml").read_text())
    assert service["kind"] == "InferenceService"
    assert (target / "blue" / "Dockerfile").is_file()
