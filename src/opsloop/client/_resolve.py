"""Client-side resolution of local things in specs: code folders, data and model paths,
conda files, build contexts and component files (``file:./train.yml`` or ``./train.yml``)
are read or uploaded before a spec is submitted
(as the ``az ml`` CLI does), and their problems are reported with file and line."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from opsloop.content_hash import hash_path
from opsloop.errors import ValidationError
from opsloop.specs.azureml_keys import SpecWarning
from opsloop.specs.base import ASSET_TYPES
from opsloop.specs.loader import LineMap, line_for, read_yaml, validate_spec
from opsloop.specs.pending_uploads import pending_upload_url
from opsloop.specs.references import is_asset_reference, is_spec_file

Uploader = Callable[[bytes, str, str], str]  # (content, name, kind) -> URL
EntityT = TypeVar("EntityT")


@dataclass
class Origin:
    """Where a spec came from, to name file and line in errors.

    ``given`` maps the value paths that came from the command line (``--set``) or from
    keyword arguments to how the user wrote them: those values are relative to where the
    user stands, not to the spec's folder, and errors about them name the option."""

    base_dir: Path
    file: str | None = None
    lines: LineMap = field(default_factory=dict)
    prefix: tuple[str, ...] = ()
    given: dict[tuple[str, ...], str] = field(default_factory=dict)

    def error(self, message: str, *path: str) -> ValidationError:
        location = (*self.prefix, *path)
        given = self.given_as(location)
        if given is not None:
            return ValidationError(message, field=given)
        return ValidationError(
            message,
            field=".".join(location) or None,
            file=self.file,
            line=line_for(self.lines, location) if self.file else None,
        )

    def locate_warnings(self, entity: EntityT) -> EntityT:
        """An entity just created, its ``warnings`` (keys accepted and not used) naming
        where each key was written."""
        warnings = getattr(entity, "warnings", None)
        if warnings:
            entity.warnings = [self.locate(w) for w in warnings]  # type: ignore[attr-defined]
        return entity

    def locate(self, warning: SpecWarning) -> SpecWarning:
        """A server's warning about a field, with the file and line it was written at."""
        location = (*self.prefix, *warning.field.split("."))
        given = self.given_as(location)
        if given is not None:
            return warning.model_copy(update={"field": given})
        if self.file is None:
            return warning
        line = line_for(self.lines, location)
        return warning.model_copy(update={"file": self.file, "line": line})

    def given_as(self, location: tuple[str, ...]) -> str | None:
        """How the user gave this value (``--set path``), if not in the file."""
        for end in range(len(location), 0, -1):
            if location[:end] in self.given:
                return self.given[location[:end]]
        return None

    def base_for(self, *path: str) -> Path:
        """The folder a relative path at ``path`` is relative to."""
        return Path.cwd() if self.given_as((*self.prefix, *path)) else self.base_dir

    def validate(self, model: Any, data: dict[str, Any]) -> Any:
        """Validate spec data, naming the file and line, or the option it came from."""
        with self.located():
            return validate_spec(model, data, file=self.file, lines=self.lines)

    @contextmanager
    def located(self) -> Iterator[None]:
        """Errors about a field (the server's too: references, bindings, cycles) name
        where the user wrote it: the file and line, or the command-line option."""
        try:
            yield
        except ValidationError as exc:
            if not exc.field or (exc.file and exc.file != self.file):
                raise
            path = tuple(exc.field.split("."))
            if self.given_as(path) is None and exc.file == self.file and exc.line:
                raise
            raise self.error(exc.reason, *path) from None

    def nested(self, *path: str) -> Origin:
        return Origin(self.base_dir, self.file, self.lines, (*self.prefix, *path), self.given)


def is_local_path(value: str) -> bool:
    return "://" not in value and not is_asset_reference(value) and not value.startswith("azureml:")


