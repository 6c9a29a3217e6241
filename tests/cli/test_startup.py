"""What a CLI call loads: each command imports what it uses and no more, so everyday commands
answer in a fraction of a second (their timings are in benchmarks/cli.py)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import free_port, write
from opsloop import Client

# Each costs a noticeable share of a second (MLflow several) at every start.
DATA_STACK = ("pandas", "numpy", "sklearn", "mlflow", "scipy", "pyarrow")
STORE_EXTRAS = ("alembic", "fsspec", "jwt", "opsloop.serving.online.runtime")


def loaded_by(*args: str, home: Path, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules loaded by one CLI call made in a fresh interpreter, and what it printed."""
    listing = home.parent / "modules.json"
    script = (
        "import json, sys\n"
        "from opsloop.cli.main import run\n"
        "sys.argv = ['opsloop', *sys.argv[2:]]\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "with open(sys.argv_listing, 'w') as f:\n"
        "    json.dump(sorted(sys.modules), f)\n"
    ).replace("sys.argv_listing", repr(str(listing)))
    result = subprocess.run(
        [sys.executable, "-c", script, "-", *args],
        env={**os.environ, "OPSLOOP_HOME": str(home), "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.exists(), result.stderr
    return set(json.loads(listing.read_text())), result.stdout + result.stderr


def test_help_loads_neither_the_sdk_nor_the_store(home: Path) -> None:
    modules, output = loaded_by("--help", home=home)
    assert "workspace" in output
    assert not modules & {"opsloop.client", "sqlalchemy", "fastapi", "pydantic", "httpx"}


def test_a_call_builds_only_the_noun_it_names() -> None:
    from typer.testing import CliRunner

    from opsloop.cli.main import app, app_for

    slim = app_for(["workspace", "list", "-o", "json"])
    assert [group.name for group in slim.registered_groups] == ["workspace"]
    assert slim.registered_commands == []
    assert [c.name for c in app_for(["init", "x"]).registered_commands] == ["init"]
    assert app_for(["wrkspace", "list"]) is app  # the whole app suggests the noun
    assert app_for(["--version"]) is app
    # `opsloop --help` lists every noun as the whole app does, without building their commands.
    listing = app_for(["--help"])
    assert all(g.typer_instance.registered_commands == [] for g in listing.registered_groups)
    runner = CliRunner()
    whole = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert runner.invoke(listing, ["--help"], env={"COLUMNS": "200"}).output == whole
    assert "local-server" in whole and "apply" in whole
    assert app.registered_groups[0].typer_instance.registered_commands  # left as it was


def test_embedded_reads_load_no_data_stack_and_no_migration_tooling(client: Client) -> None:
    home = client.settings.home
    for command in (
        ["workspace", "list"],
        ["job", "list", "-w", "dev"],
        ["model", "list", "-w", "dev"],
    ):
        modules, output = loaded_by(*command, home=home)
        assert "Error" not in output, output
        assert not modules & {*DATA_STACK, *STORE_EXTRAS}, (command, modules & {*DATA_STACK})


def test_showing_a_finished_job_reads_its_metrics_without_mlflow(
    client: Client, tmp_path: Path
) -> None:
    spec = write(
        tmp_path / "job.yml",
        "type: command\ncommand: python -c \"import mlflow; mlflow.log_metric('rmse', 0.25)\"\n",
    )
    job = client.jobs.wait(client.jobs.create(file=spec).name, timeout=300)
    assert job.status == "Completed", job.error
    assert job.metrics == {"rmse": 0.25}
    modules, output = loaded_by(
        "job", "show", "-w", "dev", "-n", job.name, "-o", "json", home=client.settings.home
    )
    assert json.loads(output)["metrics"] == {"rmse": 0.25}
    assert "mlflow" not in modules


def test_a_remote_call_loads_no_server_code(home: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens: the call fails, after its imports
    modules, output = loaded_by("workspace", "list", home=home, env={"OPSLOOP_URI": uri})
    assert "cannot reach the opsloop server" in output
    assert not modules & {"sqlalchemy", "fastapi", "opsloop.services.context", *DATA_STACK}
    # Only its noun's CLI module and that noun's operations: each call imported them all.
    assert {m for m in modules if m.startswith("opsloop.cli.")} == {
        "opsloop.cli.main",
        "opsloop.cli.common",
        "opsloop.cli.workspace",
        "opsloop.cli.workspace_budget",  # `workspace budget|cost|check` are workspace's
    }
    assert {m for m in modules if m.startswith("opsloop.client.")} <= {
        "opsloop.client._client",
        "opsloop.client._transport",
        "opsloop.client._profile",
        "opsloop.client._resources",
        "opsloop.client._spec_data",
    }
    # Nor httpx's own command line (rich's progress bars, pygments), nor tar for downloads.
    assert not modules & {"pygments", "rich.progress", "rich.syntax", "tarfile"}
    modules, output = loaded_by("job", "list", "-w", "dev", home=home, env={"OPSLOOP_URI": uri})
    assert "cannot reach the opsloop server" in output
    assert "opsloop.client._jobs" in modules and "opsloop.cli.model" not in modules


def test_plain_http_loads_no_certificates_and_https_still_checks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opsloop.client._transport import _verify_for

    for name in [name for name in os.environ if name.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NO_PROXY", "localhost")  # names no proxy
    plain = _verify_for("http://127.0.0.1:8080")
    assert isinstance(plain, ssl.SSLContext)
    # Never used on plain HTTP; were it used, it checks certificates and trusts none.
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert _verify_for("https://opsloop.example.com") is True  # httpx's CA bundle
    # A proxy (which may speak TLS) gets httpx's own check too.
    monkeypatch.setenv("HTTP_PROXY", "https://proxy.example.com:3128")
    assert _verify_for("http://127.0.0.1:8080") is True
