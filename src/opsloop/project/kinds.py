"""What ``opsloop apply`` knows about each kind a workspace lists: how to check an entry,
read what exists (through ``opsloop.Client``, so every read and change is authorised as the
caller, embedded or remote), compare, create, update and delete.

A comparison looks only at what the file can say: the fields of the kind's spec, normalised
by its spec model on both sides, so a second apply of the same file finds nothing to do.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsloop.client import Client
from opsloop.specs.loader import read_yaml, validate_spec
from opsloop.specs.project import Entry

Fields = dict[str, Any]


@dataclass
class Kind:
    label: str  # singular, as the plan prints it
    validate: Callable[[Entry], Any]
    # name -> the comparable fields of every resource of the kind in a workspace
    current: Callable[[Client, str], dict[str, Fields]]
    desired: Callable[[Entry], Fields]
    create: Callable[[Client, Entry], Any] | None
    update: Callable[[Client, Entry], Any] | None
    delete: Callable[[Client, str, str], Any] | None
    # what to say when the kind cannot be created or updated by apply
    unsupported: str = ""
    # why an update of this entry with these field diffs cannot be made in place, if so
    fixed: Callable[[Entry, list[tuple[str, Any, Any]]], str | None] | None = None


def _validated(module: str, model_name: str) -> Callable[[Entry], Any]:
    def check(entry: Entry) -> Any:
        model = getattr(importlib.import_module(f"opsloop.specs.{module}"), model_name)
        return validate_spec(model, _with_workspace(entry), file=entry.file, lines=entry.lines)

    return check


def _with_workspace(entry: Entry) -> dict[str, Any]:
    # A subscription is platform-wide: under a workspace it means that workspace's events.
    if entry.kind == "subscriptions":
        return {"workspace": entry.workspace, **entry.data}
    return entry.data


def _dump(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    dumped: Fields = spec.model_dump(mode="json", exclude_none=True)
    dumped.pop("name", None)
    return dumped


def _absolute(entry: Entry) -> dict[str, Any]:
    """The entry's data with the local paths it names made absolute: they are relative to
    the file the entry was written in, not to where apply runs."""
    data = copy.deepcopy(_with_workspace(entry))

    def fix(holder: Any, key: str) -> None:
        value = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(value, str) and "://" not in value and not value.startswith("azureml:"):
            holder[key] = str((entry.base / value).resolve())

    if entry.kind == "environments":
        fix(data, "conda_file")
        fix(data.get("build"), "path")
    elif entry.kind == "schedules":
        fix(data, "create_job")
        fix(data.get("create_job"), "job")
        fix(data.get("create_job"), "code")
    elif entry.kind == "subscriptions":
        fix(data.get("action"), "job")
    return data


# --- computes -----------------------------------------------------------------------------

_COMPUTE_COLUMNS = ("type", "max_instances", "min_instances", "description", "tags")


def _compute_fields(values: Fields) -> Fields:
    return {key: values.get(key) for key in _COMPUTE_COLUMNS} | {
        k: v for k, v in values.items() if k not in _COMPUTE_COLUMNS and k != "name"
    }


def _computes_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        c.name: _compute_fields({**c.properties, **{k: getattr(c, k) for k in _COMPUTE_COLUMNS}})
        for c in client.computes.list(workspace=ws)
    }


def _compute_desired(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    return _compute_fields(
        spec.model_dump(mode="json", exclude_none=True)
        | {k: getattr(spec, k) for k in _COMPUTE_COLUMNS}
    )


# --- datastores ---------------------------------------------------------------------------


def _datastores_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        d.name: {"url": d.url, "description": d.description, "tags": d.tags}
        for d in client.datastores.list(workspace=ws)
    }


def _datastore_desired(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    return {"url": spec.url, "description": spec.description, "tags": spec.tags}


def _datastore_fixed(entry: Entry, diffs: list[tuple[str, Any, Any]]) -> str | None:
    from opsloop.specs.data import DEFAULT_DATASTORE

    if entry.name == DEFAULT_DATASTORE and any(field == "url" for field, _, _ in diffs):
        return (
            f"the default datastore's url cannot change (the platform writes the workspace's "
            f"files there): declare the new url under another name than {DEFAULT_DATASTORE}"
        )
    return None


# --- environments (versioned: a new version only when the content differs) ----------------


def _environments_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        e.name: {
            "image": e.image,
            "conda_file": e.conda_file,
            "requirements": e.requirements,
            "description": e.description,
            "tags": e.tags,
        }
        for e in client.environments.list(workspace=ws)
    }


def _environment_desired(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    conda = spec.conda_file
    if isinstance(conda, str):  # a path: its content is what the service stores
        conda, _ = read_yaml((entry.base / conda).resolve())
    requirements = spec.requirements
    if isinstance(requirements, str):
        requirements = [line.strip() for line in requirements.splitlines() if line.strip()]
    return {
        "image": spec.image,
        "conda_file": conda,
        "requirements": requirements,
        "description": spec.description,
        "tags": spec.tags,
    }


# --- schedules ----------------------------------------------------------------------------


def _schedules_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        s.name: {
            "trigger": s.trigger,
            "display_name": s.display_name,
            "description": s.description,
            "tags": s.tags,
        }
        for s in client.schedules.list(workspace=ws)
    }


def _schedule_desired(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    trigger = spec.trigger.model_dump(mode="json", exclude_none=True, by_alias=False)
    return {
        "trigger": trigger,
        "display_name": spec.display_name,
        "description": spec.description,
        "tags": spec.tags,
    }


# --- monitors -----------------------------------------------------------------------------


def _monitor_validate(entry: Entry) -> Any:
    from opsloop.specs.monitor import monitor_from_data

    return monitor_from_data(entry.data, file=entry.file, lines=entry.lines)


def _monitors_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        m.name: {k: v for k, v in m.spec.items() if k != "name"}
        for m in client.monitors.list(workspace=ws)
    }


# --- subscriptions (platform-wide; those of the workspace) --------------------------------


def _subscriptions_current(client: Client, ws: str) -> dict[str, Fields]:
    return {
        s.name: {"types": s.event_types, "subject": s.subject, "action": s.action}
        for s in client.subscriptions.list()
        if s.workspace == ws
    }


def _subscription_desired(entry: Entry) -> Fields:
    spec = KINDS[entry.kind].validate(entry)
    action = spec.action.model_dump(mode="json", exclude_none=True)
    action.pop("job_spec", None)
    if "job" in action:  # stored as created: the job file's path made absolute
        action["job"] = _absolute(entry)["action"]["job"]
    return {"types": spec.types, "subject": spec.subject, "action": action}


def _create_monitor(client: Client, entry: Entry) -> Any:
    return client.monitors.create(_monitor_validate(entry), workspace=entry.workspace)


def _set_policy(client: Client, entry: Entry) -> Any:
    return client.promotion_policies.set(_absolute(entry), workspace=entry.workspace)


KINDS: dict[str, Kind] = {
    "datastores": Kind(
        "datastore",
        _validated("data", "DatastoreSpec"),
        _datastores_current,
        _datastore_desired,
        lambda c, e: c.datastores.create(_absolute(e), workspace=e.workspace),
        lambda c, e: c.datastores.update(e.name, _absolute(e), workspace=e.workspace),
        None,  # data assets name their datastore: never deleted by apply
        fixed=_datastore_fixed,
    ),
    "computes": Kind(
        "compute",
        _validated("compute", "ComputeSpec"),
        _computes_current,
        _compute_desired,
        lambda c, e: c.computes.create(_absolute(e), workspace=e.workspace),
        lambda c, e: c.computes.update(e.name, _absolute(e), workspace=e.workspace),
        lambda c, ws, name: c.computes.delete(name, workspace=ws),
    ),
    "environments": Kind(
        "environment",
        _validated("environment", "EnvironmentSpec"),
        _environments_current,
        _environment_desired,
        lambda c, e: c.environments.create(_absolute(e), workspace=e.workspace),
        lambda c, e: c.environments.create(_absolute(e), workspace=e.workspace),
        None,  # versions are archived by hand (opsloop environment archive), never by apply
    ),
    "promotion_policies": Kind(
        "promotion policy",
        _validated("promotion", "PromotionPolicySpec"),
        lambda c, ws: {
            p.name: {k: v for k, v in p.spec.items() if k != "name"}
            for p in c.promotion_policies.list(workspace=ws)
        },
        _dump,
        _set_policy,
        _set_policy,
        lambda c, ws, name: c.promotion_policies.delete(name, workspace=ws),
    ),
    "monitors": Kind(
        "monitor",
        _monitor_validate,
        _monitors_current,
        _dump,
        _create_monitor,
        _create_monitor,  # creating a monitor that exists replaces its spec; its runs stay
        lambda c, ws, name: c.monitors.delete(name, workspace=ws),
    ),
    "schedules": Kind(
        "schedule",
        _validated("schedule", "ScheduleSpec"),
        _schedules_current,
        _schedule_desired,
        lambda c, e: c.schedules.create(_absolute(e), workspace=e.workspace),
        lambda c, e: c.schedules.update(e.name, _absolute(e), workspace=e.workspace),
        lambda c, ws, name: c.schedules.delete(name, workspace=ws),
    ),
    "subscriptions": Kind(
        "subscription",
        _validated("events", "SubscriptionSpec"),
        _subscriptions_current,
        _subscription_desired,
        lambda c, e: c.subscriptions.create(_absolute(e)),
        lambda c, e: c.subscriptions.update(e.name, _absolute(e)),
        lambda c, ws, name: c.subscriptions.delete(name),
    ),
}


def base_of(path: str) -> Path:
    return Path(path).resolve().parent
