"""Scheduled tasks: ``Register-ScheduledTask -Xml``, ``Start-ScheduledTask``, ``Get-ScheduledTaskInfo``,
``Get-ScheduledTask``, ``Unregister-ScheduledTask``.

Task Scheduler semantics that a remote check depends on: a task whose principal logs on with
``InteractiveToken`` runs only inside that user's existing interactive session -- when the user is not signed in
it never runs and ``LastTaskResult`` stays 267011 (SCHED_S_TASK_HAS_NOT_RUN). A started task reports 267009
(SCHED_S_TASK_RUNNING) for ``host.task_polls`` polls, then its exit code; its ``cmd.exe /c`` action runs as the
task's user, so ``dsregcmd /status`` written by it is that user's own view.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timezone

from pinreset.emulator.winrm._cmd import run_command_line
from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, PSError, register
from pinreset.emulator.winrm._host import HostTask, SimulatedHost
from pinreset.emulator.winrm._objects import PSObj, cim_object

__all__: list[str] = []

_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
_NEVER = datetime(1999, 11, 30, tzinfo=timezone.utc)
_CIM = ("Microsoft.Management.Infrastructure.CimException",)


def _task_error(message: str, hresult: str, command: str, category: str, target: str) -> PSError:
    return PSError(
        message,
        fqid=f"HRESULT {hresult},{command}",
        category=category,
        exception_types=_CIM,
        target=target,
        command=command,
    )


def _not_found(name: str, command: str) -> PSError:
    return PSError(
        f"No MSFT_ScheduledTask objects found with property 'TaskName' equal to '{name}'.  Verify the value of the "
        "property and retry.",
        fqid=f"CmdletizationQuery_NotFound_TaskName,{command}",
        category="ObjectNotFound",
        exception_types=_CIM,
        target=name,
        command=command,
    )


def _parse(name: str, xml_text: str) -> HostTask:
    # Task XML comes from an authenticated administrator; expat refuses entity expansion bombs.
    root = ET.fromstring(xml_text)  # noqa: S314
    principal = root.find("t:Principals/t:Principal", _NS)
    exec_action = root.find("t:Actions/t:Exec", _NS)

    def text(node: ET.Element | None, path: str, default: str = "") -> str:
        found = node.find(path, _NS) if node is not None else None
        return (found.text or "").strip() if found is not None else default

    return HostTask(
        name=name,
        xml=xml_text,
        principal=text(principal, "t:UserId") or text(principal, "t:GroupId"),
        logon_type=text(principal, "t:LogonType", "InteractiveToken"),
        run_level=text(principal, "t:RunLevel", "LeastPrivilege"),
        command=text(exec_action, "t:Command"),
        arguments=text(exec_action, "t:Arguments"),
    )


def _task_object(task: HostTask) -> PSObj:
    return cim_object(
        "MSFT_ScheduledTask",
        {"TaskName": task.name, "TaskPath": "\\", "State": task.state, "Description": None},
    )


def _register(inv: Invocation) -> Iterator[PSObj]:
    name = str(inv.args["TaskName"])
    command = "Register-ScheduledTask"
    try:
        task = _parse(name, str(inv.args.get("Xml") or ""))
    except ET.ParseError:
        raise _task_error("The task XML is malformed.", "0x8004131a", command, "NotSpecified", name) from None
    with inv.host.lock:
        if name.lower() in inv.host.tasks and not inv.args.get("Force"):
            raise _task_error(
                "Cannot create a file when that file already exists.", "0x800700b7", command, "ResourceExists", name
            )
        inv.host.tasks[name.lower()] = task
    yield _task_object(task)


register(
    CmdletSpec(
        name="Register-ScheduledTask",
        type_name="Register-ScheduledTask",
        module="ScheduledTasks",
        params=(
            Param("TaskName", "string", mandatory=True, position=0),
            Param("Xml", "string", mandatory=True),
            Param("TaskPath", "string"),
            Param("User", "string"),
            Param("Force", "switch"),
        ),
        run=_register,
    )
)


def _runs_interactively(host: SimulatedHost, task: HostTask) -> str | None:
    """``"user:<SID>"`` of the session the task's principal can run in, else ``None``."""
    if task.logon_type.lower() not in ("interactivetoken", "interactivetokenorpassword", "group"):
        return None
    principal = task.principal.lower()
    for user in host.users():
        if principal in (user.sid.lower(), f"{user.domain}\\{user.name}".lower(), user.name.lower()):
            return f"user:{user.sid}"
    return None


