"""Azure ML keys opsloop has no use for load with one warning each; keys in no schema stay
errors; Azure ML's reference, mode and environment forms load."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop.errors import ValidationError
from opsloop.specs import ComputeSpec, JobSpec, load_spec_file
from opsloop.specs.azureml_keys import compute_warnings, job_warnings
from opsloop.specs.job import CommandJobSpec, PipelineJobSpec
from opsloop.specs.references import is_spec_file, parse_reference, parse_registry_uri

PIPELINE = """\
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
settings:
  default_datestore: azureml:workspaceblobstore
  default_compute: azureml:cpu-cluster
  continue_on_step_failure: true
  my_team_setting: 7
jobs:
  train:
    command: echo train
    environment:
      image: python:3.11-slim
    services:
      notebook:
        type: jupyter_lab
    queue_settings:
      job_tier: spot
"""


def test_unused_azure_ml_keys_load_with_one_warning_each(tmp_path: Path) -> None:
    spec, _, _ = load_spec_file(write(tmp_path / "pipeline.yml", PIPELINE), JobSpec)
    assert isinstance(spec, PipelineJobSpec)
    warnings = {w.field: w.message for w in job_warnings(spec)}
    assert set(warnings) == {
        "settings.default_datestore",
        "settings.my_team_setting",
        "jobs.train.services",
        "jobs.train.queue_settings",
    }
    # Azure ML's own examples misspell default_datastore: the warning says what was meant.
    assert "did you mean default_datastore?" in warnings["settings.default_datestore"]
    assert "did you mean" not in warnings["settings.my_team_setting"]
    assert "not started" in warnings["jobs.train.services"]
    # A setting opsloop knows is used, not warned about.
    assert spec.settings.continue_on_step_failure is True


def test_a_key_in_no_schema_is_still_an_error_with_line_and_suggestion(tmp_path: Path) -> None:
    text = "command: echo hi\nenvironment:\n  imag: python\n"
    with pytest.raises(ValidationError) as error:
        load_spec_file(write(tmp_path / "job.yml", text), JobSpec)
    assert error.value.line == 3
    assert error.value.field == "environment.imag"
    assert "unknown key (did you mean image?)" in str(error.value)


@pytest.mark.parametrize(
    "environment", ["{}", "{name: only-a-name}", "{description: nothing to run}"]
)
def test_an_empty_inline_environment_names_the_field_in_words(
    tmp_path: Path, environment: str
) -> None:
    spec = write(tmp_path / "job.yml", f"command: echo hi\nenvironment: {environment}\n")
    with pytest.raises(ValidationError) as error:
        load_spec_file(spec, JobSpec)
    message = str(error.value)
    assert error.value.field == "environment"
    assert "an environment needs image, conda_file, requirements or build" in message
    for internal in ("function-after", "EnvironmentSpec", "required key is missing"):
        assert internal not in message


def test_an_inline_environment_needs_no_name(tmp_path: Path) -> None:
    text = "command: echo hi\nenvironment:\n  image: library/python:latest\n"
    spec, _, _ = load_spec_file(write(tmp_path / "job.yml", text), JobSpec)
    assert isinstance(spec, CommandJobSpec)
    assert not isinstance(spec.environment, str) and spec.environment is not None
    assert spec.environment.name is None and spec.environment.image == "library/python:latest"


@pytest.mark.parametrize(
    ("key", "mode"), [("inputs", "ro_mount"), ("inputs", "direct"), ("outputs", "upload")]
)
def test_azure_ml_modes_load(tmp_path: Path, key: str, mode: str) -> None:
    text = f"command: echo hi\n{key}:\n  data:\n    type: uri_folder\n    mode: {mode}\n"
    load_spec_file(write(tmp_path / "job.yml", text), JobSpec)


def test_a_mode_of_the_other_direction_is_refused(tmp_path: Path) -> None:
    text = "command: echo hi\ninputs:\n  data:\n    type: uri_folder\n    mode: upload\n"
    with pytest.raises(ValidationError) as error:
        load_spec_file(write(tmp_path / "job.yml", text), JobSpec)
    assert error.value.field == "inputs.data.mode" and error.value.line == 5


def test_registry_uris_parse_and_others_are_left_alone() -> None:
    uri = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
    found = parse_registry_uri(uri)
    assert found is not None
    assert (found.registry, found.kind, found.name, found.version) == (
        "azureml",
        "environment",
        "sklearn-1.5",
        None,
    )
    assert str(found) == uri
    pinned = parse_registry_uri("azureml://registries/shared/components/train/versions/3")
    assert pinned is not None and (pinned.kind, pinned.version) == ("component", "3")
    assert parse_registry_uri("azureml:train@latest") is None
    with pytest.raises(ValidationError, match="labels/latest"):
        parse_registry_uri("azureml://registries/shared/pipelines/train/labels/stable")


def test_a_yaml_path_is_a_spec_file_and_references_are_not() -> None:
    assert is_spec_file("./train.yml") and is_spec_file("components/score.YAML")
    assert not is_spec_file("azureml:train.yml@latest")
    assert not is_spec_file("train@latest") and not is_spec_file("https://x/train.yml")
    with pytest.raises(ValidationError, match="azureml://registries"):
        parse_reference("./train.yml")


def test_azure_ml_compute_yaml_loads_with_warnings_for_cloud_keys(tmp_path: Path) -> None:
    text = (
        "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n"
        "name: cpu-cluster\ntype: amlcompute\nsize: STANDARD_DS3_v2\n"
        "min_instances: 0\nmax_instances: 2\nidle_time_before_scale_down: 120\n"
    )
    spec, _, _ = load_spec_file(write(tmp_path / "cluster.yml", text), ComputeSpec)
    assert spec.max_instances == 2
    fields = [w.field for w in compute_warnings(spec)]
    assert fields == ["type", "size", "idle_time_before_scale_down"]
    assert compute_warnings(ComputeSpec(name="cpu-cluster", max_instances=1)) == []


def test_compute_instance_counts_beyond_any_cluster_are_refused_by_field(tmp_path: Path) -> None:
    text = "name: cpu-cluster\ntype: amlcompute\nmin_instances: 100000000000\n"
    with pytest.raises(ValidationError, match="min_instances"):
        load_spec_file(write(tmp_path / "cluster.yml", text), ComputeSpec)
