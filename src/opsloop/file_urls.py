"""Which artifact URLs name a folder on this machine.

Apart from the artifact store (``opsloop.store.artifacts``) because the SDK asks this too
(a registered model on the local disk is loaded in place) and the SDK imports no store code.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def local_path_of(url: str) -> Path | None:
    """The local path behind a ``file://`` URL, or None for remote stores."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and url.startswith("/"):
        return Path(url)
    return None
