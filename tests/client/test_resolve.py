"""What the client reads or uploads before a spec is submitted, Azure ML's way: a component
named by a relative path, an inline environment's conda file, a build context."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop import Client, ValidationError

PIPELINE = """\
type: pipeline
jobs:
  hello:
    type: command
    component: ./components/hello.yml
"""
COMPONENT = """\
name: hello
version: 1
code: ../src
environment:
  image: python:3.11-slim
  conda_file: ./conda.yml
command: python hello.py
"""


def test_a_component_named_by_a_relative_path_is_read_from_beside_the_spec(
    client: Client, tmp_path: Path
) -> None:
    client._transport.platform.launch_jobs = False
    write(tmp_path / "components" / "hello.yml", COMPONENT)
    write(tmp_path / "components" / "conda.yml", "dependencies:\n  - pip\n")
    write(tmp_path / "src" / "hello.py", "print('hello')\n")
    job = client.jobs.create(file=write(tmp_path / "pipeline.yml", PIPELINE))
    component = job.steps[0].spec["component"]
    assert component["name"] == "hello" and component["code"].startswith("file://")
    assert component["environment"]["content"]["conda_file"] == {"dependencies": ["pip"]}
    assert job.steps[0].environment is not None
    assert job.steps[0].environment.startswith("anonymous-environment:")


def test_a_missing_component_file_names_where_it_was_written(
    client: Client, tmp_path: Path
) -> None:
    spec = write(tmp_path / "pipeline.yml", PIPELINE)
    with pytest.raises(ValidationError) as error:
        client.jobs.create(file=spec)
    assert (error.value.file, error.value.line) == (str(spec), 5)
    assert error.value.field == "jobs.hello.component"
    assert "hello.yml' does not exist" in error.value.reason


def test_a_build_context_is_uploaded_and_decides_the_version(
    client: Client, tmp_path: Path
) -> None:
    context = write(tmp_path / "docker" / "Dockerfile", "FROM python:3.11-slim\n").parent
    first = client.environments.create(name="built", build={"path": str(context)})
    write(context / "Dockerfile", "FROM python:3.12-slim\n")
    second = client.environments.create(name="built", build={"path": str(context)})
    assert first.build is not None and first.build["path"].startswith("file://")
    assert first.content_hash != second.content_hash
