"""Online and batch endpoint and deployment specs, in Azure ML's managed endpoint shape.

Key names and defaults follow Azure ML (``request_timeout_ms`` 5000,
``max_concurrent_requests_per_instance`` 1, ``mini_batch_size`` 10, ...). opsloop adds
``inference_runtime`` (``auto``, ``native`` or ``onnx``) and ``max_request_body_bytes``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from opsloop.specs.base import AssetName, NamedSpec, SpecModel
from opsloop.specs.environment import InlineEnvironmentSpec

AuthMode = Literal["key", "token", "aml_token"]
InferenceRuntime = Literal["auto", "native", "onnx"]
# The issue that made ``auto`` the default calls the model's own flavor ``sklearn``; it is
# read as ``native`` (which covers every flavor), so one spelling is stored and shown.
_RUNTIME_ALIASES = {"sklearn": "native"}


def _env_text(value: object) -> object:
    if isinstance(value, dict):
        return {key: str(item) if item is not None else "" for key, item in value.items()}
    return value


class OnlineEndpointSpec(NamedSpec):
    """``traffic`` maps deployment -> percent (sum 0 or 100); ``mirror_traffic`` one shadow."""

    auth_mode: AuthMode = "key"
    traffic: dict[str, int] = Field(default_factory=dict)
    mirror_traffic: dict[str, int] = Field(default_factory=dict)

    @field_validator("traffic")
    @classmethod
    def _live_split(cls, value: dict[str, int]) -> dict[str, int]:
        check_percentages(value)
        check_total(value)
        return value

    @field_validator("mirror_traffic")
    @classmethod
    def _mirror_split(cls, value: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        check_percentages(value)
        check_mirror(info.data.get("traffic") or {}, value)
        return value


def check_percentages(split: dict[str, int]) -> None:
    for deployment, percent in split.items():
        if not 0 <= percent <= 100:
            raise ValueError(f"{deployment}: a percentage must be between 0 and 100")


def check_total(traffic: dict[str, int]) -> None:
    """Azure's rule: live traffic sums to 0 or 100."""
    total = sum(traffic.values())
    if total not in (0, 100):
        raise ValueError(f"traffic must add up to 0 or 100 percent, not {total}")


def check_mirror(traffic: dict[str, int], mirror: dict[str, int]) -> None:
    """Azure's rules: one mirror, at most 50%, not a deployment that takes live traffic."""
    mirrored = {name: percent for name, percent in mirror.items() if percent > 0}
    if len(mirrored) > 1:
        raise ValueError("mirror_traffic can name only one deployment")
    for name, percent in mirrored.items():
        if percent > 50:
            raise ValueError(f"mirror_traffic for {name} can be at most 50 percent")
        if traffic.get(name, 0) > 0:
            raise ValueError(f"{name} takes live traffic, so it cannot also take mirror traffic")


class CodeConfiguration(SpecModel):
    code: str
    scoring_script: str


class RequestSettings(SpecModel):
    request_timeout_ms: int = Field(default=5000, gt=0)
    max_concurrent_requests_per_instance: int = Field(default=1, gt=0)
    max_queue_wait_ms: int | None = Field(
        default=None, ge=0, description="How long a request may wait for a free slot (0: none)."
    )


class ProbeSettings(SpecModel):
    initial_delay: int = Field(default=10, ge=0)
    period: int = Field(default=10, gt=0)
    timeout: int = Field(default=2, gt=0)
    success_threshold: int = Field(default=1, gt=0)
    failure_threshold: int = Field(default=30, gt=0)


class DataCollection(SpecModel):
    enabled: bool = True
    data: dict[str, Any] | None = None


CollectionName = Literal["model_inputs", "model_outputs", "request", "response"]


class DataCollector(SpecModel):
    """Which payloads to keep and how often; written as Parquet off the request path."""

    collections: dict[CollectionName, DataCollection] = Field(default_factory=dict)
    sampling_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    rolling_rate: Literal["minute", "hour", "day"] = "hour"
    flush_interval_s: float = Field(default=5.0, gt=0)
    durability: Literal["buffered", "durable"] = Field(
        default="buffered",
        description="buffered: rows wait in memory for the next flush (a crash loses up to "
        "one flush_interval_s); durable: each request's rows are appended to a spool file "
        "on the local disk before it is answered (a killed process loses none).",
    )

    @field_validator("collections", mode="before")
    @classmethod
    def _enabled_text(cls, value: object) -> object:
        # Azure writes `model_inputs: {enabled: 'True'}`.
        if isinstance(value, dict):
            return {
                name: (
                    {"enabled": str(item.get("enabled", True)).lower() == "true"}
                    | {key: val for key, val in item.items() if key != "enabled"}
                )
                if isinstance(item, dict)
                else item
                for name, item in value.items()
            }
        return value


