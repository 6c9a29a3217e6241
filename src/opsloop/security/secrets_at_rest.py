"""Secrets at rest: what the store must give back (endpoint keys, the token-signing secret)
is kept encrypted with the master key, never in clear.

The master key is ``OPSLOOP_MASTER_KEY`` when set (replicas of a team server share it that
way), else the file ``<home>/master.key``, created with mode 0600 the first time a secret is
written. It is read once per process; the serving runtime decrypts an endpoint's secrets
when it loads the endpoint, never per request.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from opsloop.config import Settings
from opsloop.errors import OpsloopError
from opsloop.security.private_files import make_private_dir

MASTER_KEY_ENV = "OPSLOOP_MASTER_KEY"
MASTER_KEY_FILE = "master.key"
# Marks an encrypted value, so a clear one (from a store older than encryption) is told apart.
SEALED_PREFIX = "fernet:"


class MasterKeyError(OpsloopError):
    """The master key is missing, malformed, or not the one the store's secrets were sealed with."""

    status_code = 500
    title = "Master key error"


class SecretBox:
    """Seals and opens secrets with the master key, read (or created) on first need."""

    def __init__(self, key_file: Path, key: str | None = None) -> None:
        self.key_file = key_file
        self._key = key
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> SecretBox:
        key = settings.master_key.get_secret_value() if settings.master_key else None
        return cls(settings.resolved_home() / MASTER_KEY_FILE, key)

    @property
    def source(self) -> str:
        """Where the master key comes from, for error messages (never the key itself)."""
        return MASTER_KEY_ENV if self._key is not None else str(self.key_file)

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(SEALED_PREFIX)

    def seal(self, value: str) -> str:
        token = self._cipher(create=True).encrypt(value.encode())
        return SEALED_PREFIX + token.decode()

    def open(self, value: str) -> str:
        if not self.is_sealed(value):
            raise MasterKeyError(
                "the store holds a secret that is not encrypted; open it with opsloop once so "
                "its migration encrypts it"
            )
        try:
            return self._cipher(create=False).decrypt(value[len(SEALED_PREFIX) :]).decode()
        except InvalidToken:
            draft = self.key_file.with_name(self.key_file.name + ".new")
            hint = (
                f"; a master key rotation left its new key in {draft}: if it was cut short "
                f"after re-sealing, that is the key"
                if self._key is None and draft.exists()
                else ""
            )
            raise MasterKeyError(
                f"the master key from {self.source} does not decrypt the store's secrets: it is "
                f"not the key they were encrypted with (set {MASTER_KEY_ENV} to that key, or "
                f"restore its file){hint}"
            ) from None

    def _cipher(self, *, create: bool) -> Fernet:
        with self._lock:
            if self._fernet is None:
                key = self._key if self._key is not None else self._read_key_file(create)
                try:
                    self._fernet = Fernet(key.strip())
                except ValueError:
                    raise MasterKeyError(
                        f"the master key from {self.source} is not a valid key (32 url-safe "
                        "base64-encoded bytes, as in a master.key file)"
                    ) from None
            return self._fernet

    def _read_key_file(self, create: bool) -> str:
        if not self.key_file.exists():
            if not create:
                raise MasterKeyError(
                    f"the store holds encrypted secrets but there is no master key: set "
                    f"{MASTER_KEY_ENV} or restore {self.key_file}"
                )
            _create_key_file(self.key_file)
        try:
            return self.key_file.read_text()
        except OSError as exc:
            raise MasterKeyError(f"cannot read the master key: {exc}") from None


def _create_key_file(path: Path) -> None:
    """Write a new key with mode 0600, atomically: a process that loses a race to create it
    reads the winner's whole key, never a half-written one."""
    make_private_dir(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(Fernet.generate_key() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made the key first; use that one
    finally:
        draft.unlink(missing_ok=True)
