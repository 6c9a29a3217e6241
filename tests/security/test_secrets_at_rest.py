"""The master key and what it seals: real key files, real Fernet, every way the key can be wrong."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from opsloop.config import Settings
from opsloop.security.secrets_at_rest import MASTER_KEY_FILE, MasterKeyError, SecretBox


def test_the_key_file_is_created_0600_on_first_seal_and_reused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    box = SecretBox.for_settings(Settings(home=home))
    assert not (home / MASTER_KEY_FILE).exists()  # nothing made until a secret is written
    sealed = box.seal("s3cret")
    assert "s3cret" not in sealed and SecretBox.is_sealed(sealed)
    key_file = home / MASTER_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    # Another process (a fresh box) reads the same key back.
    assert SecretBox.for_settings(Settings(home=home)).open(sealed) == "s3cret"


def test_the_variable_wins_over_the_file_and_makes_none(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox.for_settings(Settings(home=tmp_path / "a", master_key=key))
    sealed = box.seal("shared")
    assert not (tmp_path / "a" / MASTER_KEY_FILE).exists()
    # A replica elsewhere with the same variable opens it.
    assert SecretBox.for_settings(Settings(home=tmp_path / "b", master_key=key)).open(sealed) == (
        "shared"
    )


def test_the_variable_is_a_typed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("OPSLOOP_MASTER_KEY", key)
    settings = Settings()
    assert settings.master_key is not None and settings.master_key.get_secret_value() == key
    assert key not in repr(settings)


def test_a_wrong_key_is_one_clear_error(tmp_path: Path) -> None:
    sealed = SecretBox(tmp_path / MASTER_KEY_FILE).seal("s3cret")
    other = SecretBox(tmp_path / "elsewhere", Fernet.generate_key().decode())
    with pytest.raises(MasterKeyError, match="from OPSLOOP_MASTER_KEY does not decrypt") as info:
        other.open(sealed)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_missing_or_malformed_key_is_one_clear_error(tmp_path: Path) -> None:
    key_file = tmp_path / MASTER_KEY_FILE
    sealed = SecretBox(key_file).seal("s3cret")
    key_file.unlink()
    with pytest.raises(MasterKeyError, match="no master key: set OPSLOOP_MASTER_KEY or restore"):
        SecretBox(key_file).open(sealed)
    assert not key_file.exists()  # opening never makes a new (useless) key
    with pytest.raises(MasterKeyError, match="OPSLOOP_MASTER_KEY is not a valid key"):
        SecretBox(key_file, "not-a-key").open(sealed)


def test_a_clear_value_is_refused_not_taken_as_a_key(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="not encrypted"):
        SecretBox(tmp_path / MASTER_KEY_FILE).open("clear-key")


def test_boxes_racing_to_make_the_key_agree_on_one(tmp_path: Path) -> None:
    key_file = tmp_path / "home" / MASTER_KEY_FILE
    boxes = [SecretBox(key_file) for _ in range(8)]
    sealed: list[str] = [""] * len(boxes)

    def seal(index: int) -> None:
        sealed[index] = boxes[index].seal(f"value {index}")

    threads = [threading.Thread(target=seal, args=(i,)) for i in range(len(boxes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = SecretBox(key_file)
    assert [reader.open(value) for value in sealed] == [f"value {i}" for i in range(len(boxes))]
    assert [path.name for path in key_file.parent.iterdir()] == [MASTER_KEY_FILE]


def test_an_unreadable_key_file_is_one_clear_error(tmp_path: Path) -> None:
    key_file = tmp_path / MASTER_KEY_FILE
    sealed = SecretBox(key_file).seal("s3cret")
    key_file.unlink()
    key_file.mkdir()  # there, but not a file that can be read
    with pytest.raises(MasterKeyError, match=r"cannot read the master key: .*master\.key"):
        SecretBox(key_file).open(sealed)
