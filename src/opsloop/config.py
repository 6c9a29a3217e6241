"""Typed settings: where opsloop keeps its metadata, artifacts and MLflow tracking data.

Embedded (the default) keeps everything under one home folder (``./.opsloop`` or
``OPSLOOP_HOME``): a SQLite metadata database, an artifact folder and MLflow's own SQLite
database. A team points ``OPSLOOP_DATABASE_URL`` at PostgreSQL; MLflow then gets its own
schema in the same database unless ``OPSLOOP_MLFLOW_TRACKING_URI`` says otherwise. Secrets in
the store are encrypted with ``OPSLOOP_MASTER_KEY`` or the home's ``master.key`` file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

ENV_PREFIX = "opsloop_"


class Settings(BaseModel):
    """Settings read from ``OPSLOOP_*`` environment variables (``OPSLOOP_HOME`` is ``home``;
    names in any case); a value given to the constructor wins over the environment.

    A plain model reading the environment itself: pydantic-settings, with its sources for
    files and clouds, costs every CLI call about 60 ms of imports for the same result."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    home: Path = Field(default=Path(".opsloop"), description="Embedded home folder.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the metadata store."
    )
    artifact_uri: str | None = Field(default=None, description="fsspec URL of the artifact store.")
    mlflow_tracking_uri: str | None = Field(default=None, description="MLflow tracking URI.")
    uri: str | None = Field(default=None, description="URL of a remote opsloop server.")
    token: SecretStr | None = Field(
        default=None,
        description="API token for a remote server (default: the profile's, for that URL).",
    )
    profile: Path | None = Field(
        default=None,
        description="File of saved server tokens, written by `opsloop login` "
        "(default: ~/.opsloop/profile).",
    )
    max_parallel_steps: int = Field(default=4, ge=1, description="Steps a job runs at once.")
    step_log_tail_lines: int = Field(default=20, ge=1)
    runner_heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="Seconds between a job runner's heartbeats."
    )
    runner_lost_after_s: float = Field(
        default=30.0, gt=0, description="Heartbeat age after which a job's runner is lost."
    )
    sweep_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between sweeps for lost runners: a lost job is Failed within "
        "runner_lost_after_s + sweep_interval_s (40 s by default).",
    )
    request_log_retention_days: int = Field(
        default=30, ge=0, description="Days the endpoint traffic log keeps a row (0: forever)."
    )
    lease_ttl_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds a background lease lasts unless renewed: the longest a dead "
        "holder's work waits before another process takes it over.",
    )
    schedule_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between the scheduler's looks for due schedules: a tick "
        "fires at most this late (plus lease_ttl_s after its holder dies).",
    )
    workspace_checks_interval_s: float = Field(
        default=3600.0,
        gt=0,
        description="Seconds between the background checks of every workspace's cost "
        "against its budget and of preproduction workspaces' staleness.",
    )
    event_poll_interval_s: float = Field(
        default=0.5, gt=0, description="Seconds between the dispatcher's reads of the outbox."
    )
    event_late_commit_grace_s: float = Field(
        default=10.0,
        ge=0,
        description="Seconds the dispatcher waits at a gap in the outbox's sequence for a "
        "transaction that may still commit the missing event (PostgreSQL).",
    )
    event_max_attempts: int = Field(
        default=8,
        ge=1,
        description="Deliveries of one event to one subscriber before it is "
        "given up on (recorded as a dead letter).",
    )
    event_retry_base_s: float = Field(
        default=1.0,
        gt=0,
        description="A failed delivery waits this times 2 to the number of attempts before "
        "the next (2, 4, 8 ... s by default).",
    )
    event_retry_max_s: float = Field(
        default=300.0, gt=0, description="The longest wait between two delivery attempts."
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="One webhook call's limit.")
    local_server: bool = Field(
        default=True,
        description="Embedded, the CLI keeps the home's API warm in a local server process "
        "between calls (OPSLOOP_LOCAL_SERVER=0 turns it off); see docs/architecture.md.",
    )
    local_server_idle_s: float = Field(
        default=900.0, gt=0, description="Seconds without a request after which it ends."
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email actions (none: email actions fail)."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    smtp_from: str = Field(default="opsloop@localhost", description="Sender of email actions.")
    smtp_username: str | None = Field(default=None, description="SMTP login, when it needs one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection to TLS.")
    master_key: SecretStr | None = Field(
        default=None,
        description="Key that encrypts the store's secrets (default: the home's master.key file).",
    )
    elevation_max_duration: str = Field(
        default="8h",
        description="Longest a just-in-time elevation may last (90s, 15m, 2h, 1d), for roles "
        "elevation_role_max_durations does not name.",
    )
    elevation_role_max_durations: dict[str, str] = Field(
        default_factory=dict,
        description='Longest elevation per role, e.g. {"Owner": "2h"} (JSON in the '
        "environment variable).",
    )

    @field_validator("elevation_role_max_durations", mode="before")
    @classmethod
    def _json_mapping(cls, value: Any) -> Any:
        # From the environment the mapping arrives as JSON text.
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("elevation_max_duration")
    @classmethod
    def _a_duration(cls, value: str) -> str:
        from opsloop.specs.durations import duration_seconds

        duration_seconds(value)
        return value

    # Sign-in with an OIDC identity provider (docs/security.md): off unless an issuer is set.
    oidc_issuer: str | None = Field(
        default=None,
        description="Accept OIDC JWTs from this issuer (its 'iss' claim) as bearer tokens.",
    )
    oidc_audience: str | None = Field(
        default=None, description="The 'aud' an OIDC token must carry (the app's client id)."
    )
    oidc_jwks: str | None = Field(
        default=None,
        description="The issuer's signing keys (JWKS): an http(s):// URL, or a file.",
    )
    oidc_subject_claim: str = Field(
        default="sub",
        min_length=1,
        description="The claim whose value is the principal's name (dots reach nested claims).",
    )
    oidc_groups_claim: str = Field(
        default="groups",
        min_length=1,
        description="The claim listing the caller's groups, matched to opsloop group names.",
    )
    oidc_algorithms: list[str] = Field(
        default=["RS256", "ES256"],
        description="Signature algorithms accepted (comma-separated in the environment).",
    )
    oidc_auto_provision: bool = Field(
        default=True,
        description="Create a user principal on its first sign-in (it holds no role until "
        "assigned one or its groups hold one); off: the principal must exist.",
    )
    oidc_jwks_refresh_s: float = Field(
        default=300.0,
        gt=0,
        description="Least seconds between reads of the key set (a token with an unknown "
        "key id makes one read).",
    )
    oidc_leeway_s: float = Field(
        default=30.0, ge=0, description="Clock skew allowed on exp, nbf and iat, in seconds."
    )

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _algorithm_list(cls, value: Any) -> Any:
        return [part.strip() for part in value.split(",")] if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        if not isinstance(given, dict):
            return given
        environment = {name.lower(): value for name, value in os.environ.items()}
        found = {
            field: environment[ENV_PREFIX + field]
            for field in cls.model_fields
            if ENV_PREFIX + field in environment
        }
        return {**found, **given}

    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return _normalise_postgres_driver(self.database_url)
        return f"sqlite:///{self.resolved_home() / 'opsloop.db'}"

    def resolved_artifact_uri(self) -> str:
        if self.artifact_uri:
            return self.artifact_uri.rstrip("/")
        return (self.resolved_home() / "artifacts").as_uri()

    def resolved_mlflow_tracking_uri(self) -> str:
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        url = self.resolved_database_url()
        if url.startswith("postgresql"):
            # MLflow owns its tables; keep them in their own schema of the same database
            # (beside ours: "<schema>_mlflow" when ours is not the default one).
            match = re.search(r"search_path(?:%3D|=)(\w+)", url)
            schema = f"{match[1]}_mlflow" if match else "mlflow"
            base = re.sub(r"[?&]options=[^&]*", "", url)
            separator = "&" if "?" in base else "?"
            return f"{base}{separator}options=-csearch_path%3D{schema}"
        return f"sqlite:///{self.resolved_home() / 'mlflow.db'}"

    def is_remote(self) -> bool:
        return bool(self.uri) and str(self.uri).startswith(("http://", "https://"))


def _normalise_postgres_driver(url: str) -> str:
    # Users write postgresql://...; we ship psycopg 3, not psycopg2.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url
