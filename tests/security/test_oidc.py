"""OIDC settings and claims, without a server (the sign-in itself: tests/api/test_oidc.py)."""

from __future__ import annotations

import pytest

from opsloop.config import Settings
from opsloop.errors import ValidationError
from opsloop.security.oidc import claim, oidc_config

OIDC = {"oidc_issuer": "https://idp.test", "oidc_audience": "opsloop", "oidc_jwks": "/k.json"}


def test_oidc_is_off_without_an_issuer_and_complete_with_one() -> None:
    assert oidc_config(Settings(home="h")) is None
    config = oidc_config(Settings(home="h", **OIDC, oidc_algorithms="RS256, PS256"))
    assert config is not None and config.algorithms == ("RS256", "PS256")


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        ({"oidc_audience": None}, "OPSLOOP_OIDC_AUDIENCE", "is required"),
        ({"oidc_jwks": ""}, "OPSLOOP_OIDC_JWKS", "is required"),
        ({"oidc_algorithms": "RS256,HS256"}, "OPSLOOP_OIDC_ALGORITHMS", "HS256: allowed are"),
        ({"oidc_algorithms": "none"}, "OPSLOOP_OIDC_ALGORITHMS", "none: allowed are"),
    ],
)
def test_an_incomplete_or_unsafe_oidc_setup_names_the_variable(
    given: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        oidc_config(Settings(home="h", **{**OIDC, **given}))
    assert raised.value.field == field
    assert says in str(raised.value)


def test_claims_are_read_by_name_or_by_a_dotted_path() -> None:
    claims = {"realm_access": {"roles": ["a", "b"]}, "https://x.test/groups": ["g"], "sub": "s"}
    assert claim(claims, "realm_access.roles") == ["a", "b"]
    assert claim(claims, "https://x.test/groups") == ["g"]
    assert claim(claims, "realm_access.missing") is None
    assert claim(claims, "sub.deeper") is None
