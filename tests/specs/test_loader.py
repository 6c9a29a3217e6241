from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsloop.errors import ValidationError
from opsloop.specs import ComponentSpec, DataSpec, JobSpec, apply_overrides, load_spec_file
from opsloop.specs.references import is_asset_reference, parse_reference


def test_unknown_key_names_file_line_and_field(tmp_path: Path) -> None:
    spec = write(tmp_path / "data.yml", "name: taxi\ntype: uri_file\npath: x.csv\ncolour: red\n")
    with pytest.raises(ValidationError) as error:
        load_spec_file(spec, DataSpec)
    assert error.value.line == 4
    assert error.value.field == "colour"
    assert f"{spec}:4: colour: unknown key" == str(error.value)


def test_nested_error_points_at_the_nested_line(tmp_path: Path) -> None:
    text = """type: pipeline
jobs:
  train:
    component: file:train.yml
    limits:
      timeout: -5
"""
    spec = write(tmp_path / "pipeline.yml", text)
    with pytest.raises(ValidationError) as error:
        load_spec_file(spec, JobSpec)
    assert error.value.field == "jobs.train.limits.timeout"
    assert error.value.line == 6


def test_bad_enum_value_and_missing_key(tmp_path: Path) -> None:
    spec = write(tmp_path / "data.yml", "name: taxi\ntype: uri_blob\n")
    with pytest.raises(ValidationError) as error:
        load_spec_file(spec, DataSpec)
    assert error.value.field in {"type", "path"}
    assert error.value.line is not None


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.yml", "name: x\ninputs:\n  a: [1, 2\n")
    with pytest.raises(ValidationError) as error:
        load_spec_file(spec, DataSpec)
    assert "invalid YAML" in str(error.value)
    assert error.value.line is not None and error.value.line >= 3


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    spec = write(tmp_path / "dup.yml", "name: a\nname: b\npath: x\n")
    with pytest.raises(ValidationError, match="duplicate key 'name'"):
        load_spec_file(spec, DataSpec)


def test_missing_file() -> None:
    with pytest.raises(ValidationError, match="file not found"):
        load_spec_file("/nonexistent/spec.yml", DataSpec)


def test_integer_version_and_schema_key_are_accepted(tmp_path: Path) -> None:
    text = "$schema: https://example/x.json\nname: c\nversion: 3\ncommand: echo hi\n"
    spec, _, _ = load_spec_file(write(tmp_path / "c.yml", text), ComponentSpec)
    assert spec.version == "3"


def test_overrides_set_nested_values_as_yaml_scalars() -> None:
    data = {"settings": {"force_rerun": False}, "inputs": {}}
    apply_overrides(data, ["settings.force_rerun=true", "inputs.n=5", "display_name=run one"])
    assert data == {
        "settings": {"force_rerun": True},
        "inputs": {"n": 5},
        "display_name": "run one",
    }
    with pytest.raises(ValidationError, match="expected key=value"):
        apply_overrides(data, ["novalue"])


def test_references_accept_the_azureml_alias() -> None:
    assert str(parse_reference("azureml:taxi:3")) == "taxi:3"
    assert parse_reference("taxi@latest").version is None
    assert is_asset_reference("azureml:taxi@latest")
    assert not is_asset_reference("./data/taxi.csv")
    assert not is_asset_reference("file:///tmp/x")
    assert parse_reference("taxi@champion").alias == "champion"
    assert str(parse_reference("taxi@champion")) == "taxi@champion"
    with pytest.raises(ValidationError):
        parse_reference("taxi@3")  # an alias starts with a letter; a version follows ':'


def test_a_misspelt_required_key_is_named_with_the_key_it_was_meant_to_be(
    tmp_path: Path,
) -> None:
    spec = write(tmp_path / "data.yml", "name: taxi\ntype: uri_file\npth: ./taxi.csv\n")
    with pytest.raises(ValidationError) as caught:
        load_spec_file(spec, DataSpec)
    assert str(caught.value) == f"{spec}:3: pth: unknown key (did you mean path?)"


def test_a_misspelt_optional_key_in_a_nested_spec_suggests_the_field_there(
    tmp_path: Path,
) -> None:
    spec = write(
        tmp_path / "job.yml",
        "type: pipeline\njobs:\n  a:\n    type: command\n    command: echo\n    enviroment: e:1\n",
    )
    with pytest.raises(ValidationError) as caught:
        load_spec_file(spec, JobSpec)
    assert "job.yml:6: jobs.a.enviroment: unknown key (did you mean environment?)" in str(
        caught.value
    )


def test_an_unknown_key_like_no_field_gets_no_suggestion(tmp_path: Path) -> None:
    spec = write(tmp_path / "data.yml", "name: taxi\npath: x.csv\nzzzz: 1\n")
    with pytest.raises(ValidationError) as caught:
        load_spec_file(spec, DataSpec)
    assert str(caught.value) == f"{spec}:3: zzzz: unknown key"


def test_a_bad_action_type_points_at_the_type_line(tmp_path: Path) -> None:
    from opsloop.specs.events import SubscriptionSpec

    spec = write(
        tmp_path / "sub.yml",
        "name: page-me\ntypes: [job.failed]\naction:\n  to: [a@b.c]\n  type: pager\n",
    )
    with pytest.raises(ValidationError) as raised:
        load_spec_file(spec, SubscriptionSpec)
    assert raised.value.details["field"] == "action.type"
    assert str(raised.value).startswith(f"{spec}:5: action.type: must be one of: webhook, email")
