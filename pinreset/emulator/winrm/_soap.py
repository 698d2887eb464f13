"""WS-Management SOAP envelopes as a Windows host reads and writes them (pure functions, no sockets).

Requests are parsed into :class:`SoapRequest` (the handful of header fields a WinRM service acts on plus the
body element); responses are rendered from string templates because they are few and fixed, which keeps the
per-request cost low when hundreds of simulated hosts answer at once. Shapes follow [MS-WSMV] and what
Windows itself answers (``wsa:RelatesTo`` echoes the request's ``wsa:MessageID`` -- clients check it).
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import attrs

__all__ = [
    "NS",
    "SoapError",
    "SoapRequest",
    "envelope",
    "fault",
    "parse_request",
]

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmid": "http://schemas.dmtf.org/wbem/wsman/identify/1/wsmanidentity.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "pwsh": "http://schemas.microsoft.com/powershell",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
}

_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")

# Every response declares the same prefixes, so body templates can use them freely.
_ENVELOPE_HEAD = (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
    ' xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"'
    ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"'
    ' xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"'
    ' xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
)
_ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"


class SoapError(ValueError):
    """The request is not a WS-Management envelope this service can read."""


@attrs.frozen
class SoapRequest:
    """The parts of one WS-Management request that decide what to do.

    Attributes:
        action: ``wsa:Action`` (empty for WS-Management Identify, which has none).
        message_id: ``wsa:MessageID``, echoed as ``wsa:RelatesTo``.
        resource_uri: ``wsman:ResourceURI``.
        selectors: ``wsman:SelectorSet`` as name -> value (``ShellId``).
        options: ``wsman:OptionSet`` as name -> value (``WINRS_CODEPAGE``, ``protocolversion``).
        operation_timeout: ``wsman:OperationTimeout`` in seconds (``None`` when absent).
        body: the first child of ``s:Body`` (``None`` when the body is empty).
    """

    action: str
    message_id: str
    resource_uri: str
    selectors: dict[str, str]
    options: dict[str, str]
    operation_timeout: float | None
    body: ET.Element | None = attrs.field(eq=False)

    @property
    def shell_id(self) -> str | None:
        """The ``ShellId`` selector, upper-cased as Windows compares it."""
        value = self.selectors.get("ShellId")
        return value.upper() if value else None


def _duration(text: str | None) -> float | None:
    """Seconds in an xs:duration such as ``PT20S`` or ``PT1M30.5S`` (``None`` when absent or unreadable)."""
    if not text:
        return None
    match = _DURATION.match(text.strip())
    if not match:
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_request(data: bytes) -> SoapRequest:
    """Read the header fields and body of a WS-Management request.

    Args:
        data: the SOAP envelope as sent (already decrypted).

    Returns:
        The parsed request.

    Raises:
        SoapError: when ``data`` is not a SOAP envelope.
    """
    try:
        # Only authenticated peers reach this point, and expat refuses entity expansion bombs.
        root = ET.fromstring(data)  # noqa: S314
    except ET.ParseError as exc:
        raise SoapError(f"not XML: {exc}") from exc
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if header is None and body is None:
        raise SoapError("not a SOAP envelope")

    def text(path: str) -> str:
        found = header.find(path, NS) if header is not None else None
        return (found.text or "").strip() if found is not None else ""

    selectors = {}
    options = {}
    if header is not None:
        for sel in header.iterfind("wsman:SelectorSet/wsman:Selector", NS):
            selectors[sel.get("Name", "")] = (sel.text or "").strip()
        for opt in header.iterfind("wsman:OptionSet/wsman:Option", NS):
            options[opt.get("Name", "")] = (opt.text or "").strip()
    first = next(iter(body), None) if body is not None else None
    return SoapRequest(
        action=text("wsa:Action"),
        message_id=text("wsa:MessageID"),
        resource_uri=text("wsman:ResourceURI"),
        selectors=selectors,
        options=options,
        operation_timeout=_duration(text("wsman:OperationTimeout")),
        body=first,
    )


def envelope(action: str, relates_to: str, body: str, *, extra_header: str = "") -> bytes:
    """A response envelope around ``body`` (already XML text using the standard prefixes).

    Args:
        action: the response's ``wsa:Action``.
        relates_to: the request's MessageID.
        body: inner XML of ``s:Body``.
        extra_header: further header elements.

    Returns:
        The UTF-8 encoded envelope.
    """
    header = (
        f"<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>{_ANONYMOUS}</a:To><a:RelatesTo>{escape(relates_to)}</a:RelatesTo>{extra_header}</s:Header>"
    )
    return f"{_ENVELOPE_HEAD}{header}<s:Body>{body}</s:Body></s:Envelope>".encode()


def fault(relates_to: str, *, code: int, subcode: str, message: str, machine: str, sender: bool = False) -> bytes:
    """A WSManFault envelope, answered with HTTP 500.

    Args:
        relates_to: the request's MessageID (may be empty when the request could not be read).
        code: the ``f:WSManFault/@Code`` (e.g. 2150858793 for an operation timeout).
        subcode: the ``s:Subcode`` value such as ``w:TimedOut``.
        message: the fault text.
        machine: the host name reported as ``Machine``.
        sender: ``s:Sender`` (the request was wrong) instead of ``s:Receiver``.

    Returns:
        The UTF-8 encoded envelope.
    """
    value = "s:Sender" if sender else "s:Receiver"
    text = escape(message)
    body = (
        f"<s:Fault><s:Code><s:Value>{value}</s:Value><s:Subcode><s:Value>{escape(subcode)}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en-US">{text} </s:Text></s:Reason><s:Detail>'
        f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}"'
        f" Machine={quoteattr(machine)}><f:Message>{text} </f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, body)
