"""Folders and files only their owner may read: the home, its databases, the master key.

Modes are given when a file or folder is created (so nothing is readable for a moment
under a loose umask), and the process-wide umask is left alone: opsloop may run inside
someone else's program.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def make_private_dir(path: Path) -> None:
    """Create the folder (and any missing parents) for its owner only; an existing folder
    keeps its mode, as it may be one the user shares on purpose."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)


def make_private_file(path: Path) -> None:
    """Create an empty file with mode 0600, or take group and other access off an existing
    one (a store created by an older opsloop under umask 022 is world-readable)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        restrict_file(path)
    else:
        os.close(descriptor)


def restrict_file(path: Path) -> None:
    """Take group and other access off ``path`` if it exists and is ours to change."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & stat.S_IRWXU)
    except FileNotFoundError:
        return
    except PermissionError:  # not our file: its owner decides
        log.warning("%s is readable by others and not ours to restrict", path)
