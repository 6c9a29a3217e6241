"""The scaffold's files: one source for the classical example, names rendered, nothing left
unrendered, every file project.yaml names present, and an existing folder left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsloop.errors import ConflictError, ValidationError
from opsloop.quickstart.inner import classical_example_dir
from opsloop.scaffold import CI_SYSTEMS, SCENARIOS, scaffold
from opsloop.scaffold.render import job_specs, plan, rename_classical

COMBINATIONS = [(s, c) for s in SCENARIOS for c in CI_SYSTEMS]


def test_the_classical_scaffold_is_the_example_renamed() -> None:
    example = classical_example_dir()
    files = plan("classical", "github", "fares")
    sources = [p for p in example.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for source in sources:
        relative = source.relative_to(example).as_posix()
        if relative == "README.md" or source.suffix == ".csv":
            continue  # the project's own README replaces the example's
        expected = source.read_bytes()
        if source.suffix in (".yml", ".json", ""):
            expected = rename_classical(expected, "fares")
        assert files[relative] == expected, relative
    pipeline = files["mlops/azureml/train/pipeline.yml"].decode()
    assert "path: azureml:fares-data@latest" in pipeline
    assert "taxi" not in pipeline


def test_a_name_like_the_examples_is_renamed_once() -> None:
    files = plan("classical", "github", "taxi-fares")
    assert "name: taxi-fares-data\n" in files["mlops/azureml/train/data.yml"].decode()
    assert "endpoint: taxi-fares\n" in files["mlops/promotion/to-prod.yml"].decode()


@pytest.mark.parametrize(("scenario", "ci"), COMBINATIONS)
def test_every_placeholder_is_rendered_and_every_named_file_exists(scenario: str, ci: str) -> None:
    files = plan(scenario, ci, "demo-proj")
    for relative, content in files.items():
        assert b"@@" not in content, relative
    project = yaml.safe_load(files["project.yaml"])
    assert project["name"] == "demo-proj"
    named = [entry["file"] for ws in project["workspaces"] for kind in ws.values()
             if isinstance(kind, list) for entry in kind if "file" in entry]  # fmt: skip
    assert len(named) >= 5
    for relative in named:
        assert relative in files, relative
    assert "mlops/azureml/train/pipeline.yml" in job_specs(files)
    assert "data-science/tests/conftest.py" in files
    assert ".gitignore" in files and "pyproject.toml" in files
    assert not [name for name in files if name.endswith(".tmpl") or "dot-" in name]


def test_the_job_specs_found_are_the_jobs() -> None:
    assert job_specs(plan("classical", "github", "demo-proj")) == [
        "mlops/azureml/train/autolog-job.yml",
        "mlops/azureml/train/pipeline.yml",
    ]
    assert job_specs(plan("nlp", "github", "demo-proj")) == ["mlops/azureml/train/pipeline.yml"]


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConflictError, match="not empty; choose an empty folder or pass --force"):
        scaffold(tmp_path, "nlp", "github", name="demo-proj")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    result = scaffold(tmp_path, "nlp", "github", name="demo-proj", force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "project.yaml").is_file()
    assert "notes.txt" not in result.files


def test_the_name_defaults_to_the_folder_and_bad_choices_name_their_field(tmp_path: Path) -> None:
    assert scaffold(tmp_path / "Taxi Fares", "cv", "github").name == "taxi-fares"
    with pytest.raises(ValidationError) as bad:
        scaffold(tmp_path / "x", "audio", "github")
    assert bad.value.field == "scenario"
    with pytest.raises(ValidationError) as bad:
        scaffold(tmp_path / "y", "cv", "jenkins")
    assert bad.value.field == "ci"
    with pytest.raises(ValidationError) as bad:
        scaffold(tmp_path / "z", "cv", "github", name="9lives")
    assert bad.value.field == "name"
    assert not (tmp_path / "x").exists()
