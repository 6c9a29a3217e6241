"""A step's files the Azure ML way: direct inputs, ./outputs and ./logs kept as the
artifacts output, a uri_file output with a path of its own."""

from __future__ import annotations

from pathlib import Path

from helpers import write
from opsloop.execution.plan import AssetBinding, OutputPlan
from opsloop.runner import step_files as files
from opsloop.store.artifacts import ArtifactStore


def test_a_direct_input_is_the_url_and_is_not_copied(tmp_path: Path) -> None:
    data = write(tmp_path / "data" / "a.csv", "a\n1\n").parent
    bindings = {
        "direct": AssetBinding(type="uri_folder", url=data.as_uri(), mode="direct"),
        "copied": AssetBinding(type="uri_folder", url=data.as_uri(), mode="download"),
    }
    prepared = files.materialize_inputs(bindings, tmp_path / "scratch", {}, "job")
    assert prepared["direct"].text == data.as_uri()
    assert prepared["copied"].text is not None and Path(prepared["copied"].text).is_dir()
    assert not (tmp_path / "scratch" / "direct").exists()


def test_outputs_and_logs_become_the_artifacts_output(tmp_path: Path) -> None:
    store = ArtifactStore((tmp_path / "store").as_uri())
    outputs = files.prepare_outputs(
        files.with_artifacts({}), tmp_path / "scratch", store, "jobs/dev/j/step"
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    files.make_artifact_folders(cwd)
    write(cwd / "outputs" / "model" / "weights.txt", "w")
    write(cwd / "logs" / "metrics.txt", "m")
    log = write(tmp_path / "step.txt", "the step's log\n")
    files.collect_artifacts(cwd, log, outputs[files.ARTIFACTS])
    stored = files.store_outputs(outputs)
    root = tmp_path / "store" / "jobs" / "dev" / "j" / "step" / "outputs" / "artifacts"
    assert stored[files.ARTIFACTS].url == root.as_uri()
    assert (root / "outputs" / "model" / "weights.txt").read_text() == "w"
    assert (root / "logs" / "metrics.txt").read_text() == "m"
    assert (root / "user_logs" / "std_log.txt").read_text() == "the step's log\n"


def test_a_file_output_with_a_path_leaves_its_neighbours(tmp_path: Path) -> None:
    folder = tmp_path / "datastore" / "run-1"
    write(folder / "other.txt", "keep me")
    target = (folder / "hello.txt").as_uri()
    declared = {"report": OutputPlan(type="uri_file", path=target)}
    store = ArtifactStore((tmp_path / "store").as_uri())
    outputs = files.prepare_outputs(declared, tmp_path / "scratch", store, "jobs/dev/j/s")
    outputs["report"].path.write_text("hello")
    stored = files.store_outputs(outputs)
    assert stored["report"].url == target
    assert (folder / "hello.txt").read_text() == "hello"
    assert (folder / "other.txt").read_text() == "keep me"
