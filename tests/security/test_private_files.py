"""Private folders and files under a loose umask, and what an existing one keeps."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from opsloop.security.private_files import make_private_dir, make_private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_modes_are_given_at_creation_and_loose_files_are_restricted(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        folder = tmp_path / "a" / "home"
        make_private_dir(folder)
        created = folder / "new.db"
        make_private_file(created)
        loose = folder / "old.db"
        loose.write_text("kept")
        loose.chmod(0o664)
        make_private_file(loose)
        shared = tmp_path / "shared"
        shared.mkdir(mode=0o755)
        make_private_dir(shared)
    finally:
        os.umask(previous)
    assert (mode(folder), mode(created), mode(loose)) == (0o700, 0o600, 0o600)
    assert loose.read_text() == "kept"
    assert mode(shared) == 0o755  # an existing folder is the user's to open or close
