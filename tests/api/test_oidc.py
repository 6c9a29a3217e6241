"""OIDC sign-in on `opsloop server`: an identity provider's JWT, signed with a key pair made
here and published as a JWKS (a file, or a URL a local HTTP server answers), is a bearer
token; its subject is a principal and its groups claim names opsloop groups whose role
assignments hold. Anything wrong with it is a 401 that says what. Real stores."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.testclient import TestClient

from helpers import server_platform
from opsloop.api.app import create_app
from opsloop.services.context import Platform

ISSUER = "https://login.example.test/tenant/v2.0"
AUDIENCE = "api://opsloop"


@dataclass
class Provider:
    """An identity provider: its signing keys (by kid) and the JWKS it publishes."""

    keys: dict[str, Any] = field(default_factory=dict)

    def add_rsa(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def add_ec(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, key in self.keys.items():
            if isinstance(key, rsa.RSAPrivateKey):
                jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            else:
                jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
            published.append({**jwk, "kid": kid, "use": "sig"})
        return {"keys": published}

    def token(
        self, kid: str = "k1", *, key: Any = None, algorithm: str | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 600}
        body.update(claims)
        signer = key if key is not None else self.keys[kid]
        if algorithm is None:
            algorithm = "ES256" if isinstance(signer, ec.EllipticCurvePrivateKey) else "RS256"
        return jwt.encode(body, signer, algorithm=algorithm, headers={"kid": kid})


@dataclass
class Server:
    http: TestClient
    platform: Platform
    owner: dict[str, str]
    provider: Provider

    def bearer(self, token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, token: str, **body: Any) -> Any:
        return self.http.request(method, path, headers=self.bearer(token), json=body or None)


def _start(tmp_path: Path, provider: Provider, database_url: str | None, **oidc: Any) -> Server:
    settings = {
        "oidc_issuer": ISSUER,
        "oidc_audience": AUDIENCE,
        "oidc_jwks": str(tmp_path / "jwks.json"),
        **oidc,
    }
    platform, owner = server_platform(tmp_path / "home", database_url, **settings)
    http = TestClient(create_app(platform, launch_jobs=False), base_url="http://t/api/v1")
    owner_header = {"authorization": f"Bearer {owner}"}
    for path, body in (
        ("/workspaces", {"name": "dev"}),
        ("/workspaces", {"name": "prod"}),
        ("/groups", {"name": "data-scientists"}),
        (
            "/role-assignments",
            {"principal": "data-scientists", "role": "Data Scientist", "scope": "/workspaces/dev"},
        ),
    ):
        assert http.post(path, json=body, headers=owner_header).status_code == 201
    return Server(http, platform, owner_header, provider)


@pytest.fixture
def provider(tmp_path: Path) -> Provider:
    made = Provider()
    made.add_rsa("k1")
    (tmp_path / "jwks.json").write_text(json.dumps(made.jwks()))
    return made


@pytest.fixture
def server(tmp_path: Path, provider: Provider) -> Iterator[Server]:
    started = _start(tmp_path, provider, None)
    with started.http:
        yield started
    started.platform.database.dispose()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_valid_token_signs_in_with_its_groups_roles(
    request: pytest.FixtureRequest, tmp_path: Path, provider: Provider, store: str
) -> None:
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else None
    server = _start(tmp_path, provider, url)
    with server.http:
        token = provider.token(groups=["data-scientists", "unknown-to-opsloop"], name="Alice A.")
        assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
        denied = server.call("GET", "/workspaces/prod/jobs", token)
        assert denied.status_code == 403
        assert "no role assignment of alice allows jobs/read" in denied.json()["reason"]
        created = server.call("POST", "/workspaces/dev/jobs", token, command="echo hi")
        assert created.status_code == 201, created.text
        assert created.json()["created_by"] == "alice"
        no_computes = server.call("POST", "/workspaces/dev/computes", token, name="c", type="local")
        assert no_computes.status_code == 403  # Data Scientist: not the workspace's computes
        me = server.call("GET", "/whoami", token).json()
        assert me["principal"] == "alice"
        assert me["roles"] == ["Data Scientist at /workspaces/dev (group data-scientists)"]
        # The first sign-in made the principal, holding no role of its own.
        alice = server.http.get("/principals/alice", headers=server.owner).json()
        assert alice["created_by"] == "system:oidc"
        assert alice["display_name"] == "Alice A." and alice["groups"] == []
        # Without the group in its claim, the same subject holds nothing.
        bare = provider.token()
        assert server.call("GET", "/workspaces/dev/jobs", bare).status_code == 403
    server.platform.database.dispose()


def _without_subject(provider: Provider) -> str:
    body = jwt.decode(provider.token(), options={"verify_signature": False})
    del body["sub"]
    return jwt.encode(body, provider.keys["k1"], "RS256", headers={"kid": "k1"})


_BAD_TOKENS: dict[str, tuple[Any, str]] = {
    "wrong audience": (
        lambda p: p.token(aud="api://someone-else"),
        "its audience is not 'api://opsloop'",
    ),
    "wrong issuer": (
        lambda p: p.token(iss="https://evil.example.test"),
        f"was not issued by {ISSUER!r}",
    ),
    "expired": (lambda p: p.token(exp=int(time.time()) - 3600), "has expired"),
    "not yet valid": (lambda p: p.token(nbf=int(time.time()) + 3600), "not valid yet"),
    "unknown kid": (
        lambda p: p.token("k-unknown", key=p.keys["k1"]),
        "key id 'k-unknown' is not in the key set",
    ),
    # Signed by a key that claims the published key's id but is not it.
    "bad signature": (
        lambda p: p.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "signature does not verify",
    ),
    # An HMAC token: whoever knows a shared secret (or the public key) could forge one.
    "symmetric algorithm": (
        lambda p: p.token(key="a-shared-secret-long-enough-for-hmac-sha256", algorithm="HS256"),
        "signed with 'HS256', which this server does not accept",
    ),
    "no subject": (_without_subject, "has no 'sub' claim"),
}


@pytest.mark.parametrize("case", list(_BAD_TOKENS))
def test_a_bad_token_gets_401_saying_what_is_wrong(server: Server, case: str) -> None:
    make, says = _BAD_TOKENS[case]
    answer = server.call("GET", "/workspaces", make(server.provider))
    assert answer.status_code == 401, answer.text
    assert says in answer.json()["detail"]
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_api_tokens_keep_working_beside_oidc_and_disabled_principals_are_refused(
    server: Server,
) -> None:
    assert server.http.get("/workspaces", headers=server.owner).status_code == 200
    token = server.provider.token(groups=["data-scientists"])
    assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
    assert server.http.post("/principals/alice/disable", headers=server.owner).status_code == 200
    refused = server.call("GET", "/workspaces/dev/jobs", token)
    assert refused.status_code == 401
    assert "principal 'alice' is disabled" in refused.json()["detail"]


def test_without_auto_provisioning_the_principal_must_exist(
    tmp_path: Path, provider: Provider
) -> None:
    server = _start(
        tmp_path,
        provider,
        None,
        oidc_auto_provision=False,
        oidc_subject_claim="preferred_username",
        oidc_groups_claim="realm_access.roles",
    )
    with server.http:
        # Keycloak's shape: a name in preferred_username, roles nested in realm_access.
        claims = {"preferred_username": "bob@example.test", "sub": "0b5d0c1e"}
        token = provider.token(**claims, realm_access={"roles": ["data-scientists"]})
        refused = server.call("GET", "/workspaces/dev/jobs", token)
        assert refused.status_code == 401
        assert "'bob@example.test' signed in with OIDC but is no principal" in refused.text
        made = server.http.post(
            "/principals", json={"name": "bob@example.test"}, headers=server.owner
        )
        assert made.status_code == 201, made.text
        assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
    server.platform.database.dispose()


def test_a_jwt_is_refused_by_a_server_without_oidc(tmp_path: Path, provider: Provider) -> None:
    platform, _ = server_platform(tmp_path / "home")
    with TestClient(create_app(platform, launch_jobs=False), base_url="http://t/api/v1") as http:
        token = provider.token()
        answer = http.get("/workspaces", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert "accepts no OIDC tokens" in answer.json()["detail"]
    platform.database.dispose()


class _JwksHandler(BaseHTTPRequestHandler):
    provider: Provider
    fetches: list[float]

    def do_GET(self) -> None:
        type(self).fetches.append(time.monotonic())
        body = json.dumps(type(self).provider.jwks()).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_the_key_set_is_read_from_a_url_once_and_again_only_for_a_new_key(
    tmp_path: Path, provider: Provider
) -> None:
    handler = type("Handler", (_JwksHandler,), {"provider": provider, "fetches": []})
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http_server.server_address[1]}/keys"
    server = _start(tmp_path, provider, None, oidc_jwks=url, oidc_jwks_refresh_s=1.0)
    try:
        with server.http:
            token = provider.token(groups=["data-scientists"])
            for _ in range(5):
                assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
            assert len(handler.fetches) == 1
            # Made-up key ids make one read per refresh interval, however many arrive.
            for n in range(5):
                forged = provider.token(kid=f"made-up-{n}", key=provider.keys["k1"])
                assert server.call("GET", "/workspaces/dev/jobs", forged).status_code == 401
            assert len(handler.fetches) == 1  # the first read was less than 1 s ago
            time.sleep(1.1)
            assert server.call("GET", "/workspaces/dev/jobs", forged).status_code == 401
            assert len(handler.fetches) == 2
            # The provider rotates to a new (EC) key: the first token naming it makes one read.
            provider.add_ec("k2")
            time.sleep(1.1)
            rotated = provider.token("k2", groups=["data-scientists"])
            assert server.call("GET", "/workspaces/dev/jobs", rotated).status_code == 200
            assert server.call("GET", "/workspaces/dev/jobs", rotated).status_code == 200
            assert len(handler.fetches) == 3
    finally:
        http_server.shutdown()
        server.platform.database.dispose()


def test_an_unreadable_key_set_is_a_401_naming_where_it_was_looked_for(
    tmp_path: Path, provider: Provider
) -> None:
    missing = tmp_path / "later.json"
    server = _start(tmp_path, provider, None, oidc_jwks=str(missing), oidc_jwks_refresh_s=0.5)
    with server.http:
        token = provider.token(groups=["data-scientists"])
        answer = server.call("GET", "/workspaces", token)
        assert answer.status_code == 401
        assert f"could not be read from {missing}" in answer.json()["detail"]
        # Once the keys can be read, sign-in works (the next try after the interval).
        missing.write_text(json.dumps(provider.jwks()))
        time.sleep(0.6)
        assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
    server.platform.database.dispose()


def test_a_remembered_token_is_refused_once_it_expires(tmp_path: Path, provider: Provider) -> None:
    server = _start(tmp_path, provider, None, oidc_leeway_s=0)
    with server.http:
        token = provider.token(groups=["data-scientists"], exp=int(time.time()) + 2)
        assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
        assert server.call("GET", "/workspaces/dev/jobs", token).status_code == 200
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        time.sleep(max(0.0, expires - time.time()) + 0.2)
        answer = server.call("GET", "/workspaces/dev/jobs", token)
        assert answer.status_code == 401 and "has expired" in answer.json()["detail"]
    server.platform.database.dispose()


def test_an_endpoint_token_is_no_oidc_token(server: Server) -> None:
    body = {"name": "ep-token", "auth_mode": "aml_token"}
    created = server.http.post("/workspaces/dev/online-endpoints", json=body, headers=server.owner)
    assert created.status_code == 201, created.text
    path = "/workspaces/dev/online-endpoints/ep-token/credentials"
    access_token = server.http.post(path, headers=server.owner).json()["accessToken"]
    assert access_token.startswith("eyJ")  # a JWT, so it takes the OIDC path, and fails there
    answer = server.call("GET", "/workspaces", access_token)
    assert answer.status_code == 401
    assert "which this server does not accept" in answer.json()["detail"]