def _complete(host: SimulatedHost, task: HostTask) -> None:
    account = task.running_as or "user"
    exe = task.command.strip('"').lower().rsplit("\\", 1)[-1]
    if exe in ("cmd.exe", "cmd"):
        args = task.arguments.strip()
        line = args[2:].strip() if args.lower().startswith("/c") else args
        result = run_command_line(host, line, account=account)
        task.last_result = result.rc
    elif exe in ("dsregcmd.exe", "dsregcmd"):
        task.last_result = 0
    else:
        # The simulated hosts run no other programs; Windows reports "file not found" for a missing one.
        task.last_result = 2147942402
    task.last_run = datetime.now(timezone.utc)


def _start(inv: Invocation) -> Iterator[PSObj]:
    name = str(inv.args["TaskName"])
    host = inv.host
    with host.lock:
        task = host.tasks.get(name.lower())
        if task is None:
            raise _task_error(
                "The system cannot find the file specified.",
                "0x80070002",
                "Start-ScheduledTask",
                "ObjectNotFound",
                name,
            )
        account = _runs_interactively(host, task)
        if account is None:
            return iter(())  # no session for the principal: the task does not run
        task.running_as = account
        task.last_result = 267009
        task.polls_left = host.task_polls
        if task.polls_left <= 0:
            _complete(host, task)
    return iter(())


register(
    CmdletSpec(
        name="Start-ScheduledTask",
        type_name="Start-ScheduledTask",
        module="ScheduledTasks",
        params=(Param("TaskName", "string", mandatory=True, position=0), Param("TaskPath", "string")),
        run=_start,
    )
)


def _info(inv: Invocation) -> Iterator[PSObj]:
    name = str(inv.args["TaskName"])
    host = inv.host
    with host.lock:
        task = host.tasks.get(name.lower())
        if task is None:
            raise _not_found(name, "Get-ScheduledTaskInfo")
        if task.last_result == 267009:
            task.polls_left -= 1
            if task.polls_left < 0:
                _complete(host, task)
        yield cim_object(
            "MSFT_TaskDynamicInfo",
            {
                "TaskName": task.name,
                "TaskPath": "\\",
                "LastTaskResult": task.last_result,
                "LastRunTime": task.last_run or _NEVER,
                "NextRunTime": None,
                "NumberOfMissedRuns": 0,
            },
        )


register(
    CmdletSpec(
        name="Get-ScheduledTaskInfo",
        type_name="Get-ScheduledTaskInfo",
        module="ScheduledTasks",
        params=(Param("TaskName", "string", mandatory=True, position=0), Param("TaskPath", "string")),
        run=_info,
    )
)


def _get_task(inv: Invocation) -> Iterator[PSObj]:
    name = inv.args.get("TaskName")
    with inv.host.lock:
        tasks = list(inv.host.tasks.values())
    if name is None:
        yield from (_task_object(t) for t in tasks)
        return
    found = [t for t in tasks if t.name.lower() == str(name).lower()]
    if not found:
        inv.error(_not_found(str(name), "Get-ScheduledTask"))
    yield from (_task_object(t) for t in found)


register(
    CmdletSpec(
        name="Get-ScheduledTask",
        type_name="Get-ScheduledTask",
        module="ScheduledTasks",
        params=(Param("TaskName", "string", position=0), Param("TaskPath", "string")),
        run=_get_task,
    )
)


def _unregister(inv: Invocation) -> Iterator[PSObj]:
    name = str(inv.args["TaskName"])
    if inv.args.get("Confirm") is not False:
        # ConfirmImpact is High: without -Confirm:$false a remote session would have to prompt, and cannot.
        raise PSError(
            "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
            fqid="HostFunctionNotImplemented",
            category="InvalidOperation",
            exception_types=("System.Management.Automation.Host.HostException",),
            target=name,
            command="Unregister-ScheduledTask",
            terminating=True,
        )
    with inv.host.lock:
        if inv.host.tasks.pop(name.lower(), None) is None:
            raise _not_found(name, "Unregister-ScheduledTask")
    return iter(())


register(
    CmdletSpec(
        name="Unregister-ScheduledTask",
        type_name="Unregister-ScheduledTask",
        module="ScheduledTasks",
        params=(Param("TaskName", "string", mandatory=True, position=0), Param("TaskPath", "string")),
        run=_unregister,
        should_process=True,
    )
)