class OnlineDeploymentSpec(NamedSpec):
    endpoint_name: AssetName
    model: str | None = None
    code_configuration: CodeConfiguration | None = None
    environment: str | InlineEnvironmentSpec | None = None
    instance_type: str | None = None
    instance_count: int = Field(default=1, gt=0)
    environment_variables: dict[str, str] = Field(default_factory=dict)
    request_settings: RequestSettings = Field(default_factory=RequestSettings)
    liveness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    readiness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    data_collector: DataCollector | None = None
    app_insights_enabled: bool = False
    inference_runtime: InferenceRuntime = Field(
        default="auto",
        description="auto: ONNX Runtime where the model converts and predicts the same on its "
        "input example, the model's own flavor otherwise; native (or sklearn): always the "
        "model's own flavor; onnx: ONNX Runtime or the deployment is refused.",
    )
    max_request_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)

    _coerce_env = field_validator("environment_variables", mode="before")(
        lambda cls, value: _env_text(value)
    )

    @field_validator("inference_runtime", mode="before")
    @classmethod
    def _runtime_alias(cls, value: object) -> object:
        return _RUNTIME_ALIASES.get(value, value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _model_or_script(self) -> OnlineDeploymentSpec:
        if self.model is None and self.code_configuration is None:
            raise ValueError("a deployment needs a model, a code_configuration, or both")
        if self.inference_runtime == "onnx" and self.code_configuration is not None:
            raise ValueError(
                "inference_runtime onnx applies to MLflow models without a scoring script"
            )
        return self


class BatchEndpointSpec(NamedSpec):
    auth_mode: AuthMode = "aml_token"
    defaults: dict[str, str] = Field(default_factory=dict)

    @field_validator("defaults")
    @classmethod
    def _known_defaults(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - {"deployment_name"}
        if unknown:
            raise ValueError(f"unknown default {sorted(unknown)[0]!r}; only deployment_name")
        return value


class BatchRetrySettings(SpecModel):
    max_retries: int = Field(default=3, ge=0)
    timeout: int = Field(default=30, gt=0, description="Seconds per mini-batch.")


class BatchDeploymentSpec(NamedSpec):
    endpoint_name: AssetName
    type: Literal["model"] = "model"
    model: str
    code_configuration: CodeConfiguration | None = None
    environment: str | InlineEnvironmentSpec | None = None
    compute: str | None = None
    resources: dict[str, Any] = Field(default_factory=dict)
    mini_batch_size: int = Field(default=10, gt=0)
    max_concurrency_per_instance: int = Field(default=1, gt=0)
    retry_settings: BatchRetrySettings = Field(default_factory=BatchRetrySettings)
    error_threshold: int = Field(default=-1, ge=-1)
    output_action: Literal["append_row", "summary_only"] = "append_row"
    output_file_name: str = Field(
        default="predictions.csv",
        description="append_row's file in the job's output folder: Parquet when it ends in "
        ".parquet, CSV otherwise.",
    )
    logging_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    environment_variables: dict[str, str] = Field(default_factory=dict)
    inference_runtime: InferenceRuntime = Field(
        default="auto",
        description="As for online deployments: auto: ONNX Runtime where the model converts "
        "and predicts the same on its input example, the model's own flavor otherwise; "
        "native: always the model's own flavor; onnx: ONNX Runtime or the job fails.",
    )

    _coerce_env = field_validator("environment_variables", mode="before")(
        lambda cls, value: _env_text(value)
    )
    _runtime_alias = field_validator("inference_runtime", mode="before")(
        lambda cls, value: _RUNTIME_ALIASES.get(value, value) if isinstance(value, str) else value
    )

    @model_validator(mode="after")
    def _onnx_without_script(self) -> BatchDeploymentSpec:
        if self.inference_runtime == "onnx" and self.code_configuration is not None:
            raise ValueError(
                "inference_runtime onnx applies to MLflow models without a scoring script"
            )
        return self

    @field_validator("logging_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value
