"""A WinRS ``cmd`` shell: one command line at a time, output encoded in the shell's code page."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING

import attrs

from pinreset.emulator.winrm._cmd import run_command_line

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["WinRSShell"]


@attrs.define
class _Command:
    stdout: bytes
    stderr: bytes
    rc: int
    delivered: bool = False


class WinRSShell:
    """A cmd shell of one host.

    Args:
        host: the host it runs on.
        shell_id: the ShellId handed to the client.
        codepage: the code page from ``WINRS_CODEPAGE`` (the host's OEM code page when absent).
    """

    kind = "cmd"

    def __init__(self, host: SimulatedHost, shell_id: str, codepage: int) -> None:
        self.host = host
        self.shell_id = shell_id
        self.encoding = "utf-8" if codepage == 65001 else f"cp{codepage}"
        self.commands: dict[str, _Command] = {}
        self.last_used = time.monotonic()

    def run(self, command_id: str, command: str, arguments: list[str]) -> None:
        """Run a command line now; its output waits for the client's Receive."""
        line = " ".join([command, *arguments]).strip()
        # The WinRM session's account: an administrator's network logon, not the interactive user.
        result = run_command_line(self.host, line, account="admin")
        self.commands[command_id] = _Command(
            result.stdout.encode(self.encoding, errors="replace"),
            result.stderr.encode(self.encoding, errors="replace"),
            result.rc,
        )

    def receive_body(self, command_id: str) -> str | None:
        """The ``rsp:ReceiveResponse`` XML for a command (``None`` for an unknown command id)."""
        cmd = self.commands.get(command_id)
        if cmd is None:
            return None
        streams = []
        if not cmd.delivered:
            for name, data in (("stdout", cmd.stdout), ("stderr", cmd.stderr)):
                if data:
                    streams.append(
                        f'<rsp:Stream Name="{name}" CommandId="{command_id}">{base64.b64encode(data).decode()}'
                        "</rsp:Stream>"
                    )
            cmd.delivered = True
        streams.append(f'<rsp:Stream Name="stdout" CommandId="{command_id}" End="true"></rsp:Stream>')
        streams.append(f'<rsp:Stream Name="stderr" CommandId="{command_id}" End="true"></rsp:Stream>')
        state = (
            f'<rsp:CommandState CommandId="{command_id}" '
            'State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done">'
            f"<rsp:ExitCode>{cmd.rc}</rsp:ExitCode></rsp:CommandState>"
        )
        return f"<rsp:ReceiveResponse>{''.join(streams)}{state}</rsp:ReceiveResponse>"

    def signal(self, command_id: str | None, code: str) -> None:
        """ctrl_c or terminate: the command is over; forget it."""
        if command_id:
            self.commands.pop(command_id, None)

    def close(self) -> None:
        """WSMan Delete."""
        self.commands.clear()
