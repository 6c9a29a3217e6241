"""OIDC sign-in: verifying an identity provider's JWT (Entra ID, Keycloak, any OIDC issuer)
with its published keys, and reading who it names and which groups it says they are in.

Nothing here touches the store: ``services.external_identity`` maps the verified identity
to a principal and its groups' role assignments.

The key set (JWKS) is read once, from a file or a URL, and kept: a token signed with a
key id the set does not hold makes one re-read (the provider rotated its keys), at most
once per ``refresh_s`` whatever the callers send, so made-up key ids cannot make the
server hammer the provider. Only asymmetric algorithms are accepted: a symmetric one
would let anyone who holds the public key sign tokens.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt.exceptions import PyJWKError

from opsloop.config import Settings
from opsloop.errors import AuthenticationError, ValidationError

log = logging.getLogger(__name__)

# The signature algorithms a server may accept: asymmetric ones only.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

# Verified tokens remembered (the least recently used go first): a few thousand callers.
_VERIFIED_KEPT = 4096


@dataclass(frozen=True)
class OidcConfig:
    """What an OIDC token must satisfy, and where its claims are (see ``config.Settings``'s
    ``oidc_*`` fields for each one's meaning)."""

    issuer: str
    audience: str
    jwks: str
    subject_claim: str = "sub"
    groups_claim: str = "groups"
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    auto_provision: bool = True
    leeway_s: float = 30.0
    refresh_s: float = 300.0
    max_age_s: float = 86400.0
    fetch_timeout_s: float = 5.0


def oidc_config(settings: Settings) -> OidcConfig | None:
    """The OIDC sign-in settings (``OPSLOOP_OIDC_*``), or None when OIDC is off; a
    ``ValidationError`` naming the variable when they are incomplete or allow a symmetric
    algorithm (checked here, not by every ``Settings()``: a half-made OIDC setup must not
    stop every CLI command; ``opsloop server`` checks it when it starts)."""
    if not settings.oidc_issuer:
        return None
    audience, jwks = settings.oidc_audience, settings.oidc_jwks
    for name, value in (("OPSLOOP_OIDC_AUDIENCE", audience), ("OPSLOOP_OIDC_JWKS", jwks)):
        if not value:
            raise ValidationError("is required when OPSLOOP_OIDC_ISSUER is set", field=name)
    algorithms = settings.oidc_algorithms
    unknown = [name for name in algorithms if name not in ASYMMETRIC_ALGORITHMS]
    if unknown or not algorithms:
        raise ValidationError(
            f"{', '.join(unknown) or 'none given'}: allowed are "
            f"{', '.join(sorted(ASYMMETRIC_ALGORITHMS))} (with a symmetric algorithm, "
            "whoever holds the key set could sign tokens)",
            field="OPSLOOP_OIDC_ALGORITHMS",
        )
    if not audience or not jwks:  # for the type checker: the loop above raised
        return None
    return OidcConfig(
        issuer=settings.oidc_issuer,
        audience=audience,
        jwks=jwks,
        subject_claim=settings.oidc_subject_claim,
        groups_claim=settings.oidc_groups_claim,
        algorithms=tuple(algorithms),
        auto_provision=settings.oidc_auto_provision,
        leeway_s=settings.oidc_leeway_s,
        refresh_s=settings.oidc_jwks_refresh_s,
    )


@dataclass(frozen=True)
class OidcIdentity:
    """Who a verified token names: the subject claim's value, the group names its groups
    claim lists, and a display name when it carries one."""

    subject: str
    groups: tuple[str, ...]
    display_name: str | None
    issuer: str


class KeySet:
    """A provider's signing keys by key id, read from ``source`` (an ``http(s)://`` URL,
    a ``file://`` URL or a path) once, and again only when a token names a key id the set
    lacks (at most once per ``refresh_s``) or when the set is older than ``max_age_s``."""

    def __init__(
        self, source: str, *, refresh_s: float, max_age_s: float, timeout_s: float
    ) -> None:
        self.source = source
        self.refresh_s = refresh_s
        self.max_age_s = max_age_s
        self.timeout_s = timeout_s
        self.fetches = 0  # reads of the source so far (tests and diagnostics)
        self._keys: dict[str | None, tuple[jwt.PyJWK, str | None]] | None = None
        self._fetched_at = 0.0
        self._tried_at: float | None = None
        self._failure = ""
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> tuple[jwt.PyJWK, str | None]:
        """The key ``kid`` names and the algorithm the set pins it to (None: any)."""
        keys = self._keys
        if keys is None or time.monotonic() - self._fetched_at > self.max_age_s:
            keys = self._refresh()
        found = keys.get(kid)
        if found is None and kid is None and len(keys) == 1:
            found = next(iter(keys.values()))  # a one-key set may leave the kid out
        if found is None:
            found = self._refresh().get(kid)
        if found is None:
            raise AuthenticationError(
                f"the OIDC token's key id {kid!r} is not in the key set from {self.source}"
            )
        return found

    def _refresh(self) -> dict[str | None, tuple[jwt.PyJWK, str | None]]:
        """Read the set again, unless it was tried less than ``refresh_s`` ago (10 s while
        no read has succeeded), by this thread or another: then the set as it is, or the
        failure the last try met."""
        with self._lock:
            now = time.monotonic()
            # Until a first read succeeds, retry sooner: the provider may have been down
            # when the server started, and no OIDC caller can sign in meanwhile.
            wait = self.refresh_s if self._keys is not None else min(self.refresh_s, 10.0)
            if self._tried_at is not None and now - self._tried_at < wait:
                if self._keys is not None:
                    return self._keys
                raise AuthenticationError(self._failure)
            self._tried_at = now
            try:
                keys = _parse(self._read())
            except (OSError, ValueError, PyJWKError) as exc:
                self._failure = f"the OIDC key set could not be read from {self.source}: {exc}"
                if self._keys is not None:
                    log.warning("%s; keeping the keys read before", self._failure)
                    return self._keys
                raise AuthenticationError(self._failure) from None
            self._keys, self._fetched_at = keys, now
            return keys

    def _read(self) -> Any:
        self.fetches += 1
        if self.source.startswith(("http://", "https://")):
            request = urllib.request.Request(self.source, headers={"accept": "application/json"})
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:
                return json.loads(answer.read())
        path = self.source.removeprefix("file://")
        return json.loads(Path(path).expanduser().read_text())


def _parse(document: Any) -> dict[str | None, tuple[jwt.PyJWK, str | None]]:
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("it is no JWKS document (a JSON object with a 'keys' list)")
    keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue  # encryption keys sign nothing
        try:
            key = jwt.PyJWK(dict(entry))
        except PyJWKError:
            continue  # a key type this server cannot use; others in the set may do
        keys[entry.get("kid")] = (key, entry.get("alg"))
    if not keys:
        raise ValueError("it holds no signing key this server can use")
    return keys


class OidcVerifier:
    """Checks a token's signature, issuer, audience and lifetime; says what was wrong."""

    def __init__(self, config: OidcConfig, keys: KeySet | None = None) -> None:
        self.config = config
        self.keys = keys or KeySet(
            config.jwks,
            refresh_s=config.refresh_s,
            max_age_s=config.max_age_s,
            timeout_s=config.fetch_timeout_s,
        )
        self._verified: OrderedDict[str, tuple[OidcIdentity, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> OidcIdentity:
        """The identity ``token`` names, or ``AuthenticationError`` saying what is wrong.

        A token verified before is not verified again until it expires: a client sends the
        same token for many calls, and checking its signature and claims costs several
        times an API token's lookup. The principal it names is still read on every call."""
        now = time.time()
        with self._lock:
            cached = self._verified.get(token)
            if cached is not None:
                self._verified.move_to_end(token)
        if cached is not None and now < cached[1]:
            return cached[0]
        identity, expires = self._verify(token)
        with self._lock:
            self._verified[token] = (identity, expires)
            if len(self._verified) > _VERIFIED_KEPT:
                self._verified.popitem(last=False)
        return identity

    def _verify(self, token: str) -> tuple[OidcIdentity, float]:
        config = self.config
        header = _header(token)
        algorithm = header.get("alg")
        if algorithm not in config.algorithms:
            raise AuthenticationError(
                f"the OIDC token is signed with {algorithm!r}, which this server does not "
                f"accept (allowed: {', '.join(config.algorithms)})"
            )
        kid = header.get("kid")
        key, pinned = self.keys.key(kid if isinstance(kid, str) else None)
        if pinned is not None and pinned != algorithm:
            raise AuthenticationError(
                f"the OIDC token is signed with {algorithm!r} but key {kid!r} is for {pinned!r}"
            )
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the OIDC token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationError(
                f"the OIDC token is not for this server: its audience is not {config.audience!r}"
            ) from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError(
                f"the OIDC token was not issued by {config.issuer!r}"
            ) from None
        except jwt.InvalidSignatureError:
            raise AuthenticationError("the OIDC token's signature does not verify") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the OIDC token is not valid yet (nbf or iat)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"the OIDC token lacks the {exc.claim!r} claim") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"the OIDC token is not valid: {exc}") from None
        # Kept until its expiry as the token says it, less nothing: the leeway is for
        # clocks that disagree, and this one decided already.
        return self._identity(claims), float(claims["exp"])

    def _identity(self, claims: dict[str, Any]) -> OidcIdentity:
        config = self.config
        subject = claim(claims, config.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise AuthenticationError(
                f"the OIDC token has no {config.subject_claim!r} claim naming its subject"
            )
        groups = claim(claims, config.groups_claim)
        if isinstance(groups, str):
            groups = [groups]
        names = tuple(g for g in groups if isinstance(g, str)) if isinstance(groups, list) else ()
        display = claims.get("name")
        return OidcIdentity(
            subject=subject,
            groups=names,
            display_name=display if isinstance(display, str) else None,
            issuer=config.issuer,
        )


def _header(token: str) -> dict[str, Any]:
    """The token's JOSE header, read here rather than with ``jwt.get_unverified_header``,
    which checks every character of the whole token (the decode that follows does that)."""
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuthenticationError(f"the OIDC token's header is malformed: {exc}") from None
    if not isinstance(header, dict):
        raise AuthenticationError("the OIDC token's header is no JSON object")
    return header


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (Keycloak's realm roles are
    ``realm_access.roles``). A name that exists as a whole (``https://x/groups``) wins."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
