"""The WS-Management service of one simulated host: Identify, WS-Transfer, and the WinRS/PSRP shell operations.

It answers parsed SOAP requests with SOAP envelopes and an HTTP status; sockets, authentication and encryption
are the listener's business. WinRS shells live on the ``.../windows/shell/cmd`` resource, PSRP runspace pools on
``http://schemas.microsoft.com/powershell/<configuration>`` (only ``Microsoft.PowerShell`` exists here).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from typing import Any
from xml.sax.saxutils import escape

from pinreset.emulator.winrm._host import SimulatedHost
from pinreset.emulator.winrm._psrp import PSRPShell
from pinreset.emulator.winrm._soap import NS, SoapError, SoapRequest, envelope, fault, parse_request
from pinreset.emulator.winrm._winrs import WinRSShell

__all__ = ["Answer", "handle"]

log = logging.getLogger(__name__)

Answer = tuple[int, bytes, str]  # HTTP status, body, the request's action (the listener's "drop" keys on it)

_T = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
_CMD_RESOURCE = f"{_SHELL}/cmd"
_PS_RESOURCE = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
_CONFIG_RESOURCE = "http://schemas.microsoft.com/wbem/wsman/1/config"
RECEIVE = f"{_SHELL}/Receive"
_MAX_SHELLS = 64  # per host, as Windows' MaxShellsPerUser caps a user's open shells
_IDLE_TIMEOUT = 60.0  # seconds; Windows' IdleTimeout is two hours, a test peer needs its slots back sooner
_DEFAULT_TIMEOUT = 20.0
_MAX_WAIT = 20.0


def _fault(
    req: SoapRequest | None, host: SimulatedHost, code: int, subcode: str, message: str, *, sender: bool = False
) -> Answer:
    relates = req.message_id if req else ""
    action = req.action if req else ""
    return (
        500,
        fault(relates, code=code, subcode=subcode, message=message, machine=host.device_name, sender=sender),
        action,
    )


def _ok(req: SoapRequest, action: str, body: str) -> Answer:
    return 200, envelope(action, req.message_id, body), req.action


def _shell_not_found(req: SoapRequest, host: SimulatedHost) -> Answer:
    return _fault(
        req,
        host,
        2150858843,
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {req.shell_id or ''} failed because the shell was "
        "not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer "
        "exists on the server. Provide the correct ShellId or create a new shell and retry the operation.",
        sender=True,
    )


def _created(req: SoapRequest, host: SimulatedHost, shell_id: str, resource: str, streams: tuple[str, str]) -> Answer:
    body = (
        f"<x:ResourceCreated><a:Address>http://{host.address}:{host.http_port}/wsman</a:Address>"
        f"<a:ReferenceParameters><w:ResourceURI>{escape(resource)}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
        f"</x:ResourceCreated><rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId>"
        f"<rsp:ResourceUri>{escape(resource)}</rsp:ResourceUri><rsp:Owner>{escape(host.account_name('admin'))}"
        f"</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{streams[0]}</rsp:InputStreams><rsp:OutputStreams>{streams[1]}</rsp:OutputStreams>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
        "</rsp:Shell>"
    )
    return _ok(req, f"{_T}CreateResponse", body)


def _identify(req: SoapRequest) -> Answer:
    body = (
        '<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identify/1/wsmanidentity.xsd">'
        "<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>"
        "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
        "<wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse>"
    )
    return 200, f'<s:Envelope xmlns:s="{NS["s"]}"><s:Header/><s:Body>{body}</s:Body></s:Envelope>'.encode(), ""


def handle(host: SimulatedHost, data: bytes) -> Answer:
    """Answer one (decrypted) WS-Management request addressed to ``host``.

    Args:
        host: the simulated host.
        data: the SOAP envelope.

    Returns:
        ``(http_status, envelope, action)``.
    """
    try:
        req = parse_request(data)
    except SoapError as exc:
        return _fault(None, host, 2150858817, "w:SchemaValidationError", f"The SOAP XML is invalid: {exc}", sender=True)
    if req.body is not None and req.body.tag == f"{{{NS['wsmid']}}}Identify":
        return _identify(req)
    action = req.action
    try:
        if action == f"{_T}Get":
            return _get(req, host)
        if action == f"{_T}Create":
            return _create(req, host)
        shell = host.shells.get(req.shell_id or "")
        if shell is None:
            return _shell_not_found(req, host)
        shell.last_used = time.monotonic()
        if action == f"{_T}Delete":
            with host.lock:
                host.shells.pop(shell.shell_id, None)
            shell.close()
            return _ok(req, f"{_T}DeleteResponse", "")
        if action == f"{_SHELL}/Command":
            return _command(req, host, shell)
        if action == f"{_SHELL}/Send":
            return _send(req, host, shell)
        if action == RECEIVE:
            return _receive(req, host, shell)
        if action == f"{_SHELL}/Signal":
            signal = req.body
            command_id = signal.get("CommandId") if signal is not None else None
            code_el = signal.find("rsp:Code", NS) if signal is not None else None
            shell.signal(
                command_id.upper() if command_id else None, (code_el.text or "") if code_el is not None else ""
            )
            return _ok(req, f"{_SHELL}/SignalResponse", "<rsp:SignalResponse/>")
    except (binascii.Error, ValueError, KeyError) as exc:
        return _fault(req, host, 2150858817, "w:SchemaValidationError", f"The request is malformed: {exc}", sender=True)
    except Exception as exc:  # psrpcore's protocol errors (bad fragments, wrong states) and anything unforeseen
        log.warning("WinRM request to %s failed: %s", host.device_name, exc, exc_info=True)
        return _fault(req, host, 2150858752, "w:InternalError", f"The WS-Management service failed: {exc}")
    return _fault(
        req,
        host,
        2150858771,
        "a:ActionNotSupported",
        f"The action is not supported by the service: {action}",
        sender=True,
    )


def _get(req: SoapRequest, host: SimulatedHost) -> Answer:
    if req.resource_uri.rstrip("/") == _CONFIG_RESOURCE:
        body = (
            f'<cfg:Config xmlns:cfg="{NS["cfg"]}">'
            "<cfg:RootSDDL>O:NSG:BAD:P(A;;GA;;;BA)S:P(AU;FA;GA;;;WD)</cfg:RootSDDL>"
            "<cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb><cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms>"
            "<cfg:MaxBatchItems>32000</cfg:MaxBatchItems><cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests>"
            "</cfg:Config>"
        )
        return _ok(req, f"{_T}GetResponse", body)
    shell = host.shells.get(req.shell_id or "")
    if req.resource_uri.rstrip("/") == _SHELL and shell is not None:
        body = (
            f"<rsp:Shell><rsp:ShellId>{shell.shell_id}</rsp:ShellId><rsp:State>Connected</rsp:State>"
            "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime></rsp:Shell>"
        )
        return _ok(req, f"{_T}GetResponse", body)
    if shell is None and req.shell_id:
        return _shell_not_found(req, host)
    return _fault(
        req,
        host,
        2150858770,
        "w:DestinationUnreachable",
        "The WS-Management service cannot process the request. The resource URI is not supported.",
        sender=True,
    )


def _purge_idle(host: SimulatedHost) -> None:
    """Forget shells nobody used for a while (clients that died or were cut off never send Delete)."""
    cutoff = time.monotonic() - _IDLE_TIMEOUT
    with host.lock:
        idle = [shell for shell in host.shells.values() if shell.last_used < cutoff]
        for shell in idle:
            host.shells.pop(shell.shell_id, None)
    # Closed outside the host lock: a shell's own lock is taken while its pipelines use the host.
    for shell in idle:
        shell.close()


def _reserve(host: SimulatedHost, shell_id: str, shell: Any) -> bool:
    """Add ``shell`` unless the quota is reached; checked and added under the host lock, as workers race here."""
    with host.lock:
        if len(host.shells) >= _MAX_SHELLS:
            return False
        host.shells[shell_id] = shell
        return True


def _quota_fault(req: SoapRequest, host: SimulatedHost) -> Answer:
    return _fault(
        req,
        host,
        2150859174,
        "w:QuotaLimit",
        "The WS-Management service cannot process the request. This user is allowed a maximum number "
        "of 64 shells, which has been exceeded. Close existing shells or raise the quota for this user.",
    )


def _create(req: SoapRequest, host: SimulatedHost) -> Answer:
    if len(host.shells) >= _MAX_SHELLS:
        _purge_idle(host)
    if len(host.shells) >= _MAX_SHELLS:
        return _fault(
            req,
            host,
            2150859174,
            "w:QuotaLimit",
            "The WS-Management service cannot process the request. This user is allowed a maximum number "
            "of 64 shells, which has been exceeded. Close existing shells or raise the quota for this user.",
        )
    resource = req.resource_uri
    if resource == _CMD_RESOURCE:
        codepage = int(req.options.get("WINRS_CODEPAGE") or host.codepage)
        shell_id = str(uuid.uuid4()).upper()
        if not _reserve(host, shell_id, WinRSShell(host, shell_id, codepage)):
            return _quota_fault(req, host)
        return _created(req, host, shell_id, resource, ("stdin", "stdout stderr"))
    if resource.lower() == _PS_RESOURCE.lower():
        creation = req.body.find("pwsh:creationXml", NS) if req.body is not None else None
        if creation is None or not creation.text:
            return _fault(
                req, host, 2150858817, "w:SchemaValidationError", "The creationXml element is missing.", sender=True
            )
        psrp = PSRPShell(host, base64.b64decode(creation.text))
        if not _reserve(host, psrp.shell_id, psrp):
            psrp.close()
            return _quota_fault(req, host)
        return _created(req, host, psrp.shell_id, resource, ("stdin pr", "stdout"))
    return _fault(
        req,
        host,
        2150858770,
        "w:DestinationUnreachable",
        f"The WS-Management service cannot process the request because the resource URI {resource} is not "
        "supported on this host.",
        sender=True,
    )


def _command(req: SoapRequest, host: SimulatedHost, shell: Any) -> Answer:
    line = req.body
    if line is None:
        raise ValueError("CommandLine missing")
    command_el = line.find("rsp:Command", NS)
    arguments = [a.text or "" for a in line.findall("rsp:Arguments", NS)]
    command_id = (line.get("CommandId") or str(uuid.uuid4())).upper()
    if isinstance(shell, PSRPShell):
        shell.create_pipeline(command_id, base64.b64decode(arguments[0] if arguments else ""))
    else:
        shell.run(command_id, (command_el.text or "") if command_el is not None else "", arguments)
    return _ok(
        req,
        f"{_SHELL}/CommandResponse",
        f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>",
    )


def _send(req: SoapRequest, host: SimulatedHost, shell: Any) -> Answer:
    if isinstance(shell, PSRPShell) and req.body is not None:
        for stream in req.body.findall("rsp:Stream", NS):
            command_id = stream.get("CommandId")
            pipeline_id = uuid.UUID(command_id) if command_id else None
            shell.feed(base64.b64decode(stream.text or ""), pipeline_id)
    return _ok(req, f"{_SHELL}/SendResponse", "<rsp:SendResponse/>")


def _receive(req: SoapRequest, host: SimulatedHost, shell: Any) -> Answer:
    desired = req.body.find("rsp:DesiredStream", NS) if req.body is not None else None
    command_id = desired.get("CommandId") if desired is not None else None
    command_id = command_id.upper() if command_id else None
    if isinstance(shell, WinRSShell):
        body = shell.receive_body(command_id or "")
        if body is None:
            return _fault(req, host, 2150858843, "w:InvalidSelectors", "The command was not found.", sender=True)
        return _ok(req, f"{_SHELL}/ReceiveResponse", body)
    pipeline_id = uuid.UUID(command_id) if command_id else None
    wait = min(req.operation_timeout or _DEFAULT_TIMEOUT, _MAX_WAIT)
    payloads, done = shell.take(pipeline_id, wait)
    if not payloads and not done:
        return _fault(
            req,
            host,
            2150858793,
            "w:TimedOut",
            "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
        )
    attr = f' CommandId="{command_id}"' if command_id else ""
    streams = "".join(f'<rsp:Stream Name="stdout"{attr}>{base64.b64encode(p).decode()}</rsp:Stream>' for p in payloads)
    state = ""
    if done and command_id:
        state = f'<rsp:CommandState CommandId="{command_id}" State="{_SHELL}/CommandState/Done"/>'
    elif command_id:
        state = f'<rsp:CommandState CommandId="{command_id}" State="{_SHELL}/CommandState/Running"/>'
    return _ok(req, f"{_SHELL}/ReceiveResponse", f"<rsp:ReceiveResponse>{streams}{state}</rsp:ReceiveResponse>")
