"""Native commands and text cmdlets: ``dsregcmd.exe``, ``Invoke-Expression`` (canned scripts), ``Out-String``.

A native command's output reaches PowerShell as one string per line. ``Invoke-Expression`` is what
``Client.execute_ps`` wraps every script in; the simulated hosts evaluate no PowerShell, they only recognise the
few fixed scripts a client runs that way (``dsregcmd /status`` and ``$PSVersionTable.PSVersion.ToString()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._cmd import PS_VERSION, canned_script, run_command_line
from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, command_not_found, register
from pinreset.emulator.winrm._objects import PSObj

__all__: list[str] = []


def _native(line: str, inv: Invocation) -> Iterator[str]:
    # The WinRM session's own account: an administrator's network logon, not the interactive user.
    result = run_command_line(inv.host, line, account="admin")
    if result.rc != 0 and result.stderr:
        # A native command's stderr becomes an error record (NativeCommandError) in Windows PowerShell 5.1.
        inv.error(
            PSError(
                result.stderr.strip(),
                fqid="NativeCommandError",
                category="NotSpecified",
                exception_types=("System.Management.Automation.RemoteException",),
                command=line.split()[0] if line.split() else "",
            )
        )
    yield from result.stdout.replace("\r\n", "\n").splitlines()


def _dsregcmd(inv: Invocation) -> Iterator[str]:
    yield from _native(" ".join(["dsregcmd", *inv.args.get("Arguments", [])]), inv)


register(
    CmdletSpec(
        name="dsregcmd.exe",
        type_name="System.Management.Automation.NativeCommandProcessor",
        params=(),
        run=_dsregcmd,
        aliases=("dsregcmd", "C:\\Windows\\System32\\dsregcmd.exe"),
        native=True,
    )
)


def _invoke_expression(inv: Invocation) -> Iterator[Any]:
    script = str(inv.args["Command"])
    line = canned_script(script)
    if line == "$psversiontable.psversion.tostring()":
        yield str(getattr(inv.host, "ps_version", PS_VERSION))  # the admin host runs pwsh 7
        return
    if line is not None:
        yield from _native(line, inv)
        return
    # The first word decides what PowerShell would have looked up; nothing else is evaluated.
    raise command_not_found(script.split()[0] if script.split() else script)


register(
    CmdletSpec(
        name="Invoke-Expression",
        type_name="Microsoft.PowerShell.Commands.InvokeExpressionCommand",
        params=(Param("Command", "string", mandatory=True, position=0),),
        run=_invoke_expression,
        aliases=("iex",),
    )
)


def _format(value: Any) -> list[str]:
    if isinstance(value, PSObj):
        width = max((len(k) for k in value.props), default=0)
        return ["", *(f"{k.ljust(width)} : {'' if v is None else v}" for k, v in value.props.items()), ""]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["True" if value else "False"]
    return str(value).splitlines() or [""]


def _out_string(inv: Invocation) -> Iterator[str]:
    lines = [line for item in inv.input for line in _format(item)]
    if inv.args.get("Stream"):
        yield from lines
    else:
        yield "\r\n".join(lines) + "\r\n"


register(
    CmdletSpec(
        name="Out-String",
        type_name="Microsoft.PowerShell.Commands.OutStringCommand",
        params=(Param("Stream", "switch"), Param("Width", "int"), Param("InputObject", "object")),
        run=_out_string,
        takes_input=True,
    )
)


def _out_null(inv: Invocation) -> Iterator[Any]:
    return iter(())


register(
    CmdletSpec(
        name="Out-Null",
        type_name="Microsoft.PowerShell.Commands.OutNullCommand",
        params=(Param("InputObject", "object"),),
        run=_out_null,
        takes_input=True,
    )
)
