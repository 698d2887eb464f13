"""Just enough of ``cmd.exe`` to run the command lines a WinRM client or a scheduled task sends.

``execute_cmd`` hands the whole line to ``cmd.exe /c``; a scheduled task runs ``cmd.exe`` with arguments such as
``/c dsregcmd /status > "C:\\ProgramData\\pinreset\\x.txt"``. Supported: ``dsregcmd[.exe] /status``, ``hostname``,
``whoami``, ``ver``, ``echo``, output redirection (``>``, ``>>``, ``2>&1``). Anything else gets cmd's own
"is not recognized" message and exit code 1, as on Windows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["CmdResult", "run_command_line", "split_redirection"]

_REDIRECT = re.compile(r'\s*(?P<op>>>|>)\s*(?P<target>"[^"]*"|[^\s"]+)\s*$')
_MERGE = re.compile(r"\s+2>&1\s*$")
_NOT_RECOGNIZED = "'{}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
_DSREG_USAGE = (
    "DSREGCMD switches\r\n"
    "                        /? : Displays the help message for DSREGCMD\r\n"
    "                   /status : Displays the device join status\r\n"
    "               /status_old : Displays the device join status in old format\r\n"
)


@attrs.frozen
class CmdResult:
    """What a command line printed and its exit code (text with CRLF line ends)."""

    stdout: str
    stderr: str
    rc: int


def split_redirection(line: str) -> tuple[str, str | None, bool]:
    """Split ``cmd > "file"`` into ``(cmd, file, append)`` (``file`` is ``None`` without a redirection)."""
    line = _MERGE.sub("", line)
    match = _REDIRECT.search(line)
    if not match:
        return line.strip(), None, False
    target = match.group("target").strip('"')
    return line[: match.start()].strip(), target, match.group("op") == ">>"


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def run_command_line(host: SimulatedHost, line: str, *, account: str) -> CmdResult:
    """Run one ``cmd.exe /c`` line on ``host`` as ``account`` (``"admin"`` or ``"user"``).

    Args:
        host: the simulated host.
        line: the command line (``/c`` already removed).
        account: whose view dsregcmd prints.

    Returns:
        The output and exit code; redirected output goes to the host's file system instead.
    """
    command, target, append = split_redirection(line)
    result = _run_simple(host, command, account=account)
    if target is None:
        return result
    if not host.write_file(target, result.stdout, append=append):
        return CmdResult("", "The system cannot find the path specified.\r\n", 1)
    return CmdResult("", result.stderr, result.rc)


def _run_simple(host: SimulatedHost, command: str, *, account: str) -> CmdResult:
    words = command.split()
    if not words:
        return CmdResult("", "", 0)
    verb = words[0].strip('"').lower()
    if verb.endswith(".exe"):
        verb = verb[:-4]
    verb = verb.rsplit("\\", 1)[-1]
    args = [w.lower() for w in words[1:]]
    if verb == "dsregcmd":
        if args == ["/status"]:
            return CmdResult(_crlf(host.dsregcmd(account)), "", 0)
        return CmdResult(_DSREG_USAGE, "", 0)
    if verb == "hostname":
        return CmdResult(host.device_name + "\r\n", "", 0)
    if verb == "whoami":
        return CmdResult(host.account_name(account).lower() + "\r\n", "", 0)
    if verb == "ver":
        return CmdResult(f"\r\nMicrosoft Windows [Version {host.os_version()}]\r\n", "", 0)
    if verb == "echo":
        return CmdResult(command.split(None, 1)[1] + "\r\n" if len(words) > 1 else "ECHO is on.\r\n", "", 0)
    return CmdResult("", _NOT_RECOGNIZED.format(words[0]), 1)
