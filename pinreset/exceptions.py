"""Every error pinreset raises on purpose, in one tree.

Callers catch :class:`PinresetError` to handle anything the library reports; the subclasses say what went
wrong and carry the structured facts as attributes, so nobody has to parse a message string::

    PinresetError
    ├── ConfigurationError          bad input from the caller: missing tenant id, unknown group, bad host
    ├── ParseError                  text or JSON that does not match what we expected
    │   └── DsregParseError         text that is not `dsregcmd /status` output (.line_number)
    ├── BackendError                a tenant backend failed (.backend: "graph" | "powershell")
    │   ├── AuthenticationError     sign-in refused (.error_code, .correlation_id)
    │   ├── GraphError              Graph answered an error (.status_code, .code, .request_id, …)
    │   │   ├── PermissionDeniedError   403: the credential lacks a permission
    │   │   ├── NotFoundError           404: the object does not exist
    │   │   ├── ConflictError           409: the object exists already
    │   │   └── ThrottledError          429 after every retry (.retry_after)
    │   ├── PowerShellError         a remote pipeline failed or wrote to the error stream (.errors)
    │   │   └── ModuleMissingError  Microsoft.Graph module missing or too old on the host
    │   ├── TransportError          the network failed: refused, reset, TLS, truncated body
    │   └── DeadlineExceededError   an operation ran past its overall deadline
    ├── RemoteError                 a WinRM/PSRP device check failed (.host)
    ├── ApplyError                  apply stopped midway (.result holds what was done; run again to resume)
    └── EmulatorError               the tenant emulator was misused or failed to start

No exception of httpx, msal, pypsrp or cattrs escapes the public API: each backend translates them at one
boundary (``raise … from exc``), so the original stays reachable as ``__cause__``. Messages never contain
secrets, tokens or passwords.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApplyError",
    "AuthenticationError",
    "BackendError",
    "ConfigurationError",
    "ConflictError",
    "DeadlineExceededError",
    "DsregParseError",
    "EmulatorError",
    "GraphError",
    "ModuleMissingError",
    "NotFoundError",
    "ParseError",
    "PermissionDeniedError",
    "PinresetError",
    "PowerShellError",
    "RemoteError",
    "ThrottledError",
    "TransportError",
]


class PinresetError(Exception):
    """Base of every error pinreset raises on purpose."""


class ConfigurationError(PinresetError, ValueError):
    """The caller gave something unusable: a missing setting, an unknown group, a malformed host name."""


class ParseError(PinresetError, ValueError):
    """Input text or JSON did not have the expected structure."""


class DsregParseError(ParseError):
    """Text that cannot be read as ``dsregcmd /status`` output.

    Attributes:
        line_number: 1-based line where reading failed, or ``None`` when the whole text is at fault.
    """

    def __init__(self, message: str, *, line_number: int | None = None) -> None:
        where = f" (line {line_number})" if line_number is not None else ""
        super().__init__(f"{message}{where}")
        self.line_number = line_number


class BackendError(PinresetError):
    """A tenant backend failed.

    Attributes:
        backend: ``"graph"`` or ``"powershell"``.
    """

    def __init__(self, message: str, *, backend: str = "graph") -> None:
        super().__init__(message)
        self.backend = backend


class AuthenticationError(BackendError):
    """Sign-in was refused or a token could not be obtained.

    Attributes:
        error_code: Microsoft's error code, e.g. ``invalid_client`` or ``AADSTS7000215``.
        correlation_id: the identity platform's correlation id, for a support ticket.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        correlation_id: str | None = None,
        backend: str = "graph",
    ) -> None:
        super().__init__(message, backend=backend)
        self.error_code = error_code
        self.correlation_id = correlation_id


class GraphError(BackendError):
    """Microsoft Graph answered with an error.

    Attributes:
        status_code: the HTTP status.
        code: Graph's machine-readable ``error.code``.
        request_id: Graph's ``request-id`` (from the body or header), for a support ticket.
        client_request_id: the ``client-request-id`` we sent.
        method: HTTP method of the failed request.
        url: the request URL without query secrets (Graph URLs carry none).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        backend: str = "graph",
    ) -> None:
        detail = f"{status_code} {code}: {message}" if code else f"{status_code}: {message}"
        if method and url:
            detail = f"{method} {url} -> {detail}"
        if request_id:
            detail = f"{detail} (request-id {request_id})"
        super().__init__(detail, backend=backend)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.method = method
        self.url = url


class PermissionDeniedError(GraphError):
    """403: the credential lacks a Graph permission or directory role."""


class NotFoundError(GraphError):
    """404: the object does not exist (raised by every backend, part of the backend contract)."""


class ConflictError(GraphError):
    """409: an object with the same identity exists already."""


class ThrottledError(GraphError):
    """429 that outlasted every retry.

    Attributes:
        retry_after: seconds Graph asked us to wait, if it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("status_code", 429)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PowerShellError(BackendError):
    """A remote PowerShell pipeline failed or wrote records to its error stream.

    Attributes:
        errors: the error records' messages, in order.
    """

    def __init__(self, message: str, *, errors: list[str] | None = None, backend: str = "powershell") -> None:
        super().__init__(message, backend=backend)
        self.errors = list(errors or [])


class ModuleMissingError(PowerShellError):
    """A required PowerShell module is missing or older than required on the admin host."""


class TransportError(BackendError):
    """The network failed: connection refused or reset, TLS failure, a truncated body."""


class DeadlineExceededError(BackendError):
    """An operation ran past its overall deadline."""


class RemoteError(PinresetError):
    """A check of a device over WinRM/PSRP failed.

    Attributes:
        host: the host that failed.
    """

    def __init__(self, message: str, *, host: str) -> None:
        super().__init__(f"{host}: {message}")
        self.host = host


class ApplyError(PinresetError):
    """``apply`` stopped before finishing; what it did is in ``result``, and running it again resumes.

    Attributes:
        result: the partial apply result (an ``ApplyResult``).
    """

    def __init__(self, message: str, *, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class EmulatorError(PinresetError):
    """The tenant emulator was misused or could not start."""
