"""Who calls: established once per request, before routing, for every /api/v1 path but the
public ones (health, the OpenAPI document and its page).

``BearerTokens`` (``opsloop server``): ``Authorization: Bearer <API token>``, looked up by
its SHA-256 (``services.tokens.authenticate``), or, when OIDC sign-in is set up, an
identity provider's JWT (told apart by its shape, so API tokens never pay for it:
``security.oidc`` verifies it, ``services.external_identity`` maps it to a principal);
anything else is a 401 that says what was wrong. ``LocalUser`` (embedded): the OS user, who
owns its home, unless the caller sends a token of this home (``Client(token=...)``;
not ``OPSLOOP_TOKEN``): then it acts as that principal, with only its roles. Endpoint keys
are not API tokens: they live with their endpoint and only the scoring runtime reads them.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from starlette.concurrency import run_in_threadpool

from opsloop.errors import AuthenticationError
from opsloop.security.actor import Actor, os_user_actor
from opsloop.services.context import Platform
from opsloop.services.tokens import authenticate

if TYPE_CHECKING:
    from opsloop.security.oidc import OidcVerifier

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Authenticator(Protocol):
    def __call__(self, platform: Platform, authorization: str | None) -> Actor:
        """The caller, from the request's Authorization header; raise
        ``AuthenticationError`` when it names nobody."""


class LocalUser:
    """Embedded mode: the caller is the OS user, owner of the home; with a bearer token of
    this home, the token's principal (a token the home does not know is a 401, never a
    silent fallback to the owner)."""

    def __init__(self) -> None:
        self.actor = os_user_actor()
        self.tokens = BearerTokens()

    def __call__(self, platform: Platform, authorization: str | None) -> Actor:
        if not authorization:
            return self.actor
        return self.tokens(platform, authorization)


class BearerTokens:
    """``opsloop server``: an API token, or an OIDC token when the settings name an issuer,
    is required."""

    def __init__(self) -> None:
        self._oidc: OidcVerifier | None = None
        self._oidc_lock = threading.Lock()

    def __call__(self, platform: Platform, authorization: str | None) -> Actor:
        if not authorization:
            raise AuthenticationError(
                "this server requires an API token: send 'Authorization: Bearer <token>' "
                "(the CLI and SDK read OPSLOOP_TOKEN or the profile `opsloop login` writes)"
            )
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be 'Bearer <API token>'")
        token = token.strip()
        if _looks_like_jwt(token):
            return self._sign_in(platform, token)
        return authenticate(platform.database, token)

    def _sign_in(self, platform: Platform, token: str) -> Actor:
        # Imported here: PyJWT and its cryptography cost a CLI call's start-up, and only an
        # OIDC sign-in needs them.
        from opsloop.security.oidc import OidcVerifier, oidc_config
        from opsloop.services.external_identity import sign_in

        config = oidc_config(platform.settings)
        if config is None:
            raise AuthenticationError(
                "the token is a JWT, and this server accepts no OIDC tokens (OPSLOOP_OIDC_ISSUER "
                "is not set); use an API token"
            )
        with self._oidc_lock:
            # One verifier, so one key set, read once, for the life of the app.
            if self._oidc is None:
                self._oidc = OidcVerifier(config)
            verifier = self._oidc
        return sign_in(platform, verifier.verify(token), config)


def _looks_like_jwt(token: str) -> bool:
    """A JWS in compact form: three base64url parts, the header a JSON object (``eyJ``).
    API tokens hold no dot, so they never take the OIDC path."""
    return token.startswith("eyJ") and token.count(".") == 2


class AuthenticationMiddleware:
    """Puts the caller in ``scope["state"]["actor"]`` or answers 401 before any routing,
    body parsing or validation: an anonymous caller learns nothing about the request."""

    def __init__(
        self,
        app: ASGIApp,
        platform: Platform,
        authenticator: Authenticator,
        prefix: str,
        public: frozenset[str],
    ) -> None:
        self.app = app
        self.platform = platform
        self.authenticator = authenticator
        self.prefix = prefix
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in self.public:
            await self.app(scope, receive, send)
            return
        authorization = request_id = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"x-request-id":
                request_id = value.decode("latin-1")
        try:
            if isinstance(self.authenticator, LocalUser) and authorization is None:
                actor = self.authenticator(self.platform, authorization)
            else:  # store reads: off the event loop, which keeps dispatching meanwhile
                actor = await run_in_threadpool(self.authenticator, self.platform, authorization)
        except AuthenticationError as exc:
            await _problem(send, exc)
            return
        # The audit log names the request (the caller's X-Request-Id when it is a sane one)
        # and where it came from; the answer carries the id back.
        if request_id is None or not _REQUEST_ID.match(request_id):
            request_id = uuid.uuid4().hex
        client = scope.get("client")
        source = str(client[0]) if client else None
        actor = actor.model_copy(update={"request_id": request_id, "source": source})
        scope.setdefault("state", {})["actor"] = actor
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _problem(send: Send, error: AuthenticationError) -> None:
    body = json.dumps(error.to_problem()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status_code,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="opsloop"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
