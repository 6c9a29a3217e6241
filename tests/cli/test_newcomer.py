"""What a newcomer meets on the CLI: paths on the command line are relative to where the
user stands, every spec error names where the value was written (the file and line, or
the option), and the printed commands run as printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from helpers import EXAMPLE, opsloop, write

TRAIN = EXAMPLE / "mlops" / "azureml" / "train"


def test_a_set_path_is_relative_to_the_current_folder(tmp_path: Path) -> None:
    home, here = tmp_path / "home", tmp_path / "here"
    here.mkdir()
    opsloop("workspace", "create", "--name", "dev", home=home)
    write(here / "taxi.csv", "distance,cost\n1.0,5.0\n2.0,9.0\n")
    spec = TRAIN / "data.yml"
    created = opsloop(
        "data", "create", "-f", str(spec), "--set", "path=./taxi.csv", "-o", "json",
        home=home, cwd=here,
    )  # fmt: skip
    assert json.loads(created.stdout)["profile"]["row_count"] == 2

    missing = opsloop(
        "data", "create", "-f", str(spec), "--set", "path=./nope.csv", home=home, cwd=here,
        check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"Error: --set path: local path '{here / 'nope.csv'}' does not exist"
    )


def test_pipeline_errors_found_after_parsing_name_file_and_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    pipeline = write(
        tmp_path / "pipeline.yml",
        "type: pipeline\n"  # 1
        "inputs:\n"  # 2
        "  n: 3\n"  # 3
        "jobs:\n"  # 4
        "  a:\n"  # 5
        "    component:\n"  # 6
        "      name: echo_n\n"  # 7
        "      command: echo ${{inputs.n}}\n"  # 8
        "      inputs:\n"  # 9
        "        n:\n"  # 10
        "          type: integer\n"  # 11
        "    inputs:\n"  # 12
        "      n: ${{parent.inputs.n}}\n"  # 13
        "  b:\n"  # 14
        "    type: command\n"  # 15
        "    command: echo\n"  # 16
        "    inputs:\n"  # 17
        "      x: ${{parent.jobs.nowhere.outputs.o}}\n",  # 18
    )
    result = opsloop("job", "create", "-f", str(pipeline), home=home, check=False)
    assert result.returncode == 2, result.stderr
    assert f"{pipeline}:18: jobs.b.inputs.x: refers to an unknown step 'nowhere'" in result.stderr

    pipeline.write_text(pipeline.read_text().replace("nowhere", "a").replace("n: 3", "n: many"))
    result = opsloop("job", "create", "-f", str(pipeline), home=home, check=False)
    assert f"{pipeline}:3: inputs.n: 'many' is not a valid integer (for jobs.a.inputs.n)" in (
        result.stderr
    )

    result = opsloop(
        "job", "create", "-f", str(pipeline), "--set", "inputs.n=lots", home=home, check=False
    )
    assert "Error: --set inputs.n: 'lots' is not a valid integer" in result.stderr


def test_a_cycle_names_a_step_in_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    step = (
        "  {me}:\n    type: command\n    command: echo\n"
        "    inputs:\n      x: ${{{{parent.jobs.{other}.outputs.o}}}}\n"
        "    outputs:\n      o:\n        type: uri_folder\n"
    )
    pipeline = write(
        tmp_path / "cycle.yml",
        "type: pipeline\njobs:\n" + step.format(me="a", other="b") + step.format(me="b", other="a"),
    )
    result = opsloop("job", "create", "-f", str(pipeline), home=home, check=False)
    assert result.returncode == 2
    assert f"{pipeline}:3: jobs.a: the pipeline has a cycle: a -> b -> a" in result.stderr


def test_version_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == __import__("opsloop").__version__


def test_cancel_prints_the_state_after_the_cancel(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = write(tmp_path / "sleep.yml", "type: command\ncommand: sleep 60\n")
    job = json.loads(opsloop("job", "create", "-f", str(spec), "-o", "json", home=home).stdout)
    canceled = opsloop("job", "cancel", "-n", job["name"], "-o", "json", home=home)
    assert json.loads(canceled.stdout)["status"] == "Canceled"


def test_a_shared_database_without_an_artifact_store_is_refused(
    tmp_path: Path, postgres_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPSLOOP_ARTIFACT_URI", "OPSLOOP_URI")}
    env.update(OPSLOOP_HOME=str(tmp_path / "home"), OPSLOOP_DATABASE_URL=postgres_url)
    result = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", "server", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "OPSLOOP_ARTIFACT_URI is not set" in result.stderr
    assert "--local-artifacts" in result.stderr


def test_ctrl_c_on_stream_prints_commands_that_run_as_printed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    opsloop("workspace", "create", "--name", "dev", home=home)
    spec = write(tmp_path / "slow.yml", "type: command\ncommand: echo started; sleep 60\n")
    env = {**os.environ, "OPSLOOP_HOME": str(home)}
    env.pop("OPSLOOP_WORKSPACE", None)
    streaming = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "job", "create", "-w", "dev", "-f", str(spec),
         "--stream"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert streaming.stdout is not None
    for line in streaming.stdout:  # wait until the step runs and its output is followed
        if "started" in line:
            break
    streaming.send_signal(signal.SIGINT)
    _, stderr = streaming.communicate(timeout=60)
    assert streaming.returncode == 130
    cancel = re.search(r"`(opsloop job cancel [^`]+)`", stderr)
    assert cancel and " -w dev " in cancel.group(1), stderr
    args = shlex.split(cancel.group(1))[1:]
    canceled = subprocess.run(
        [sys.executable, "-m", "opsloop.cli.main", *args, "-o", "json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert canceled.returncode == 0, canceled.stderr
    assert json.loads(canceled.stdout)["status"] == "Canceled"
