"""Monitor specs: Azure ML's shapes load, bad values name file, line and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from helpers import write
from opsloop import ValidationError
from opsloop.specs.monitor import load_monitor_file, monitor_warnings, parse_duration

EXAMPLE = (
    Path(__file__).parents[2] / "examples" / "classical" / "mlops" / "monitoring" / "monitor.yml"
)

# The shape of Azure ML's schedule files that create a monitor (keys it has, opsloop ignores).
SCHEDULE = """\
$schema: http://azureml/sdk-2-0/Schedule.json
name: loan_monitoring
display_name: Loan model monitoring
trigger:
  type: recurrence
  frequency: day
  interval: 1
  schedule:
    hours: 4
    minutes: 30
create_monitor:
  compute:
    instance_type: standard_e4s_v3
    runtime_version: "3.4"
  monitoring_target:
    ml_task: classification
    endpoint_deployment_id: azureml:loans:main
  monitoring_signals:
    drift:
      type: data_drift
      production_data:
        input_data:
          path: azureml:loan_inputs:2
          type: uri_folder
        data_context: model_inputs
        pre_processing_component: azureml:flatten:1.0.0
      reference_data:
        input_data:
          path: azureml:loan_train:1
          type: mltable
        data_context: training
        data_column_names:
          target_column: defaulted
      features:
        top_n_feature_importance: 4
      alert_enabled: true
      metric_thresholds:
        numerical:
          jensen_shannon_distance: 0.02
        categorical:
          pearsons_chi_squared_test: 0.05
    attribution:
      type: feature_attribution_drift
      reference_data:
        input_data:
          path: azureml:loan_train:1
          type: mltable
      metric_thresholds:
        normalized_discounted_cumulative_gain: 0.85
  alert_notification:
    emails:
      - risk@example.com
"""


def test_an_azure_ml_schedule_with_create_monitor_loads(tmp_path: Path) -> None:
    spec = load_monitor_file(write(tmp_path / "schedule.yml", SCHEDULE))
    assert spec.name == "loan_monitoring" and spec.trigger is not None
    assert spec.trigger["frequency"] == "day"
    target = spec.monitoring_target
    assert (target.endpoint, target.deployment, target.ml_task) == (
        "loans",
        "main",
        "classification",
    )
    drift = spec.monitoring_signals["drift"]
    assert drift.reference_data is not None and drift.reference_data.input_data is not None
    assert drift.reference_data.input_data.path == "loan_train:1"  # azureml: dropped
    assert drift.features == {"top_n_feature_importance": 4}
    assert drift.metric_thresholds["categorical"] == {"pearsons_chi_squared_test": 0.05}
    assert spec.alert_notification is not None
    assert spec.alert_notification.emails == ["risk@example.com"]
    assert any("pre_processing_component" in w for w in monitor_warnings(spec))


@pytest.mark.parametrize("target", ["ep:blue", "ep/blue", "azureml:ep:blue"])
def test_a_deployment_is_named_in_each_form(tmp_path: Path, target: str) -> None:
    text = f"name: m\nmonitoring_target:\n  endpoint_deployment: {target}\n"
    spec = load_monitor_file(write(tmp_path / "m.yml", text))
    assert (spec.monitoring_target.endpoint, spec.monitoring_target.deployment) == ("ep", "blue")
    assert spec.monitoring_signals == {}  # the default signals run


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("  bad_drift:\n    type: custom\n", 5, "monitoring_signals.bad_drift", "'custom' is not supported"),
        ("  d:\n    type: data_drift\n    production_data:\n      data_window:\n"
         "        lookback_window_size: P1M\n", 9,
         "monitoring_signals.d.production_data.data_window.lookback_window_size", "ISO-8601"),
        ("  d:\n    type: data_drift\n    features:\n      top_n_feature_importance: 0\n", 7,
         "monitoring_signals.d.features", "top_n_feature_importance"),
        ("  d:\n    type: data_drift\n    metric_thresholds:\n      numerical:\n"
         "        jensen_shannon_distance: -1\n", 7,
         "monitoring_signals.d.metric_thresholds", "non-negative"),
        ("  d:\n    type: data_drift\n    alert_enable: true\n", 7,
         "monitoring_signals.d.alert_enable", "did you mean alert_enabled"),
    ],
)  # fmt: skip
def test_spec_errors_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, words: str
) -> None:
    path = write(
        tmp_path / "m.yml",
        "name: m\nmonitoring_target:\n  endpoint_deployment_id: ep:blue\nmonitoring_signals:\n"
        + text,
    )
    with pytest.raises(ValidationError) as caught:
        load_monitor_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: {field}: "), str(caught.value)
    assert words in str(caught.value)


def test_a_target_without_deployment_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "m.yml", "name: m\nmonitoring_target:\n  endpoint_deployment_id: ep\n")
    with pytest.raises(
        ValidationError,
        match=r"m.yml:3: monitoring_target.endpoint_deployment_id: 'ep' names no deployment",
    ):
        load_monitor_file(path)


def test_durations() -> None:
    assert parse_duration("P7D") == timedelta(days=7)
    assert parse_duration("P1DT6H30M") == timedelta(days=1, hours=6, minutes=30)
    assert parse_duration("PT90S") == timedelta(seconds=90)
    assert parse_duration("P2W") == timedelta(weeks=2)
    for bad in ("P1M", "P1Y", "7D", "P", "PT", "P1DT"):
        with pytest.raises(ValueError, match="ISO-8601"):
            parse_duration(bad)


def test_the_example_monitor_loads() -> None:
    spec = load_monitor_file(EXAMPLE)
    assert spec.monitoring_target.endpoint_deployment_id == "taxi-fare:first-release"
    assert {s.type for s in spec.monitoring_signals.values()} == {
        "data_drift", "prediction_drift", "data_quality", "endpoint_operations",
    }  # fmt: skip
