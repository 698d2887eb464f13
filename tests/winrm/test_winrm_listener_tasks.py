"""The scheduled-task round trip that yields the signed-in user's own dsregcmd view."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

import pinreset
from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import SimulatedHost

from .conftest import run_ps

_DIR = "C:\\ProgramData\\pinreset"


def _task_xml(sid: str, output: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <Principals><Principal id="Author"><UserId>{escape(sid)}</UserId><LogonType>InteractiveToken</LogonType>
  <RunLevel>LeastPrivilege</RunLevel></Principal></Principals>
  <Settings><Hidden>true</Hidden></Settings>
  <Actions Context="Author"><Exec><Command>cmd.exe</Command>
  <Arguments>/c dsregcmd /status &gt; "{escape(output)}"</Arguments></Exec></Actions>
</Task>"""


def _info(pool: Any, name: str) -> dict[str, Any]:
    (text,), _, _ = run_ps(
        pool, [("Get-ScheduledTaskInfo", [("TaskName", name)]), ("ConvertTo-Json", [("Compress", True)])]
    )
    info: dict[str, Any] = json.loads(text)
    return info


def _register_and_start(pool: Any, name: str, sid: str) -> str:
    output = f"{_DIR}\\{name}.txt"
    run_ps(pool, [("New-Item", [("ItemType", "Directory"), ("Path", _DIR), ("Force", True)])])
    (task,), _, had_errors = run_ps(
        pool, [("Register-ScheduledTask", [("TaskName", name), ("Xml", _task_xml(sid, output)), ("Force", True)])]
    )
    assert not had_errors
    assert task.extended_properties["State"] == "Ready"
    run_ps(pool, [("Start-ScheduledTask", [("TaskName", name)])])
    return output


def test_task_round_trip_yields_the_users_view(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """Register, start, poll, read and remove: the file holds the interactive user's dsregcmd view."""
    facts = tenant.device_facts(host.device_name)
    name = "pinreset-check-1"
    assert _info_before(pool, name, facts.signed_in_user_sid) == 267011
    output = _register_and_start(pool, name, facts.signed_in_user_sid)
    assert _info(pool, name)["LastTaskResult"] == 267009
    done = _info(pool, name)
    assert done["LastTaskResult"] == 0
    assert done["LastRunTime"].startswith("/Date(")
    (text,), _, _ = run_ps(pool, [("Get-Content", [("LiteralPath", output), ("Raw", True)])])
    assert text.replace("\r\n", "\n") == tenant.render_dsregcmd(host.device_name, account="user")
    status = pinreset.parse_dsregcmd(text)
    assert status.user_state is not None
    assert status.user_state.ngc_set is facts.ngc_set
    assert status.ngc_prerequisite_check is not None
    assert status.ngc_prerequisite_check.session_is_not_remote is True
    _, streams, had_errors = run_ps(pool, [("Unregister-ScheduledTask", [("TaskName", name), ("Confirm", False)])])
    assert (had_errors, streams.error) == (False, [])
    run_ps(pool, [("Remove-Item", [("LiteralPath", output), ("Force", True)])])
    assert host.tasks == {}
    assert host.read_file(output) is None


def _info_before(pool: Any, name: str, sid: str) -> int:
    """Register without starting and read LastTaskResult."""
    run_ps(pool, [("Register-ScheduledTask", [("TaskName", name), ("Xml", _task_xml(sid, f"{_DIR}\\x.txt"))])])
    result: int = _info(pool, name)["LastTaskResult"]
    return result


def test_task_never_runs_without_an_interactive_user(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """With nobody signed in the task stays at 267011 and writes nothing."""
    host.misbehave("no_user")
    sid = tenant.device_facts(host.device_name).signed_in_user_sid
    output = _register_and_start(pool, "pinreset-check-2", sid)
    assert [_info(pool, "pinreset-check-2")["LastTaskResult"] for _ in range(3)] == [267011] * 3
    _, streams, had_errors = run_ps(
        pool, [("Get-Content", [("LiteralPath", output), ("Raw", True), ("ErrorAction", "SilentlyContinue")])]
    )
    assert (streams.error, had_errors) == ([], False)
    assert host.read_file(output) is None


def test_task_for_another_sid_does_not_run(pool: Any, host: SimulatedHost) -> None:
    """A principal that is not the signed-in user's SID has no session to run in."""
    _register_and_start(pool, "pinreset-check-3", "S-1-5-21-1-2-3-1001")
    assert _info(pool, "pinreset-check-3")["LastTaskResult"] == 267011


def test_unregister_needs_confirm_false_and_an_existing_task(pool: Any, host: SimulatedHost) -> None:
    """Without -Confirm:$false the remote prompt fails; an unknown task is ObjectNotFound."""
    _, streams, had_errors = run_ps(pool, [("Unregister-ScheduledTask", [("TaskName", "nope")])])
    assert had_errors
    assert streams.error[0].fq_error == "HostFunctionNotImplemented"
    _, streams, had_errors = run_ps(pool, [("Unregister-ScheduledTask", [("TaskName", "nope"), ("Confirm", False)])])
    assert had_errors
    assert streams.error[0].fq_error == "CmdletizationQuery_NotFound_TaskName,Unregister-ScheduledTask"


def test_hostile_task_name_is_stored_literally(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """A task name with PowerShell syntax is registered under exactly that name and nothing is removed."""
    hostile = "pinreset'; Remove-Item C:\\ -Recurse; '"
    sid = tenant.device_facts(host.device_name).signed_in_user_sid
    run_ps(pool, [("Register-ScheduledTask", [("TaskName", hostile), ("Xml", _task_xml(sid, f"{_DIR}\\h.txt"))])])
    assert [t.name for t in host.tasks.values()] == [hostile]
    assert ("Register-ScheduledTask", {"TaskName": hostile, "Xml": _task_xml(sid, f"{_DIR}\\h.txt")}) in host.calls
    assert host.exists("C:\\ProgramData") == "directory"


def test_each_session_user_gets_their_own_task_output(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """With a second session, both explorer owners are listed and a task for the second SID prints its text."""
    second_sid = "S-1-12-1-1111111111-2222222222-3333333333-4444444444"
    own_view = "own view of the second user"
    host.add_session(second_sid, "AzureAD", "second.user", dsregcmd=own_view)
    try:
        explorer = ("Get-CimInstance", [("ClassName", "Win32_Process"), ("Filter", "Name = 'explorer.exe'")])
        (owners,), _, _ = run_ps(
            pool, [explorer, ("Invoke-CimMethod", [("MethodName", "GetOwnerSid")]), ("ConvertTo-Json", [])]
        )
        sids = [o["Sid"] for o in json.loads(owners)]
        assert sids == [tenant.device_facts(host.device_name).signed_in_user_sid, second_sid]
        sessions, _, _ = run_ps(pool, [explorer])
        assert [s.extended_properties["SessionId"] for s in sessions] == [1, 2]
        output = _register_and_start(pool, "pinreset-second", second_sid)
        assert _info(pool, "pinreset-second")["LastTaskResult"] == 267009
        assert _info(pool, "pinreset-second")["LastTaskResult"] == 0
        assert host.read_file(output) == own_view
    finally:
        host.extra_sessions.clear()
