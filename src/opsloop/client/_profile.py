"""The profile: API tokens saved per server URL by ``opsloop login``, in a file only its
owner can read (``~/.opsloop/profile``, or ``OPSLOOP_PROFILE``). ``OPSLOOP_TOKEN`` wins
over it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from opsloop.config import Settings
from opsloop.errors import OpsloopError
from opsloop.security.private_files import make_private_dir, make_private_file, restrict_file


def profile_path(settings: Settings) -> Path:
    return (settings.profile or Path.home() / ".opsloop" / "profile").expanduser()


def _key(uri: str) -> str:
    return uri.rstrip("/")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise OpsloopError(f"cannot read the profile {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise OpsloopError(f"the profile {path} is not valid JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


def token_for(settings: Settings) -> str | None:
    """The token to send to ``settings.uri``: OPSLOOP_TOKEN, else the profile's."""
    if settings.token is not None:
        return settings.token.get_secret_value()
    if not settings.uri:
        return None
    servers = _read(profile_path(settings)).get("servers", {})
    entry = servers.get(_key(settings.uri)) if isinstance(servers, dict) else None
    token = entry.get("token") if isinstance(entry, dict) else None
    return token if isinstance(token, str) else None


def save_token(settings: Settings, uri: str, token: str) -> Path:
    """Keep ``token`` for ``uri`` in the profile, which is (and stays) mode 0600."""
    path = profile_path(settings)
    make_private_dir(path.parent)
    make_private_file(path)
    data = _read(path)
    servers = data.setdefault("servers", {})
    servers[_key(uri)] = {"token": token}
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
    os.replace(draft, path)
    restrict_file(path)
    return path
