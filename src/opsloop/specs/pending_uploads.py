"""A local file or folder named by its content, not uploaded: what a validated spec carries
in place of an upload's URL (``opsloop job validate`` uploads nothing). The server turns it
into the URL the upload would get, so the plan and its step hashes are the real ones."""

from __future__ import annotations

SCHEME = "opsloop-pending://"


def pending_upload_url(digest: str, name: str) -> str:
    """The stand-in for an upload of content hashing to ``digest``, named ``name``."""
    return f"{SCHEME}{digest}/{name}"


def parse_pending_upload(value: str) -> tuple[str, str] | None:
    """(digest, name) of a stand-in URL, or None for any other string."""
    if not value.startswith(SCHEME):
        return None
    digest, _, name = value[len(SCHEME) :].partition("/")
    return (digest, name) if digest and name else None


def upload_key(digest: str, name: str) -> str:
    """Where an upload is stored in the artifact store: by content, so the same code
    uploaded twice is stored once and hashes the same for step reuse."""
    return f"uploads/{digest}/{name}"
