"""Load YAML specs into pydantic models; every error names the file, line and field.

PyYAML's composed node tree keeps a mark for every key and value, so we keep a map from
each value's path (``("jobs", "train", "inputs")``) to its line, and translate pydantic's
error locations through it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from opsloop.errors import ValidationError
from opsloop.specs.events import ACTION_MEMBER_NAMES
from opsloop.specs.keys import known_keys
from opsloop.specs.sweep import SWEEP_MEMBER_NAMES

SpecT = TypeVar("SpecT")
LineMap = dict[tuple[str, ...], int]


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of silently keeping the last."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _collect_lines(node: yaml.Node, path: tuple[str, ...], lines: LineMap) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            _collect_lines(value_node, child, lines)
            # The key's own line is more useful than the value's for block values.
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, str(index)), lines)


def read_yaml(path: Path) -> tuple[dict[str, Any], LineMap]:
    """Parse a YAML file into a mapping and a map of value paths to line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("file not found", file=str(path)) from None
    except OSError as exc:
        raise ValidationError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ValidationError(
            f"invalid YAML: {exc.problem or exc.context}", file=str(path), line=line
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("a spec file must hold a mapping of keys", file=str(path), line=1)
    lines: LineMap = {}
    if root is not None:
        _collect_lines(root, (), lines)
    return data, lines


def line_for(lines: LineMap, location: tuple[str | int, ...]) -> int | None:
    """The line of the deepest known prefix of an error location."""
    path = tuple(str(part) for part in location)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


# pydantic names union members in error locations: by type ("str"), by model class, or by
# a schema descriptor such as "function-after[_check_name(), str]" or "list[str]".
_MEMBER_NAMES = frozenset(
    (
        "str",
        "int",
        "float",
        "bool",
        "JobInput",
        "JobOutput",
        "CommandJobSpec",
        "PipelineJobSpec",
        "SweepJobSpec",
        "TrialSpec",
        "EnvironmentSpec",
        "InlineEnvironmentSpec",
        "ComponentSpec",
        "CronTrigger",
        "RecurrenceTrigger",
        *SWEEP_MEMBER_NAMES,
        *ACTION_MEMBER_NAMES,
    )
)
_DESCRIPTOR = re.compile(r"^[a-z][a-z-]*\[.*\]$")
# A list of tagged items (a policy's gates) names the item's tag after its index.
_ITEM_TAGS = frozenset(
    (
        "metric_threshold",
        "champion_comparison",
        "data_quality",
        "fairness",
        "staging_test",
        "approval",
    )
)


def _readable_location(location: tuple[str | int, ...]) -> str:
    parts = [str(p) for p in location]
    kept = [
        part
        for index, part in enumerate(parts)
        if part not in _MEMBER_NAMES
        and not _DESCRIPTOR.match(part)
        and not (part in _ITEM_TAGS and index and parts[index - 1].isdigit())
    ]
    return ".".join(kept)


def validate_spec(
    model: Any,
    data: dict[str, Any],
    *,
    file: str | None = None,
    lines: LineMap | None = None,
) -> Any:
    """Validate ``data`` against a pydantic model (or type adapter target).

    Raises one :class:`ValidationError` naming the first field at fault, its file and line.
    """
    adapter = pydantic.TypeAdapter(model)
    try:
        return adapter.validate_python(data)
    except pydantic.ValidationError as exc:
        raise spec_error(exc.errors(), file=file, lines=lines, model=model) from None


# Errors of unions told apart by their ``type:`` key (the specs' ``Discriminator``s and
# pydantic's own tag error): they name the key, so the line is the key's.
_TYPE_TAG_ERRORS = frozenset({"action_type", "invalid_policy", "union_tag_invalid"})


def _has_type_key(value: Any) -> bool:
    return isinstance(value, dict) and "type" in value


def spec_error(
    errors: Sequence[Any],
    *,
    file: str | None = None,
    lines: LineMap | None = None,
    model: Any = None,
) -> ValidationError:
    """pydantic's errors as one :class:`ValidationError`: the field most specifically at
    fault, in words for a person (the REST API answers request errors with it too).

    An unknown key comes before a missing one: a misspelt key (``pth:``) causes both, and
    the unknown key is the one the user has to fix; it names the key it was likely meant
    to be."""
    if not errors:
        return ValidationError("invalid input", file=file)
    first = _most_specific_error(list(errors))
    location = tuple(first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key" + _did_you_mean(first, errors, model)
    elif first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "value_error":  # our own rule: its words, without pydantic's prefix
        message = str(first.get("ctx", {}).get("error", message))
    elif first["type"] in _TYPE_TAG_ERRORS and _has_type_key(first.get("input")):
        # A union told apart by its ``type:`` key: the fault is that key's value, on its line.
        location = (*location, "type")
        message = message.removeprefix("type ")
    return ValidationError(
        message,
        field=_readable_location(location) or None,
        file=file,
        line=line_for(lines, _strip_noise(location)) if lines else None,
    )


def _strip_noise(location: tuple[str | int, ...]) -> tuple[str | int, ...]:
    readable = _readable_location(location)
    return tuple(readable.split(".")) if readable else ()


# Errors that only say a union member was of another type: the member the value was
# written for explains more (an inline environment's ``{}`` is not "not a string").
_TYPE_MISMATCHES = frozenset(
    ("string_type", "int_type", "float_type", "bool_type", "none_required", "model_type")
)


def _most_specific_error(errors: list[Any]) -> Any:
    # A union reports one error per member; the deepest location explains the most.
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    return max(
        unknown or errors,
        key=lambda error: (
            len(_strip_noise(tuple(error["loc"]))),
            error["type"] not in _TYPE_MISMATCHES,
        ),
    )


def _did_you_mean(unknown: Any, errors: Sequence[Any], model: Any) -> str:
    location = _strip_noise(tuple(unknown["loc"]))
    if not location:
        return ""
    parent, key = location[:-1], str(location[-1])
    candidates = {
        str(_strip_noise(tuple(e["loc"]))[-1])
        for e in errors
        if e["type"] == "missing" and _strip_noise(tuple(e["loc"]))[:-1] == parent
    }
    if model is not None:
        candidates |= known_keys(model, parent)
    match = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    return f" (did you mean {match[0]}?)" if match else ""


def override_paths(overrides: list[str]) -> list[tuple[str, ...]]:
    """The value paths that ``--set`` overrides name."""
    return [tuple(o.partition("=")[0].strip().split(".")) for o in overrides if "=" in o]


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set key.path=value`` overrides; values are parsed as YAML scalars."""
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"expected key=value, got {override!r}", field="--set")
        value = yaml.safe_load(raw) if raw else ""
        target = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = target.get(part)
            if child is None:
                child = {}
                target[part] = child
            if not isinstance(child, dict):
                raise ValidationError(f"{part!r} is not a mapping", field=f"--set {key}")
            target = child
        target[parts[-1]] = value
    return data


def load_spec_file(
    path: str | Path, model: Any, overrides: list[str] | None = None
) -> tuple[Any, dict[str, Any], LineMap]:
    """Read and validate a spec file. Returns the model, the raw mapping and its line map."""
    file_path = Path(path)
    data, lines = read_yaml(file_path)
    if overrides:
        data = apply_overrides(data, overrides)
    spec = validate_spec(model, data, file=str(file_path), lines=lines)
    return spec, data, lines
