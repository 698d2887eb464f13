"""Just enough of ``cmd.exe`` to run the command lines a WinRM client or a scheduled task sends.

``execute_cmd`` hands the whole line to ``cmd.exe /c``; a scheduled task runs ``cmd.exe`` with arguments such as
``/c dsregcmd /status > "C:\\ProgramData\\pinreset\\x.txt"``. Supported: ``dsregcmd[.exe] /status``, ``hostname``,
``whoami``, ``ver``, ``echo``, output redirection (``>``, ``>>``, ``2>&1``), and ``powershell -EncodedCommand``
(what pywinrm's ``run_ps`` sends) for the canned scripts of :func:`canned_script`. Anything else gets cmd's own
"is not recognized" message and exit code 1, as on Windows.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["PS_VERSION", "CmdResult", "canned_script", "run_command_line", "split_redirection"]

#: ``$PSVersionTable.PSVersion`` of the simulated hosts (Windows PowerShell 5.1 on Windows 11 23H2).
PS_VERSION = "5.1.22621.4391"

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


def canned_script(script: str) -> str | None:
    """The command line a known PowerShell script amounts to (``None`` for anything else).

    The simulated hosts evaluate no PowerShell text; these are the only scripts clients send as text.
    """
    lowered = " ".join(script.strip().rstrip(";").lower().split())
    if lowered.startswith("& "):
        lowered = lowered[2:]
    if lowered in ("dsregcmd /status", "dsregcmd.exe /status"):
        return "dsregcmd /status"
    if lowered in ("$psversiontable.psversion.tostring()", "hostname", "whoami", "ver"):
        return lowered
    return None


def _powershell(host: SimulatedHost, args: list[str], *, account: str) -> CmdResult:
    lowered = [a.lower() for a in args]
    flag = next((i for i, a in enumerate(lowered) if a in ("-encodedcommand", "-enc", "-e", "-ec")), None)
    if flag is None or flag + 1 >= len(args):
        return CmdResult("", "The simulated host runs only -EncodedCommand scripts.\r\n", 1)
    try:
        script = base64.b64decode(args[flag + 1], validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError):
        return CmdResult(
            "",
            "Cannot process the command because the value specified with -EncodedCommand is not "
            "properly encoded. The value must be Base64 encoded.\r\n",
            1,
        )
    line = canned_script(script)
    if line == "$psversiontable.psversion.tostring()":
        return CmdResult(PS_VERSION + "\r\n", "", 0)
    if line is not None:
        return _run_simple(host, line, account=account)
    word = script.split()[0] if script.split() else script
    return CmdResult(
        "",
        f"{word} : The term '{word}' is not recognized as the name of a cmdlet, function, script "
        "file, or operable program.\r\n",
        1,
    )


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
    if verb == "powershell":
        return _powershell(host, words[1:], account=account)
    if verb == "hostname":
        return CmdResult(host.device_name + "\r\n", "", 0)
    if verb == "whoami":
        return CmdResult(host.account_name(account).lower() + "\r\n", "", 0)
    if verb == "ver":
        return CmdResult(f"\r\nMicrosoft Windows [Version {host.os_version()}]\r\n", "", 0)
    if verb == "echo":
        return CmdResult(command.split(None, 1)[1] + "\r\n" if len(words) > 1 else "ECHO is on.\r\n", "", 0)
    return CmdResult("", _NOT_RECOGNIZED.format(words[0]), 1)
