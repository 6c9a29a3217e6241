"""The errors opsloop raises, each mapped to one HTTP status so every face reports them alike."""

from __future__ import annotations

from typing import Any


class OpsloopError(Exception):
    """Base of every error opsloop raises on purpose."""

    status_code = 500
    title = "Internal error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = {k: v for k, v in details.items() if v is not None}

    def to_problem(self) -> dict[str, Any]:
        """RFC 9457 problem body used by the REST API."""
        return {
            "type": type(self).__name__,
            "title": self.title,
            "status": self.status_code,
            "detail": self.message,
            **self.details,
        }


class ValidationError(OpsloopError):
    """Bad input: a spec, a request body or an argument. Names the field (and file/line)."""

    status_code = 422
    title = "Invalid input"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        file: str | None = None,
        line: int | None = None,
    ) -> None:
        location = ""
        if file:
            location = f"{file}:{line}: " if line else f"{file}: "
        prefix = f"{field}: " if field else ""
        super().__init__(
            f"{location}{prefix}{message}", field=field, file=file, line=line, reason=message
        )
        self.reason = message
        self.field = field
        self.file = file
        self.line = line


class NotFoundError(OpsloopError):
    status_code = 404
    title = "Not found"


class ConflictError(OpsloopError):
    status_code = 409
    title = "Conflict"


class PermissionDeniedError(OpsloopError):
    status_code = 403
    title = "Permission denied"


class AuthenticationError(OpsloopError):
    """No credentials, or ones that name nobody: missing, unknown, expired or revoked."""

    status_code = 401
    title = "Authentication required"


class RemoteError(OpsloopError):
    """An error answered by a remote server that maps to no local class."""

    title = "Remote error"

    def __init__(self, message: str, status_code: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.status_code = status_code


ERRORS_BY_NAME: dict[str, type[OpsloopError]] = {
    cls.__name__: cls
    for cls in (
        ValidationError,
        NotFoundError,
        ConflictError,
        PermissionDeniedError,
        AuthenticationError,
    )
}
