"""The service-side runtime (Platform) and the per-call ServiceContext."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from opsloop.catalogue.actions import Action
from opsloop.catalogue.events import EventPayload
from opsloop.config import Settings
from opsloop.errors import PermissionDeniedError
from opsloop.security.actor import Actor
from opsloop.security.authorization import AllowAll, Authorizer
from opsloop.security.private_files import make_private_dir
from opsloop.security.roles import request_scope
from opsloop.security.secrets_at_rest import SecretBox
from opsloop.services.tracking import Tracking
from opsloop.store.artifacts import ArtifactStore
from opsloop.store.audit import append_audit
from opsloop.store.database import Database
from opsloop.store.tables import OutboxEventRow, new_id

if TYPE_CHECKING:
    from opsloop.services.events import EventSubscriber

log = logging.getLogger(__name__)


class _RolledBack(Exception):
    """Ends a dry run's transaction by rolling it back."""


class Platform:
    """Everything the services need that outlives one call: settings, stores, hooks."""

    def __init__(self, settings: Settings | None = None, authorizer: Authorizer | None = None):
        self.settings = settings or Settings()
        if not self.settings.database_url:
            make_private_dir(self.settings.resolved_home())
        self.secret_box = SecretBox.for_settings(self.settings)
        self.database = Database(self.settings.resolved_database_url())
        self.database.migrate(self.secret_box)
        self.artifacts = ArtifactStore(self.settings.resolved_artifact_uri())
        self.authorizer = authorizer or AllowAll()
        self._tracking: Tracking | None = None
        # In-process event subscribers (schedules, monitors, actions); webhooks live in the
        # store. The dispatcher delivers to both.
        self.subscribers: list[EventSubscriber] = []
        # Off for `opsloop server --no-launch-jobs` (the API fuzzer) and tests that look at
        # submitted jobs without running them.
        self.launch_jobs = True

    @property
    def tracking(self) -> Tracking:
        if self._tracking is None:
            self._tracking = Tracking(self.settings, self.artifacts.root_url)
        return self._tracking

    @contextmanager
    def context(self, actor: Actor, *, dry_run: bool = False) -> Iterator[ServiceContext]:
        """One transaction. On failure, the attempted actions are audited as failed; on
        success, the effects the call declared with ``after_commit`` run, in order.

        ``dry_run``: the call is checked and answers as it would, then everything it wrote
        is rolled back (rows, events, audit records) and no effect runs; only a refusal
        for want of permission is audited. One mechanism for every ``create --dry-run``."""
        ctx: ServiceContext | None = None
        try:
            with self.database.transaction() as session:
                ctx = ServiceContext(session=session, actor=actor, platform=self, dry_run=dry_run)
                yield ctx
                if dry_run:
                    raise _RolledBack
        except _RolledBack:
            return
        except Exception as exc:
            audited = not dry_run or isinstance(exc, PermissionDeniedError)
            if ctx is not None and ctx.attempted and audited:
                self._audit_failure(actor, ctx.attempted, exc, ctx.elevation)
            raise
        for effect in ctx.committed_effects:
            effect()

    @contextmanager
    def between_transactions(
        self, actor: Actor, action: Action, workspace: str | None, target: str | None
    ) -> Iterator[None]:
        """Slow work a call does between two transactions (so no lock is held meanwhile);
        a failure is audited as one inside a transaction would be."""
        try:
            yield
        except Exception as exc:
            self._audit_failure(actor, [(action, workspace, target)], exc)
            raise

    def _audit_failure(
        self,
        actor: Actor,
        attempted: list[tuple[Action, str | None, str | None]],
        exc: Exception,
        elevation: str | None = None,
    ) -> None:
        try:
            denied = isinstance(exc, PermissionDeniedError)
            reason = str(exc)
            if isinstance(exc, PermissionDeniedError):
                reason = str(exc.details.get("reason", exc))
            with self.database.transaction() as session:
                for action, workspace, target in attempted:
                    append_audit(
                        session,
                        actor,
                        action=action.value,
                        workspace=workspace,
                        target=target,
                        scope=request_scope(workspace, target),
                        outcome="denied" if denied else "failed",
                        reason=reason[:2000],
                        detail={
                            "error": str(exc)[:2000],
                            "error_type": type(exc).__name__,
                            **({"elevation": elevation} if elevation else {}),
                        },
                    )
        except Exception:  # the original error matters more than a failed audit write
            log.exception("could not audit a failed call")


