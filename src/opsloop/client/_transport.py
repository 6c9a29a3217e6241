"""How the SDK reaches the service layer: always through the REST API.

Remote: HTTP to ``opsloop server``. Embedded: the same ASGI paths (``opsloop.app.embedded``),
in-process, so behaviour exists once and embedded and remote answer alike (the Prefect
approach). Online endpoints score at /endpoints/<name>/... on both, outside /api/v1.
"""

from __future__ import annotations

import ssl
import urllib.request
import warnings
from typing import Any

import httpx

from opsloop.client._profile import token_for
from opsloop.config import Settings
from opsloop.errors import ERRORS_BY_NAME, OpsloopError, RemoteError, ValidationError

API = "/api/v1"


def in_process_client(app: Any, **options: Any) -> httpx.Client:
    """A synchronous HTTP client that calls an ASGI app in this process (Starlette's
    TestClient, which is what provides that). Starlette 1.x warns on import that it prefers
    httpx2; the warning is for test suites and would reach every embedded CLI call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    return TestClient(app, **options)


class Transport:
    def __init__(
        self,
        settings: Settings,
        embedded_token: str | None = None,
        *,
        local_server: bool = False,
    ) -> None:
        self.settings = settings
        self.remote = settings.is_remote()
        headers: dict[str, str] = {}
        self._http: httpx.Client
        # Embedded only: the in-process service platform behind the app (tests and tools
        # reach the embedded store through it; the SDK itself only speaks HTTP).
        self.platform: Any = None
        # Embedded through the home's local server (opsloop.app.local_server): its socket.
        self.local_socket: Any = None
        if self.remote:
            token = token_for(settings)
            if token:
                headers["authorization"] = f"Bearer {token}"
            base_url = str(settings.uri).rstrip("/")
            self._http = httpx.Client(
                base_url=base_url, headers=headers, timeout=300, verify=_verify_for(base_url)
            )
        else:
            # Embedded: the OS user, unless Client(token=...) names a principal of the home
            # (OPSLOOP_TOKEN is for servers: a job step inherits it, and acts as the OS user).
            if embedded_token is not None:
                headers["authorization"] = f"Bearer {embedded_token}"
            if local_server and settings.local_server:
                from opsloop.app.local_server import find_local_server

                self.local_socket = find_local_server(settings.resolved_home())
            if self.local_socket is not None:
                self._http = httpx.Client(
                    transport=httpx.HTTPTransport(uds=str(self.local_socket), verify=_no_tls()),
                    base_url="http://opsloop.local",
                    headers=headers,
                    timeout=300,
                )
            else:
                self._http = self._in_process(headers)
        self.location = str(settings.uri) if self.remote else str(settings.resolved_home())

    def _in_process(self, headers: dict[str, str] | httpx.Headers) -> httpx.Client:
        # The one door to the server's code: its composition root, never its layers.
        from opsloop.app.embedded import create_embedded_app

        app = create_embedded_app(self.settings)
        self.platform = app.platform
        return in_process_client(app, headers=headers, raise_server_exceptions=True)

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **options)
        except httpx.TransportError as exc:
            if self.local_socket is None:
                raise
            if not isinstance(exc, httpx.ConnectError) and method not in ("GET", "HEAD"):
                raise  # it may have been done: only a read is safe to ask again
            # The local server ended between finding it and answering: nothing was sent
            # (or only a read, which changes nothing), so the call runs in process instead.
            headers = self._http.headers
            self._http.close()
            self.local_socket = None
            self._http = self._in_process(headers)
            return self._http.request(method, url, **options)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        raw: bool = False,
    ) -> Any:
        try:
            response = self._send(method, f"{API}{path}", json=json, params=params, content=content)
        except httpx.TransportError as exc:
            raise OpsloopError(
                f"cannot reach the opsloop server at {self.location}: {exc}"
            ) from None
        if response.status_code >= 400:
            raise _error_from(response)
        if raw:
            return response.text
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def score(self, path: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST to a scoring path (``/endpoints/<name>/score``), which lies outside /api/v1;
        the answer is returned as it is, errors included."""
        # A scoring call is short; in-process there is no network to time out (and Starlette's
        # TestClient warns on a timeout argument, which would reach the CLI's stderr).
        options: dict[str, Any] = {"timeout": 60} if self.remote else {}
        try:
            return self._send("POST", path, content=content, headers=headers, **options)
        except httpx.TransportError as exc:
            raise OpsloopError(
                f"cannot reach the opsloop server at {self.location}: {exc}"
            ) from None

    def download(
        self,
        path: str,
        destination: Any,
        *,
        method: str = "GET",
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Headers:
        """Stream the answer's body into ``destination`` (a binary file); its headers."""
        try:
            with self._http.stream(method, f"{API}{path}", json=json, params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_from(response)
                for chunk in response.iter_bytes():
                    destination.write(chunk)
                return response.headers
        except httpx.TransportError as exc:
            raise OpsloopError(
                f"cannot reach the opsloop server at {self.location}: {exc}"
            ) from None

    def close(self) -> None:
        self._http.close()


def _verify_for(base_url: str) -> ssl.SSLContext | bool:
    """httpx's certificate check (its CA bundle, or SSL_CERT_FILE/DIR) where TLS can be
    spoken: an https server, or any server when a proxy is set (the proxy may be https)."""
    proxied = set(urllib.request.getproxies()) - {"no"}  # as httpx reads them (no_proxy aside)
    if base_url.lower().startswith("http://") and not proxied:
        return _no_tls()
    return True


def _no_tls() -> ssl.SSLContext:
    """The TLS context of a client that speaks plain HTTP only (a local socket, an http://
    server with no proxy): loading httpx's CA bundle for it cost a tenth of a CLI call's
    start. It still checks certificates, and trusts none, were it ever used."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _error_from(response: httpx.Response) -> OpsloopError:
    try:
        problem = response.json()
    except ValueError:
        return RemoteError(response.text[:500] or response.reason_phrase, response.status_code)
    detail = problem.get("detail") if isinstance(problem, dict) else None
    if not isinstance(detail, str):
        return RemoteError(str(problem)[:500], response.status_code)
    kind = ERRORS_BY_NAME.get(problem.get("type", ""))
    if kind is ValidationError:
        error = ValidationError(problem.get("detail", ""))
        error.message = detail
        error.args = (detail,)
        error.field, error.file, error.line = (
            problem.get("field"),
            problem.get("file"),
            problem.get("line"),
        )
        error.reason = problem.get("reason") or detail
        return error
    if kind is not None:
        return kind(detail)
    return RemoteError(detail, response.status_code)