class Resolver:
    def __init__(self, upload: Uploader) -> None:
        self._upload = upload
        self._uploaded: dict[Path, str] = {}

    def upload_path(self, value: str, origin: Origin, *path: str) -> str:
        local = (origin.base_for(*path) / value).resolve()
        if not local.exists():
            raise origin.error(f"local path {str(local)!r} does not exist", *path)
        if local not in self._uploaded:
            self._uploaded[local] = self._store(local)
        return self._uploaded[local]

    def _store(self, local: Path) -> str:
        """Upload a local file or folder; its URL in the artifact store."""
        if local.is_dir():
            return self._upload(_tar_gz(local), local.name, "folder")
        return self._upload(local.read_bytes(), local.name, "file")

    # ---- per spec kind ------------------------------------------------------------
    def data(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        if isinstance(data.get("path"), str) and is_local_path(data["path"]):
            data["path"] = self.upload_path(data["path"], origin, "path")
        return data

    def model(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        path = data.get("path")
        if isinstance(path, str) and is_local_path(path):
            data["path"] = step_output_reference(
                origin.base_for("path") / path
            ) or self.upload_path(path, origin, "path")
        return data

    def environment(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        conda = data.get("conda_file")
        if isinstance(conda, str):
            conda_path = (origin.base_for("conda_file") / conda).resolve()
            try:
                data["conda_file"] = yaml.safe_load(conda_path.read_text())
            except OSError:
                raise origin.error(
                    f"conda file {str(conda_path)!r} cannot be read", "conda_file"
                ) from None
            except yaml.YAMLError as exc:
                raise origin.error(
                    f"conda file {str(conda_path)!r} is not valid YAML: {exc}", "conda_file"
                ) from None
        build = data.get("build")
        build_path = build.get("path") if isinstance(build, dict) else None
        if isinstance(build, dict) and isinstance(build_path, str) and is_local_path(build_path):
            build["path"] = self.upload_path(build["path"], origin, "build", "path")
        requirements = data.get("requirements")
        if isinstance(requirements, str) and "\n" not in requirements:
            req_path = (origin.base_for("requirements") / requirements).resolve()
            if not req_path.is_file():
                raise origin.error(
                    f"requirements file {str(req_path)!r} does not exist", "requirements"
                )
            data["requirements"] = [
                line.strip()
                for line in req_path.read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")
            ]
        return data

    def component(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        code = data.get("code")
        if isinstance(code, str) and is_local_path(code):
            data["code"] = self.upload_path(code, origin, "code")
        environment = data.get("environment")
        if isinstance(environment, dict):
            data["environment"] = self.environment(environment, origin.nested("environment"))
        return data

    def deployment(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        """Online and batch deployments: a local scoring code folder is uploaded."""
        configuration = data.get("code_configuration")
        if isinstance(configuration, dict):
            code = configuration.get("code")
            if isinstance(code, str) and is_local_path(code):
                configuration["code"] = self.upload_path(code, origin, "code_configuration", "code")
        environment = data.get("environment")
        if isinstance(environment, dict):
            data["environment"] = self.environment(environment, origin.nested("environment"))
        return data

    def job(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        self.component(data, origin)
        self._inputs(data.get("inputs"), origin.nested("inputs"))
        component = data.get("component")
        if isinstance(component, str) and component.startswith("file:"):
            data["component"] = self._component_file(
                component[len("file:") :], origin.nested("component")
            )
        elif isinstance(component, str) and is_spec_file(component):
            data["component"] = self._component_file(component, origin.nested("component"))
        elif isinstance(component, dict):
            data["component"] = self.component(component, origin.nested("component"))
        trial = data.get("trial")  # a sweep's: a component file, or an inline command
        if isinstance(trial, str) and (trial.startswith("file:") or is_spec_file(trial)):
            data["trial"] = self._component_file(
                trial.removeprefix("file:"), origin.nested("trial")
            )
        elif isinstance(trial, dict):
            data["trial"] = self.component(trial, origin.nested("trial"))
        for step_name, step in (data.get("jobs") or {}).items():
            if isinstance(step, dict):
                self.job(step, origin.nested("jobs", step_name))
        return data

    def _inputs(self, inputs: Any, origin: Origin) -> None:
        if not isinstance(inputs, dict):
            return
        for name, value in inputs.items():
            is_asset = isinstance(value, dict) and value.get("type") in (*ASSET_TYPES, None)
            if is_asset and isinstance(value.get("path"), str) and is_local_path(value["path"]):
                value["path"] = self.upload_path(value["path"], origin, name, "path")

    def _component_file(self, relative: str, origin: Origin) -> dict[str, Any]:
        from opsloop.specs.component import ComponentSpec

        path = (origin.base_for() / relative.strip()).resolve()
        if not path.is_file():
            raise origin.error(f"component file {str(path)!r} does not exist")
        data, lines = read_yaml(path)
        validate_spec(ComponentSpec, data, file=str(path), lines=lines)
        return self.component(data, Origin(path.parent, str(path), lines))


class HashingResolver(Resolver):
    """Resolves as ``Resolver`` does but uploads nothing: a local file or folder becomes a
    stand-in naming its content hash (``specs.pending_uploads``), which hashes as the
    uploaded copy would (``hash_path`` skips what ``_tar_gz`` leaves out). For validation."""

    def __init__(self) -> None:
        super().__init__(_no_upload)

    def _store(self, local: Path) -> str:
        return pending_upload_url(hash_path(local), local.name)

    def data(self, data: dict[str, Any], origin: Origin) -> dict[str, Any]:
        # The server never sees the files: the shape it would check is checked here.
        from opsloop.specs.data import data_shape_problem

        path = data.get("path")
        if isinstance(path, str) and is_local_path(path):
            local = (origin.base_for("path") / path).resolve()
            kind = data.get("type") or "uri_folder"
            problem = local.exists() and data_shape_problem(local, kind)
            if problem:
                raise origin.error(problem, "path")
        return super().data(data, origin)


def _no_upload(content: bytes, name: str, kind: str) -> str:
    raise AssertionError(f"a validation uploaded {name!r}")  # HashingResolver never calls it


def _tar_gz(folder: Path) -> bytes:
    buffer = io.BytesIO()
    # Level 1, not tarfile's 9: a folder of data (a batch job's input) packs 20x faster and
    # only a third larger; the server stores the files, never this archive.
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for item in sorted(folder.rglob("*")):
            relative = item.relative_to(folder)
            if (
                any(part in {"__pycache__", ".git"} for part in relative.parts)
                or item.suffix == ".pyc"
            ):
                continue
            archive.add(item, arcname=relative.as_posix(), recursive=False)
    return buffer.getvalue()


def step_output_reference(path: Path) -> str | None:
    """Inside a running step, a path that is an upstream step's output becomes a reference
    to that output, so the registry records which job and step produced it (lineage)."""
    context_file = os.environ.get("OPSLOOP_STEP_CONTEXT")
    if not context_file or not Path(context_file).is_file():
        return None
    context = json.loads(Path(context_file).read_text())
    target = path.resolve()
    for item in context.get("inputs", {}).values():
        source = item.get("source") or {}
        if item.get("path") and Path(item["path"]).resolve() == target and source.get("step"):
            return f"azureml://jobs/{source['job']}.{source['step']}/outputs/{source['output']}"
    return None
