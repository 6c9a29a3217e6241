"""An endpoint as the runtime holds it: loaded deployments, their limits, its traffic split.

A ``LiveEndpoint`` is immutable once built. Changes (traffic, a new deployment, a new
model version) build a new one beside it, reusing every deployment that did not change,
and the runtime swaps the reference: requests already running finish on the snapshot
they started with, so nothing in flight is dropped.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt

from opsloop.scoring.bundle import DeploymentBundle, EndpointBundle
from opsloop.scoring.predictors import Predictor, TabularPredictor, load_predictor
from opsloop.scoring.protocols import Rows
from opsloop.security.log_masking import mask_logger, mask_text
from opsloop.serving.online.batching import InlineBatcher
from opsloop.serving.online.routing import TrafficSplit

if TYPE_CHECKING:
    from opsloop.serving.collection.collector import PayloadCollector

# Waiters beyond this many per allowed request are refused at once (429), never queued.
WAITERS_PER_SLOT = 4
# The inline path: only models whose single-row latency was measured in the pool first.
INLINE_AFTER = 20
INLINE_MAX_ROWS = 16
INLINE_BUDGET_S = 0.002
INLINE_KINDS = frozenset(("sklearn", "onnx"))
LoggerFactory = Callable[[str, str], logging.Logger]


class ConcurrencyGate:
    """At most ``limit`` requests in the model; a short bounded wait, then 429."""

    def __init__(self, limit: int, max_wait_s: float) -> None:
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_enter(self) -> bool:
        """Take a slot without waiting, if one is free and nobody is queued for it."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        return False

    async def acquire(self) -> float | None:
        """Seconds waited, or None when over capacity (the caller answers 429)."""
        if self.try_enter():
            return 0.0
        if self.max_wait_s <= 0 or len(self._waiters) >= self.limit * WAITERS_PER_SLOT:
            return None
        started = time.perf_counter()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.max_wait_s)
        except TimeoutError:
            if waiter.done():  # the slot arrived as the wait ran out: hand it on
                self.release()
            else:
                waiter.cancel()
                self._waiters.remove(waiter)
            return None
        return time.perf_counter() - started

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to the waiter
                return
        self.in_flight -= 1


_BEARER = b"Bearer "


class Authenticator:
    """``Authorization: Bearer <key or token>``; verified tokens are cached until expiry."""

    def __init__(self, bundle: EndpointBundle) -> None:
        self.mode = bundle.spec.auth_mode
        self.keys = tuple(key.encode() for key in bundle.keys)
        self.secret = bundle.token_secret
        self.audience = f"opsloop-endpoint:{bundle.name}"
        self._tokens: dict[bytes, float] = {}

    def check(self, authorization: bytes | None) -> str | None:
        """The auth type that let the request in, or None."""
        if not authorization:
            return None
        # The usual spelling first; the scheme is case-insensitive (RFC 9110).
        if not authorization.startswith(_BEARER) and authorization[:7].lower() != b"bearer ":
            return None
        credential = authorization[7:].strip()
        if self.mode == "key":
            for key in self.keys:
                if hmac.compare_digest(credential, key):
                    return "key"
            return None
        expires = self._tokens.get(credential)
        if expires is not None and expires > time.time():
            return "token"
        if self.secret is None:
            return None
        try:
            claims = jwt.decode(
                credential, self.secret, algorithms=["HS256"], audience=self.audience
            )
        except jwt.PyJWTError:
            return None
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[credential] = float(claims["exp"])
        return "token"


