"""Monitor specs, in the shape of Azure ML model monitoring.

A monitor file is either a bare definition (``name`` and the keys below) or an Azure ML
schedule file whose ``create_monitor`` holds them (its ``trigger`` is kept, for
``opsloop schedule create``)::

    name: taxi-fare-monitor
    monitoring_target:
      ml_task: regression
      endpoint_deployment_id: azureml:taxi-fare-online:blue   # or ep:dep, ep/dep
    monitoring_signals:
      drift:
        type: data_drift
        reference_data: {input_data: {path: azureml:taxi-train:1, type: uri_file}}
        production_data: {data_window: {lookback_window_size: P7D}}
        features: {top_n_feature_importance: 5}
        metric_thresholds: {numerical: {normalized_wasserstein_distance: 0.1}}
    alert_notification: {emails: [ops@example.com]}

A monitor with no signals runs data_drift, prediction_drift and data_quality on the
deployment's collected data against its model's training data.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BeforeValidator, Field, field_validator, model_validator

from opsloop.errors import ValidationError
from opsloop.specs.base import AssetName, SpecModel
from opsloop.specs.loader import apply_overrides, read_yaml, validate_spec
from opsloop.specs.references import strip_alias

SignalType = Literal[
    "data_drift",
    "prediction_drift",
    "data_quality",
    "model_performance",
    "feature_attribution_drift",
    "endpoint_operations",
]
SIGNAL_TYPES: tuple[str, ...] = SignalType.__args__  # type: ignore[attr-defined]
DEFAULT_SIGNALS: tuple[str, ...] = ("data_drift", "prediction_drift", "data_quality")
MlTask = Literal["classification", "regression"]

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str) -> timedelta:
    """An ISO-8601 duration of weeks, days, hours, minutes and seconds (``P7D``,
    ``PT12H``, ``P1DT6H``). Months and years have no fixed length and are refused."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None or value.strip() in ("P", "PT") or value.strip().endswith("T"):
        raise ValueError(
            f"{value!r} is not an ISO-8601 duration of weeks, days, hours, minutes or "
            "seconds (P7D, PT12H, P1DT6H)"
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return timedelta(**parts)


def _duration(value: Any) -> str:
    parse_duration(value)
    return str(value).strip()


Duration = Annotated[str, BeforeValidator(_duration)]


class DataWindow(SpecModel):
    """A rolling window ending ``lookback_window_offset`` before the run's end time."""

    lookback_window_size: Duration = "P7D"
    lookback_window_offset: Duration = "P0D"

    @property
    def size(self) -> timedelta:
        return parse_duration(self.lookback_window_size)

    @property
    def offset(self) -> timedelta:
        return parse_duration(self.lookback_window_offset)


class InputData(SpecModel):
    path: str = Field(description="a data asset (name:version, name@latest) or a URL/path")
    type: Literal["uri_file", "uri_folder", "mltable"] | None = None

    @field_validator("path")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return strip_alias(value.strip())


class MonitorInput(SpecModel):
    """Where a signal's production or reference data comes from. Without ``input_data``,
    production data is what the deployment's data collector wrote."""

    input_data: InputData | None = None
    data_context: str | None = None
    data_window: DataWindow | None = None
    data_column_names: dict[str, str] = Field(default_factory=dict)
    # Accepted so Azure ML files load; opsloop reads the data as it is (a warning says so).
    pre_processing_component: str | None = None


Features = Literal["all"] | list[str] | dict[str, int]


class MonitorSignal(SpecModel):
    type: SignalType
    production_data: MonitorInput | None = None
    reference_data: MonitorInput | None = None
    features: Features | None = None
    metric_thresholds: dict[str, Any] = Field(default_factory=dict)
    alert_enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _known_type(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("type") not in (None, *SIGNAL_TYPES):
            raise ValueError(
                f"signal type {data.get('type')!r} is not supported; use one of "
                f"{', '.join(SIGNAL_TYPES)}"
            )
        return data

    @field_validator("features")
    @classmethod
    def _features(cls, value: Features | None) -> Features | None:
        if isinstance(value, dict):
            top = value.get("top_n_feature_importance")
            if set(value) != {"top_n_feature_importance"} or not isinstance(top, int) or top < 1:
                raise ValueError(
                    "use all, a list of names, or top_n_feature_importance: N (N >= 1)"
                )
        return value

    @field_validator("metric_thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, Any]) -> dict[str, Any]:
        def check(path: str, item: Any) -> None:
            if isinstance(item, dict):
                for key, inner in item.items():
                    check(f"{path}.{key}" if path else str(key), inner)
            elif item is not None and (
                isinstance(item, bool) or not isinstance(item, int | float) or item < 0
            ):
                raise ValueError(f"{path}: a threshold is a non-negative number, not {item!r}")

        check("", value)
        return value


class MonitoringTarget(SpecModel):
    ml_task: MlTask | None = None
    endpoint_deployment_id: str = Field(
        validation_alias=AliasChoices("endpoint_deployment_id", "endpoint_deployment"),
        description="endpoint:deployment, endpoint/deployment or azureml:endpoint:deployment",
    )

    @field_validator("endpoint_deployment_id")
    @classmethod
    def _target(cls, value: str) -> str:
        endpoint, deployment = split_target(value)
        return f"{endpoint}:{deployment}"

    @property
    def endpoint(self) -> str:
        return split_target(self.endpoint_deployment_id)[0]

    @property
    def deployment(self) -> str:
        return split_target(self.endpoint_deployment_id)[1]


def split_target(value: str) -> tuple[str, str]:
    text = strip_alias(value.strip())
    for separator in (":", "/"):
        endpoint, found, deployment = text.partition(separator)
        if found and endpoint and deployment and separator not in deployment:
            return endpoint, deployment
    raise ValueError(
        f"{value!r} names no deployment; use endpoint:deployment, endpoint/deployment or "
        "azureml:endpoint:deployment"
    )


class AlertNotification(SpecModel):
    emails: list[str] = Field(default_factory=list)

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for email in value:
            if "@" not in email.strip(" @"):
                raise ValueError(f"{email!r} is not an email address")
        return value


class MonitorDefinition(SpecModel):
    """What Azure ML's ``create_monitor`` holds."""

    monitoring_target: MonitoringTarget
    monitoring_signals: dict[str, MonitorSignal] = Field(default_factory=dict)
    alert_notification: AlertNotification | None = None
    # Monitors run in the opsloop process that runs them; a Spark compute has no meaning.
    compute: dict[str, Any] | str | None = None

    @field_validator("monitoring_signals")
    @classmethod
    def _signal_names(cls, value: dict[str, MonitorSignal]) -> dict[str, MonitorSignal]:
        for name in value:
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", name):
                raise ValueError(f"signal name {name!r}: letters, digits, '_', '-', '.'")
        return value


class MonitorSpec(MonitorDefinition):
    """A monitor: a name and a definition."""

    name: AssetName
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    # An Azure ML schedule file's trigger: kept for `opsloop schedule create`, not run here.
    trigger: dict[str, Any] | None = None


class MonitorScheduleFile(SpecModel):
    """An Azure ML schedule file that creates a monitor."""

    name: AssetName
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    trigger: dict[str, Any] | None = None
    create_monitor: MonitorDefinition


def monitor_from_data(
    data: dict[str, Any], *, file: str | None = None, lines: Any = None
) -> MonitorSpec:
    """A monitor from a bare definition or an Azure ML schedule with ``create_monitor``."""
    if "create_monitor" in data:
        schedule: MonitorScheduleFile = validate_spec(
            MonitorScheduleFile, data, file=file, lines=lines
        )
        return MonitorSpec(
            name=schedule.name,
            display_name=schedule.display_name,
            description=schedule.description,
            tags=schedule.tags,
            trigger=schedule.trigger,
            **schedule.create_monitor.model_dump(by_alias=False, exclude_none=True),
        )
    spec: MonitorSpec = validate_spec(MonitorSpec, data, file=file, lines=lines)
    return spec


def load_monitor_file(path: str | Path, overrides: list[str] | None = None) -> MonitorSpec:
    """Read a monitor file (``--set key.path=value`` overrides applied); errors name its
    file, line and field."""
    data, lines = read_yaml(Path(path))
    if overrides:
        data = apply_overrides(data, overrides)
    return monitor_from_data(data, file=str(path), lines=lines)


def monitor_warnings(spec: MonitorSpec) -> list[str]:
    """Keys accepted (so Azure ML files load) that opsloop does not act on."""
    found = []
    for name, signal in spec.monitoring_signals.items():
        for side in ("production_data", "reference_data"):
            given = getattr(signal, side)
            if given is not None and given.pre_processing_component:
                found.append(
                    f"monitoring_signals.{name}.{side}.pre_processing_component: not run; "
                    "opsloop reads the data as it is"
                )
    if spec.compute is not None:
        found.append("compute: monitors run in the opsloop process that runs them")
    return found


__all__ = [
    "MonitorSignal",
    "MonitorSpec",
    "ValidationError",
    "load_monitor_file",
    "monitor_from_data",
    "parse_duration",
]