@dataclass
class ServiceContext:
    session: Session
    actor: Actor
    platform: Platform
    attempted: list[tuple[Action, str | None, str | None]] = field(default_factory=list)
    committed_effects: list[Callable[[], object]] = field(default_factory=list)
    # The just-in-time elevation that allowed this call, if one did: every audit record
    # the call writes names it.
    elevation: str | None = None
    dry_run: bool = False  # everything it writes is rolled back (Platform.context)

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def secret_box(self) -> SecretBox:
        """Seals the secrets a call stores. A dry run's seals with a throwaway key: what it
        seals is never kept, and checking a create must not make the master key file."""
        if not self.dry_run:
            return self.platform.secret_box
        from cryptography.fernet import Fernet

        return SecretBox(self.platform.secret_box.key_file, Fernet.generate_key().decode())

    @property
    def artifacts(self) -> ArtifactStore:
        return self.platform.artifacts

    def authorize(
        self, action: Action, workspace: str | None = None, target: str | None = None
    ) -> None:
        """Read access check; call at the top of every read entry point. A denied read is
        audited (a granted one is not: reads would flood the log)."""
        try:
            elevation = self.platform.authorizer.authorize(
                self.session, self.actor, action, workspace, target
            )
        except PermissionDeniedError:
            self.attempted.append((action, workspace, target))
            raise
        if elevation:
            # A read under elevation is audited too (reads are not, otherwise); a failure
            # later in the call is audited as failed, naming the elevation.
            self.elevation = elevation
            self.attempted.append((action, workspace, target))
            append_audit(
                self.session,
                self.actor,
                action=action.value,
                workspace=workspace,
                target=target,
                scope=request_scope(workspace, target),
                outcome="succeeded",
                reason=f"allowed under elevation {elevation}",
                detail={"elevation": elevation},
            )

    def begin_mutation(self, action: Action, workspace: str | None, target: str | None) -> None:
        """Authorise a mutating call and remember it, so a failure is audited too."""
        self.attempted.append((action, workspace, target))
        elevation = self.platform.authorizer.authorize(
            self.session, self.actor, action, workspace, target
        )
        if elevation:
            self.elevation = elevation

    def begin_own_mutation(self, action: Action, target: str | None) -> None:
        """A change to the caller's own credentials, which needs no role (its API tokens):
        remembered, so that a failure is audited as ``begin_mutation``'s are."""
        self.attempted.append((action, None, target))

    def after_commit(self, effect: Callable[[], object]) -> None:
        """Run ``effect`` once this call's transaction has committed (never if it rolls
        back): starting a job's runner, for example, which must find the job stored."""
        self.committed_effects.append(effect)

    def record(
        self,
        action: Action,
        *,
        workspace: str | None,
        target: str | None,
        event: EventPayload,
    ) -> None:
        """Write the event (outbox) and the audit entry in the caller's transaction."""
        now = datetime.now(UTC)
        data = event.model_dump(mode="json")
        self.session.add(
            OutboxEventRow(
                event_id=new_id(),
                at=now,
                type=event.event_type,
                workspace=workspace,
                subject=target,
                actor=str(self.actor),
                payload=data,
            )
        )
        append_audit(
            self.session,
            self.actor,
            action=action.value,
            workspace=workspace,
            target=target,
            scope=request_scope(workspace, target),
            outcome="succeeded",
            reason=f"allowed under elevation {self.elevation}" if self.elevation else None,
            detail={**data, "elevation": self.elevation} if self.elevation else data,
            at=now,
        )
