"""Online and batch endpoint commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from cryptography.fernet import Fernet

from helpers import opsloop

NOUN_VERBS = {
    "online-endpoint": [
        "create", "update", "show", "list", "delete", "invoke", "get-credentials",
        "regenerate-keys", "logs", "serve", "export", "feedback",
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
    assert not answer.stderr, answer.stderr  # nothing but the answer, embedded as remote
    bad = opsloop(
        "online-endpoint", "update", "-n", "lin-ep", "--traffic", "blue=70", home=home, check=False
    )
    assert bad.returncode == 2 and "add up to 0 or 100" in bad.stderr
    credentials = json.loads(
        opsloop("online-endpoint", "get-credentials", "-n", "lin-ep", home=home).stdout
    )
    assert set(credentials) >= {"primaryKey", "secondaryKey"}
    table = opsloop("online-endpoint", "get-credentials", "-n", "lin-ep", "-o", "table", home=home)
    assert credentials["primaryKey"] in table.stdout and "{" not in table.stdout
    logs = json.loads(
        opsloop("online-endpoint", "logs", "-n", "lin-ep", "-o", "json", home=home).stdout
    )
    assert [entry["status_code"] for entry in logs] == [200]
    provisioning = opsloop("online-deployment", "get-logs", "-n", "blue", "-e", "lin-ep", home=home)
    assert "provisioned" in provisioning.stdout
    assert "inference runtime onnx (auto: converted to ONNX" in provisioning.stdout
    shown = opsloop(
        "online-deployment", "show", "-n", "blue", "-e", "lin-ep", "-o", "table", home=home
    )
    assert "runtime onnx, from inference_runtime auto: converted to ONNX" in shown.stdout
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


def test_roll_out_from_files_and_flags(tmp_path: Path, model_dirs: dict[str, Path]) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    for path in (model_dirs["v1"], model_dirs["v2"]):
        opsloop("model", "create", "-n", "lin", "--path", str(path), home=home)
    endpoint = tmp_path / "endpoint.yml"
    endpoint.write_text("name: lin-ep\nauth_mode: key\n")
    opsloop("online-endpoint", "create", "-f", str(endpoint), home=home)
    blue = tmp_path / "blue.yml"
    blue.write_text(
        "name: blue\nendpoint_name: lin-ep\nmodel: lin:1\n"
        "request_settings:\n  max_concurrent_requests_per_instance: 8\n"
    )
    opsloop("online-deployment", "create", "-f", str(blue), "--all-traffic", home=home)
    opsloop("online-deployment", "create", "-f", str(blue), "--set", "name=green", home=home)

    def show() -> dict:
        return json.loads(
            opsloop("online-endpoint", "show", "-n", "lin-ep", "-o", "json", home=home).stdout
        )

    # A file without traffic leaves the split alone; one with traffic applies it.
    opsloop("online-endpoint", "update", "-f", str(endpoint), "--description", "fares", home=home)
    assert (show()["traffic"], show()["description"]) == ({"blue": 100}, "fares")
    endpoint.write_text("name: lin-ep\ntraffic:\n  blue: 80\n  green: 20\n")
    opsloop("online-endpoint", "update", "-f", str(endpoint), home=home)
    assert show()["traffic"] == {"blue": 80, "green": 20}
    opsloop(
        "online-endpoint", "update", "-n", "lin-ep", "--set", "traffic.blue=100",
        "--set", "traffic.green=0", "--mirror-traffic", "green=10", home=home,
    )  # fmt: skip
    state = show()
    assert (state["traffic"], state["mirror_traffic"]) == ({"blue": 100, "green": 0}, {"green": 10})
    endpoint.write_text("name: lin-ep\ntraffic:\n  blue: 100\nmirror_traffic:\n  green: 60\n")
    bad = opsloop("online-endpoint", "update", "-f", str(endpoint), home=home, check=False)
    assert bad.returncode == 2 and "endpoint.yml:" in bad.stderr and "at most 50" in bad.stderr
    assert show()["mirror_traffic"] == {"green": 10}  # nothing half-applied

    def keys() -> dict:
        return json.loads(
            opsloop("online-endpoint", "get-credentials", "-n", "lin-ep", home=home).stdout
        )

    before = keys()
    opsloop(
        "online-endpoint", "regenerate-keys", "-n", "lin-ep", "--key-type", "secondary", home=home
    )
    after = keys()
    assert after["primaryKey"] == before["primaryKey"]
    assert after["secondaryKey"] != before["secondaryKey"]

    # Without a file, a deployment update changes only what it names.
    opsloop("online-deployment", "update", "-e", "lin-ep", "-n", "blue", "-m", "lin:2", home=home)
    rolled = json.loads(
        opsloop(
            "online-deployment", "show", "-e", "lin-ep", "-n", "blue", "-o", "json", home=home
        ).stdout
    )
    assert rolled["model"] == "lin:2"
    assert rolled["spec"]["request_settings"]["max_concurrent_requests_per_instance"] == 8


def test_batch_endpoint_scores_a_folder_with_progress(
    tmp_path: Path, model_dirs: dict[str, Path]
) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("model", "create", "-n", "lin", "--path", str(model_dirs["v1"]), home=home)
    opsloop("batch-endpoint", "create", "-n", "lin-batch", home=home)
    opsloop(
        "batch-deployment", "create", "-n", "first", "-e", "lin-batch", "-m", "lin:1",
        "--set", "mini_batch_size=2", home=home,
    )  # fmt: skip
    trips = tmp_path / "trips"
    trips.mkdir()
    for index in range(3):  # whole numbers for double columns (MLflow alone refuses 2)
        (trips / f"part-{index}.csv").write_text(f"a,b,c\n{index},0,0\n1,1,1\n")
    (trips / "broken.csv").write_text("a,b\nnot,numbers\n")
    run = opsloop(
        "batch-endpoint", "invoke", "-n", "lin-batch", "--input", str(trips), "--stream", home=home
    )
    assert "[1/2 mini-batches]" in run.stdout and "[2/2 mini-batches]" in run.stdout
    assert "3 of 4 items succeeded, 1 failed" in run.stdout
    jobs = json.loads(
        opsloop("batch-endpoint", "list-jobs", "-n", "lin-batch", "-o", "json", home=home).stdout
    )
    assert len(jobs) == 1 and jobs[0]["status"] == "Completed"
    shown = json.loads(
        opsloop("batch-endpoint", "show", "-n", "lin-batch", "-o", "json", home=home).stdout
    )
    assert (shown["default_deployment"], shown["deployments"]) == ("first", ["first"])


def test_a_wrong_master_key_is_one_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("online-endpoint", "create", "-n", "ep", home=home)
    key_file = home / "master.key"
    key_file.write_text(Fernet.generate_key().decode())  # not the key the secrets were sealed with
    result = opsloop("online-endpoint", "get-credentials", "-n", "ep", home=home, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: the master key from {key_file.resolve()} does not decrypt the store's secrets: "
        "it is not the key they were encrypted with (set OPSLOOP_MASTER_KEY to that key, or "
        "restore its file)"
    )


def test_feedback_posts_a_jsonl_file_and_names_a_bad_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    opsloop("online-endpoint", "create", "-n", "ep", home=home)
    rows = tmp_path / "truth.jsonl"
    rows.write_text(
        '{"correlation_id": "a", "ground_truth": 1}\n{"correlation_id": "b", "ground_truth": 0}\n'
    )
    done = opsloop("online-endpoint", "feedback", "-n", "ep", "--file", str(rows), home=home)
    assert "Stored 2 ground-truth rows for ep" in done.stdout
    rows.write_text('{"correlation_id": "a", "ground_truth": 1}\nnot json\n')
    failed = opsloop(
        "online-endpoint", "feedback", "-n", "ep", "--file", str(rows), home=home, check=False
    )
    assert failed.returncode != 0 and f"{rows}:2: not JSON" in failed.stderr
