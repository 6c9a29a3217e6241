"""What establishing the caller costs per request, in process: an opsloop API token (one
indexed SHA-256 lookup and the principal's role assignments) beside an OIDC JWT (its RS256
signature and claims checked with the cached key set, then the principal and its groups'
assignments read), on one SQLite store, as `opsloop server` authenticates each request.

The key set is a file read once; no network is involved. The report gives the median of
--rounds rounds of --calls calls each, in microseconds per call, and their ratio.

Usage:  python benchmarks/auth_tokens.py [--rounds 5] [--calls 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from opsloop.api.authentication import BearerTokens
from opsloop.config import Settings
from opsloop.security.actor import SYSTEM_ACTOR
from opsloop.services import principals, roles
from opsloop.services.access import PlatformAuthorizer
from opsloop.services.context import Platform
from opsloop.specs.access import BootstrapSpec, GroupSpec, RoleAssignmentSpec

ISSUER, AUDIENCE = "https://idp.example.test", "api://opsloop"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opsloop-auth-tokens-") as scratch:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1"}
        jwks = Path(scratch) / "jwks.json"
        jwks.write_text(json.dumps({"keys": [jwk]}))
        settings = Settings(
            home=Path(scratch) / "home",
            oidc_issuer=ISSUER,
            oidc_audience=AUDIENCE,
            oidc_jwks=str(jwks),
        )
        platform = Platform(settings, authorizer=PlatformAuthorizer())
        with platform.context(SYSTEM_ACTOR) as ctx:
            api_token = principals.bootstrap_owner(ctx, BootstrapSpec()).token
            principals.create_group(ctx, GroupSpec(name="team"))
            roles.create_assignment(ctx, RoleAssignmentSpec(principal="team", role="Reader"))
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now + 3600}
        oidc_token = jwt.encode(
            {**claims, "groups": ["team"]}, key, algorithm="RS256", headers={"kid": "k1"}
        )
        authenticate = BearerTokens()
        headers = {"API token": f"Bearer {api_token}", "OIDC JWT": f"Bearer {oidc_token}"}
        for header in headers.values():
            authenticate(platform, header)  # the first OIDC call reads the keys, makes alice
        results: dict[str, list[float]] = {name: [] for name in headers}
        for _ in range(args.rounds):
            for name, header in headers.items():
                started = time.perf_counter()
                for _ in range(args.calls):
                    authenticate(platform, header)
                results[name].append((time.perf_counter() - started) / args.calls * 1e6)
        platform.database.dispose()
    medians = {name: statistics.median(values) for name, values in results.items()}
    print("| credential | µs per authentication (median) |\n|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:.0f} |")
    print(f"\nOIDC / API token: {medians['OIDC JWT'] / medians['API token']:.2f}x")


if __name__ == "__main__":
    main()
