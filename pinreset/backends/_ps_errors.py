"""Error records of Microsoft Graph PowerShell -> pinreset's exception tree (pure).

The SDK reports a Graph error as an ErrorRecord whose message ends with its own block::

    <Graph message>

    Status: 404 (NotFound)
    ErrorCode: Request_ResourceNotFound
    Date: 2026-01-01T00:00:00

    Headers:
    request-id                    : 0b6e...
    Retry-After                   : 10

and whose FullyQualifiedErrorId is ``<ErrorCode>,Microsoft.Graph.PowerShell.Cmdlets.<Cmdlet>_<Variant>``.
:func:`error_from_records` reads that block, so a 404 from PowerShell is the same :class:`NotFoundError` a 404
from the Graph backend is (with ``backend="powershell"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    GraphError,
    PowerShellError,
    ThrottledError,
)
from pinreset.graph._errors import ERROR_BY_STATUS
from pinreset.graph._retry import parse_retry_after

__all__ = ["ErrorRecord", "GraphFailure", "error_from_records", "parse_graph_failure"]

BACKEND = "powershell"
_STATUS = re.compile(r"^\s*Status\s*:\s*(\d{3})\b", re.IGNORECASE | re.MULTILINE)
_CODE = re.compile(r"^\s*ErrorCode\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
_REQUEST_ID = re.compile(r"^\s*request-id\s*:\s*([0-9A-Za-z-]+)", re.IGNORECASE | re.MULTILINE)
_CLIENT_REQUEST_ID = re.compile(r"^\s*client-request-id\s*:\s*([0-9A-Za-z-]+)", re.IGNORECASE | re.MULTILINE)
_RETRY_AFTER = re.compile(r"^\s*Retry-After\s*:\s*(\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)
_AADSTS = re.compile(r"\b(AADSTS\d+)\b")
_NOT_CONNECTED = ("authentication needed", "connect-mggraph")
#: FullyQualifiedErrorIds of PowerShell's own refusals (binding, a missing command): never a sign-in failure.
_ENGINE_ERRORS = frozenset({
    "CommandNotFoundException",
    "NamedParameterNotFound",
    "CannotConvertArgument",
    "CannotConvertArgumentNoMessage",
    "ParameterArgumentValidationError",
    "MissingMandatoryParameter",
    "AmbiguousParameterSet",
    "PositionalParameterNotFound",
})


@attrs.frozen
class ErrorRecord:
    """What pinreset keeps of one remote error record.

    Attributes:
        message: the exception message.
        fq_error: the FullyQualifiedErrorId.
    """

    message: str
    fq_error: str = ""


@attrs.frozen(kw_only=True)
class GraphFailure:
    """The Graph facts in one SDK error message."""

    status: int
    code: str | None
    message: str
    request_id: str | None
    client_request_id: str | None
    retry_after: float | None


def parse_graph_failure(record: ErrorRecord) -> GraphFailure | None:
    """The Graph status, code, request id and ``Retry-After`` of an SDK error, or ``None`` when it has none."""
    status = _STATUS.search(record.message)
    if status is None:
        return None
    code = _CODE.search(record.message)
    code_text = code.group(1) if code else (record.fq_error.split(",", 1)[0] or None if record.fq_error else None)
    head = record.message.split("\n\nStatus", 1)[0] if "\n\nStatus" in record.message else record.message
    head = re.split(r"^\s*Status\s*:", head, maxsplit=1, flags=re.MULTILINE | re.IGNORECASE)[0].strip()
    request_id = _REQUEST_ID.search(record.message)
    client_request_id = _CLIENT_REQUEST_ID.search(record.message)
    retry = _RETRY_AFTER.search(record.message)
    return GraphFailure(
        status=int(status.group(1)),
        code=code_text,
        message=head or "error",
        request_id=request_id.group(1) if request_id else None,
        client_request_id=client_request_id.group(1) if client_request_id else None,
        retry_after=parse_retry_after(retry.group(1)) if retry else None,  # seconds or an HTTP date
    )


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "error"
    return line if len(line) <= 300 else line[:297] + "..."


def error_from_records(
    records: Sequence[ErrorRecord],
    *,
    command: str,
    sign_in: bool = False,
    method: str | None = None,
    uri: str | None = None,
) -> BackendError:
    """The typed error for a pipeline that failed or wrote error records.

    Args:
        records: the error records, in order (at least one; an empty list means "failed, no record").
        command: the cmdlet (for messages), e.g. ``Get-MgGroup``.
        sign_in: the pipeline was ``Connect-MgGraph``: any failure but PowerShell's own refusal of a parameter
            or command is an :class:`AuthenticationError`.
        method: the HTTP method for ``Invoke-MgGraphRequest`` (for messages).
        uri: the Graph URI for ``Invoke-MgGraphRequest`` (for messages).

    Returns:
        :class:`AuthenticationError` (sign-in failed, not connected, 401), a :class:`GraphError` subclass by
        status (403, 404, 409, 429 -> :class:`ThrottledError`), or :class:`PowerShellError` for anything that
        is not a Graph answer (a binding error, a missing cmdlet). Messages name no secret: the SDK never
        echoes one, and parameters are not repeated here.
    """
    texts = [r.message for r in records] or ["the pipeline failed without an error record"]
    first = records[0] if records else ErrorRecord(texts[0])
    failure = parse_graph_failure(first)
    lowered = first.message.lower()
    engine = first.fq_error.split(",", 1)[0] in _ENGINE_ERRORS
    if (sign_in and not engine) or all(k in lowered for k in _NOT_CONNECTED):
        code = _AADSTS.search(first.message)
        what = "Connect-MgGraph failed" if sign_in else "not signed in to Microsoft Graph on the admin host"
        return AuthenticationError(
            f"{what}: {_first_line(first.message)}", error_code=code.group(1) if code else None, backend=BACKEND
        )
    if failure is not None:
        if failure.status == 401:
            return AuthenticationError(
                f"Graph refused the admin host's token ({command}): {failure.code or 401}: {failure.message}",
                error_code=failure.code,
                backend=BACKEND,
            )
        message = failure.message if uri else f"{command}: {failure.message}"
        if failure.status == 429:
            return ThrottledError(
                message, retry_after=failure.retry_after, status_code=429, code=failure.code,
                request_id=failure.request_id, client_request_id=failure.client_request_id,
                method=method if uri else None, url=uri, backend=BACKEND,
            )
        cls = ERROR_BY_STATUS.get(failure.status, GraphError)
        return cls(
            message, status_code=failure.status, code=failure.code, request_id=failure.request_id,
            client_request_id=failure.client_request_id, method=method if uri else None, url=uri, backend=BACKEND,
        )
    detail = "; ".join(_first_line(t) for t in texts)
    if first.fq_error.split(",", 1)[0] == "CommandNotFoundException":  # the module is installed but not loaded
        detail += " (is the Microsoft.Graph module imported on the admin host?)"
    return PowerShellError(f"{command} failed on the admin host: {detail}", errors=texts, backend=BACKEND)