@dataclass
class LiveDeployment:
    bundle: DeploymentBundle
    predictor: Predictor | None
    error: str | None
    gate: ConcurrencyGate
    executor: ThreadPoolExecutor
    timeout_s: float
    max_body_bytes: int
    logger: logging.Logger
    collector: PayloadCollector | None = None
    batcher: InlineBatcher | None = None  # for models that may run on the event loop
    # Running average of model seconds per request, how many requests it has seen, and
    # whether that makes it fast enough for the inline path (kept up to date by observe).
    model_s_average: float = 0.0
    observed: int = 0
    proven_fast: bool = False

    @property
    def name(self) -> str:
        return self.bundle.name

    def observe(self, model_s: float) -> None:
        self.observed += 1
        weight = 1 / min(self.observed, 50)
        average = self.model_s_average = (
            self.model_s_average + (model_s - self.model_s_average) * weight
        )
        self.proven_fast = (
            self.observed >= INLINE_AFTER
            and self.batcher is not None
            and average < INLINE_BUDGET_S
            and average * 50 < self.timeout_s
        )

    def runs_inline(self, rows: Rows) -> bool:
        """Whether to skip the thread pool: small requests to a proven-fast tabular model."""
        return self.proven_fast and len(rows.values) <= INLINE_MAX_ROWS

    async def run_inline(self, rows: Rows) -> Any:
        """Predictions for rows that ``runs_inline``, on the event loop (a thread hand-off
        would cost more than the prediction), in one model call with the other requests of
        this turn of the loop (see batching). The caller holds a slot of the gate."""
        batcher = self.batcher
        assert batcher is not None
        try:
            matrix = batcher.predictor.matrix(rows, batcher.predictor.matrix_dtype)
        except BaseException:
            self.gate.release()  # the batcher releases the slot of what it accepts
            raise
        return await batcher.submit(matrix)

    @classmethod
    def load(
        cls, bundle: DeploymentBundle, endpoint: EndpointBundle, logger: logging.Logger
    ) -> LiveDeployment:
        settings = bundle.spec.request_settings
        predictor: Predictor | None = None
        error: str | None = None
        mask_logger(logger, bundle.masked)  # the secret values its variables were given
        started = time.monotonic()
        try:
            predictor = load_predictor(bundle)
            logger.info(
                "loaded %s (%s, model %s:%s) in %.2f s", bundle.name, predictor.kind,
                bundle.model_name, bundle.model_version, time.monotonic() - started,
            )  # fmt: skip
        except Exception as exc:  # a broken deployment must not take the endpoint down
            error = mask_text(f"{type(exc).__name__}: {exc}", bundle.masked)
            logger.exception("deployment %s failed to load", bundle.name)
        limit = settings.max_concurrent_requests_per_instance
        deployment = cls(
            bundle=bundle,
            predictor=predictor,
            error=error,
            gate=ConcurrencyGate(limit, (settings.max_queue_wait_ms or 0) / 1000),
            executor=ThreadPoolExecutor(limit, thread_name_prefix=f"score-{bundle.name}"),
            timeout_s=settings.request_timeout_ms / 1000,
            max_body_bytes=bundle.spec.max_request_body_bytes,
            logger=logger,
            collector=_collector(bundle, endpoint),
        )
        if isinstance(predictor, TabularPredictor) and predictor.kind in INLINE_KINDS:
            deployment.batcher = InlineBatcher(
                predictor,
                timeout_s=deployment.timeout_s,
                done=deployment.observe,
                release=deployment.gate.release,
            )
        return deployment

    def close(self) -> None:
        """Let running predictions finish, then release threads and flush collected data."""
        self.executor.shutdown(wait=True)
        if self.collector is not None:
            self.collector.close()


def _collector(bundle: DeploymentBundle, endpoint: EndpointBundle) -> PayloadCollector | None:
    spec = bundle.spec.data_collector
    if spec is None or endpoint.collector_root is None:
        return None
    if not any(collection.enabled for collection in spec.collections.values()):
        return None
    from opsloop.serving.collection.collector import PayloadCollector

    collector = PayloadCollector(
        root_url=endpoint.collector_root, endpoint=endpoint.name, deployment=bundle.name, spec=spec
    )
    collector.start()
    return collector


@dataclass
class LiveEndpoint:
    bundle: EndpointBundle
    deployments: dict[str, LiveDeployment]
    split: TrafficSplit
    auth: Authenticator
    ready: bool = field(default=False)

    @property
    def name(self) -> str:
        return self.bundle.name

    @classmethod
    def build(
        cls,
        bundle: EndpointBundle,
        previous: LiveEndpoint | None,
        logger_for: LoggerFactory,
    ) -> LiveEndpoint:
        """Load what changed; keep deployments whose bundle is unchanged as they are."""
        deployments: dict[str, LiveDeployment] = {}
        for name, deployment in bundle.deployments.items():
            kept = previous.deployments.get(name) if previous else None
            if kept is not None and kept.bundle == deployment and kept.error is None:
                deployments[name] = kept
            else:
                deployments[name] = LiveDeployment.load(
                    deployment, bundle, logger_for(bundle.name, name)
                )
        split = TrafficSplit.build(bundle.spec.traffic, bundle.spec.mirror_traffic)
        ready = all(
            deployments[name].predictor is not None for name in split.names if name in deployments
        )
        return cls(bundle, deployments, split, Authenticator(bundle), ready)

    def retired_by(self, successor: LiveEndpoint | None) -> list[LiveDeployment]:
        """Deployments of this snapshot that the successor no longer uses."""
        kept = {id(d) for d in successor.deployments.values()} if successor else set()
        return [d for d in self.deployments.values() if id(d) not in kept]
