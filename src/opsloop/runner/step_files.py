"""A step's files: inputs made local, output folders prepared and saved, a private working
copy of the code, Azure ML's default artifact folders (``./outputs``, ``./logs``), and the
context file a step can read to see where its inputs came from."""

from __future__ import annotations

import json
import shutil
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsloop.execution.plan import (
    AssetBinding,
    InputBinding,
    LiteralBinding,
    OutputPlan,
    StepOutputBinding,
    StoredOutput,
)
from opsloop.execution.step_hash import direct_hash, literal_hash
from opsloop.file_urls import local_path_of
from opsloop.specs.values import literal_text
from opsloop.store.artifacts import ArtifactStore, copy_to_url, hash_path, materialize


@dataclass(frozen=True)
class PreparedInput:
    text: str | None  # what ${{inputs.x}} becomes on the command line
    hash: str | None  # what the step cache compares
    source: dict[str, Any] | None = None  # where an asset input came from (step_context.json)


@dataclass(frozen=True)
class PreparedOutput:
    path: Path  # what ${{outputs.x}} becomes: the folder, or the file inside it
    folder: Path
    url: str  # the URL recorded for the output (of the file, for uri_file)
    root_url: str
    direct: bool  # the folder is the destination itself (a local artifact store)
    type: str


@dataclass(frozen=True)
class UpstreamOutput:
    """A step output another step reads, as its producer recorded it."""

    output: StoredOutput
    producer: str


def materialize_inputs(
    bindings: dict[str, InputBinding],
    scratch: Path,
    upstream: dict[str, UpstreamOutput],
    job_name: str,
) -> dict[str, PreparedInput]:
    """Local paths for asset and step-output inputs (``upstream`` holds the latter, by
    input name), text for literals."""
    prepared: dict[str, PreparedInput] = {}
    for name, binding in bindings.items():
        if isinstance(binding, LiteralBinding):
            prepared[name] = PreparedInput(literal_text(binding.value), literal_hash(binding.value))
            continue
        if isinstance(binding, AssetBinding):
            url, known_hash = binding.url, binding.hash
            source: dict[str, Any] = {"asset": binding.asset, "url": url}
            if binding.mode == "direct":  # Azure ML's meaning: the step gets the URL itself
                prepared[name] = PreparedInput(url, direct_hash(url, known_hash), source)
                continue
        elif isinstance(binding, StepOutputBinding):
            found = upstream[name]
            url, known_hash = found.output.url, found.output.hash
            source = {
                "job": job_name,
                "step": binding.step,
                "output": binding.output,
                "url": url,
                "producer": found.producer,
            }
        else:
            prepared[name] = PreparedInput(None, None)
            continue
        local = materialize(url, scratch / name)
        prepared[name] = PreparedInput(str(local), known_hash or hash_path(local), source)
    return prepared


def materialize_code(code_url: str | None, scratch: Path) -> tuple[Path | None, str | None]:
    if not code_url:
        return None, None
    local = materialize(code_url, scratch)
    return local, hash_path(local)


def prepare_outputs(
    declared: dict[str, OutputPlan], scratch: Path, artifacts: ArtifactStore, prefix: str
) -> dict[str, PreparedOutput]:
    """Empty folders for the outputs: the destination itself where it is local, else a
    scratch folder copied to the destination when the step succeeds."""
    outputs: dict[str, PreparedOutput] = {}
    for name, output in declared.items():
        if output.type == "uri_file" and output.path:
            outputs[name] = _file_at(output.path, scratch / name)
            continue
        url = output.path or artifacts.url_for(f"{prefix}/outputs/{name}")
        direct = local_path_of(url)
        folder = direct if direct is not None else scratch / name
        if folder.exists():
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        is_file = output.type == "uri_file"
        outputs[name] = PreparedOutput(
            path=folder / name if is_file else folder,
            folder=folder,
            url=f"{url}/{name}" if is_file else url,
            root_url=url,
            direct=direct is not None,
            type=output.type,
        )
    return outputs


def _file_at(url: str, folder: Path) -> PreparedOutput:
    """A ``uri_file`` output with a path of its own: written in a scratch folder and copied
    beside whatever else is in the destination's folder (which is left as it is)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    root_url, _, filename = url.rstrip("/").rpartition("/")
    return PreparedOutput(
        path=folder / filename,
        folder=folder,
        url=url,
        root_url=root_url,
        direct=False,
        type="uri_file",
    )


def store_outputs(outputs: dict[str, PreparedOutput]) -> dict[str, StoredOutput]:
    stored: dict[str, StoredOutput] = {}
    for name, output in outputs.items():
        if not output.direct:
            copy_to_url(output.folder, output.root_url)
        stored[name] = StoredOutput(url=output.url, type=output.type, hash=hash_path(output.folder))
    return stored


# Every command job and step has them in its working folder, as on Azure ML; what they hold
# is kept as the step's output ``artifacts`` (with the step's log under user_logs/).
ARTIFACTS = "artifacts"
ARTIFACT_FOLDERS = ("outputs", "logs")


def with_artifacts(declared: dict[str, OutputPlan]) -> dict[str, OutputPlan]:
    """The declared outputs plus ``artifacts`` (a step may bind it, as Azure ML's may)."""
    return {**declared, ARTIFACTS: declared.get(ARTIFACTS) or OutputPlan(type="uri_folder")}


def make_artifact_folders(cwd: Path) -> None:
    for name in ARTIFACT_FOLDERS:
        (cwd / name).mkdir(exist_ok=True)


def collect_artifacts(cwd: Path, log_path: Path, artifacts: PreparedOutput) -> None:
    """Move ``./outputs`` and ``./logs`` into the artifacts output, with a copy of the log."""
    for name in ARTIFACT_FOLDERS:
        source = cwd / name
        if source.is_dir() and not source.is_symlink():
            target = artifacts.folder / name
            if target.exists():
                shutil.rmtree(target)
            shutil.move(source, target)  # a rename when both are on one file system
    user_logs = artifacts.folder / "user_logs"
    user_logs.mkdir(parents=True, exist_ok=True)
    if log_path.is_file():
        shutil.copy2(log_path, user_logs / "std_log.txt")


def command_values(
    inputs: dict[str, PreparedInput], outputs: dict[str, PreparedOutput]
) -> dict[str, str | None]:
    values: dict[str, str | None] = {f"inputs.{k}": v.text for k, v in inputs.items()}
    values.update({f"outputs.{k}": str(v.path) for k, v in outputs.items()})
    return values


def working_copy(code_dir: Path | None, cwd: Path) -> Path:
    # Steps may write into their working directory; never let them touch the snapshot.
    if cwd.exists():
        shutil.rmtree(cwd)
    if code_dir is None:
        cwd.mkdir(parents=True)
    elif code_dir.is_dir():
        shutil.copytree(code_dir, cwd)
    else:
        cwd.mkdir(parents=True)
        shutil.copy2(code_dir, cwd / code_dir.name)
    return cwd


def write_context(path: Path, context: dict[str, Any], inputs: dict[str, PreparedInput]) -> None:
    """``step_context.json``: who the step is, and where each asset input came from."""
    described = {k: {"path": v.text, "source": v.source} for k, v in inputs.items() if v.source}
    path.write_text(json.dumps({**context, "inputs": described}, indent=2))


def tail(path: Path, lines: int) -> str:
    with path.open("r", errors="replace") as handle:
        return "".join(deque(handle, maxlen=lines)).rstrip()
