"""Render a scaffold: layers of template folders copied into the new project, the later
layer winning, with ``@@key@@`` placeholders in text files replaced.

The classical scenario's first layer is the repository's own example (``examples/classical``,
bundled in the wheel as ``opsloop/_examples/classical``): one source, so the scaffold and
the example cannot drift apart. Its resource names (``taxi-fare-model``, ``taxi-data``, ...)
are renamed after the project by ``rename_classical``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from opsloop.errors import ConflictError, ValidationError
from opsloop.quickstart.inner import classical_example_dir

SCENARIOS = ("classical", "cv", "nlp")
CI_SYSTEMS = ("github", "azure-devops")
TEMPLATES = Path(__file__).parent / "templates"
# Files rendered (placeholders replaced); everything else is copied byte for byte. Python
# files are never rendered: they stay valid, lintable Python in the package.
RENDERED = {".yml", ".yaml", ".md", ".toml", ".json", ".txt", ""}
PLACEHOLDER = re.compile(r"@@(\w+)@@")
NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
# Left out of the copied example: run outputs and local state, never project sources.
SKIPPED = {"__pycache__", ".opsloop", ".pytest_cache", ".ruff_cache", "mlruns"}
SKIPPED_SUFFIXES = {".pyc", ".csv", ".parquet"}
JOB_TYPES = {"command", "pipeline", "sweep"}
EXAMPLE_NAMES = re.compile(r"taxi-fare|taxi-|taxi_")


@dataclass
class Scaffold:
    """What ``scaffold`` wrote: the project's folder, name, choices and files (relative)."""

    root: Path
    name: str
    scenario: str
    ci: str
    files: list[str] = field(default_factory=list)


def scaffold(
    root: Path, scenario: str, ci: str, *, name: str | None = None, force: bool = False
) -> Scaffold:
    """Write a new project into ``root`` (created if missing; refused when it holds
    anything, unless ``force``, which overwrites the scaffold's own files and keeps the rest).

    Example: ``scaffold(Path("taxi"), "classical", "github")``
    """
    if scenario not in SCENARIOS:
        raise ValidationError(f"--scenario must be one of {', '.join(SCENARIOS)}", field="scenario")
    if ci not in CI_SYSTEMS:
        raise ValidationError(f"--ci must be one of {', '.join(CI_SYSTEMS)}", field="ci")
    name = name or project_name(root)
    if not NAME.match(name):
        raise ValidationError(
            f"project name {name!r}: 3-40 lowercase letters, digits and '-', starting with a "
            "letter (pass --name)",
            field="name",
        )
    if root.exists() and not root.is_dir():
        raise ConflictError(f"{root} is a file, not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise ConflictError(f"{root} is not empty; choose an empty folder or pass --force")
    files = plan(scenario, ci, name)
    result = Scaffold(root=root, name=name, scenario=scenario, ci=ci)
    for relative, content in sorted(files.items()):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        result.files.append(relative)
    return result


def plan(scenario: str, ci: str, name: str) -> dict[str, bytes]:
    """Every file of the scaffold, relative path -> content, nothing written yet."""
    context = {"project": name, "project_": name.replace("-", "_"), "scenario": scenario}
    files: dict[str, bytes] = {}
    if scenario == "classical":
        for relative, content in _read_layer(classical_example_dir()).items():
            files[relative] = rename_classical(content, name) if _rendered(relative) else content
    layers = ["common", *(["shared-lite"] if scenario != "classical" else []), scenario]
    for layer in layers:
        files.update(_render_layer(TEMPLATES / layer, context))
    # The pipelines validate every job spec the scenario has, found rather than listed.
    context["validate"] = "\n".join(
        f"opsloop job validate -w dev -f {spec}" for spec in job_specs(files)
    )
    files.update(_render_layer(TEMPLATES / f"ci-{ci}", context))
    return files


def job_specs(files: dict[str, bytes]) -> list[str]:
    """The job specs among ``files``: YAML under mlops/ whose ``type`` is a job's."""
    specs = []
    for relative, content in sorted(files.items()):
        if relative.startswith("mlops/") and relative.endswith((".yml", ".yaml")):
            spec = yaml.safe_load(content)
            if isinstance(spec, dict) and spec.get("type") in JOB_TYPES:
                specs.append(relative)
    return specs


def rename_classical(content: bytes, name: str) -> bytes:
    """The example's resource names, after the project: ``taxi-fare-model`` becomes
    ``NAME-model``, ``taxi-data`` ``NAME-data``, component ``taxi_train`` ``NAME_train``."""
    # One pass: a name that itself starts with "taxi-" is not renamed twice.
    names = {"taxi-fare": name, "taxi-": f"{name}-", "taxi_": f"{name.replace('-', '_')}_"}
    return EXAMPLE_NAMES.sub(lambda found: names[found.group(0)], content.decode()).encode()


def project_name(root: Path) -> str:
    """The default project name: the folder's, lowercased, other characters as '-'."""
    return re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-")


def next_commands(result: Scaffold) -> list[str]:
    """What to run next, from inside the new project, as printed by ``opsloop init``."""
    return [
        f"cd {result.root}",
        "python -m pytest data-science/tests -q",
        f"python data/generate.py --rows 2000 --seed 0 --out data/{result.name}-data.csv",
        "opsloop workspace create -n dev --kind preproduction",
        "opsloop environment create -w dev -f mlops/azureml/train/train-env.yml",
        "opsloop data create -w dev -f mlops/azureml/train/data.yml",
        "opsloop job create -w dev -f mlops/azureml/train/pipeline.yml --stream",
    ]


def _read_layer(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or SKIPPED & set(relative.parts):
            continue
        if path.suffix in SKIPPED_SUFFIXES:
            continue
        # Dot files are stored without their dot ("dot-gitignore"): a .gitignore inside the
        # package would change what the wheel build includes. A pyproject.toml is stored as
        # "pyproject.toml.tmpl": tools would take it for the package's own configuration.
        parts = [part.replace("dot-", ".", 1) if part.startswith("dot-") else part
                 for part in relative.parts]  # fmt: skip
        files["/".join(parts).removesuffix(".tmpl")] = path.read_bytes()
    return files


def _rendered(relative: str) -> bool:
    return Path(relative).suffix in RENDERED


def _render_layer(folder: Path, context: dict[str, str]) -> dict[str, bytes]:
    return {
        relative: _render(content, context, relative) if _rendered(relative) else content
        for relative, content in _read_layer(folder).items()
    }


def _render(content: bytes, context: dict[str, str], relative: str) -> bytes:
    """Placeholders replaced; a multi-line value on a line of its own keeps that line's
    indentation on each of its lines (a YAML block stays a block)."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in context:
            raise KeyError(f"template {relative}: unknown placeholder @@{key}@@")
        return context[key]

    lines = []
    for line in content.decode().splitlines(keepends=True):
        alone = re.fullmatch(r"(\s*)@@(\w+)@@(\s*)", line)
        if alone and alone.group(2) in context:
            indent, end = alone.group(1), "\n" if line.endswith("\n") else ""
            lines.append(
                "\n".join(indent + part for part in context[alone.group(2)].split("\n")) + end
            )
        else:
            lines.append(PLACEHOLDER.sub(value, line))
    return "".join(lines).encode()
