"""PSRP pipelines of the contract's cmdlets through unmodified pypsrp RunspacePool/PowerShell."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import pinreset
from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import SimulatedHost

from .conftest import run_ps

_JSON = ("ConvertTo-Json", [("Depth", 4), ("Compress", True)])
_MDM = "HKLM:\\SOFTWARE\\Microsoft\\Policies\\PassportForWork"
_GPO = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\PassportForWork"


def test_execute_ps_runs_dsregcmd_and_version(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """Client.execute_ps answers the two canned scripts and fails others with CommandNotFound."""
    client = make_client(host)
    output, streams, had_errors = client.execute_ps("dsregcmd /status")
    assert not had_errors
    assert pinreset.parse_dsregcmd(output).device_state is not None
    version, _, _ = client.execute_ps("$PSVersionTable.PSVersion.ToString()")
    assert version == "5.1.22621.4391"
    _, streams, had_errors = client.execute_ps("Remove-Computer -Force")
    assert had_errors
    assert streams.error[0].fq_error == "CommandNotFoundException"


def test_operating_system_and_computer_system(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """Get-CimInstance yields CIM objects with the device's build, name and console user."""
    facts = tenant.device_facts(host.device_name)
    (os_info,), _, _ = run_ps(pool, [("Get-CimInstance", [("ClassName", "Win32_OperatingSystem")])])
    assert os_info.types[0].endswith("Win32_OperatingSystem")
    assert os_info.extended_properties["BuildNumber"] == str(facts.build)
    assert os_info.extended_properties["Version"] == f"10.0.{facts.build}"
    (system,), _, _ = run_ps(pool, [("Get-CimInstance", [("ClassName", "Win32_ComputerSystem")])])
    props = system.extended_properties
    assert props["Name"] == host.device_name
    assert props["UserName"].endswith("\\" + facts.signed_in_user_upn.split("@")[0])


def test_explorer_owner_sid_and_name(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """Explorer processes piped into Invoke-CimMethod give the signed-in user's SID and name."""
    facts = tenant.device_facts(host.device_name)
    explorer = ("Get-CimInstance", [("ClassName", "Win32_Process"), ("Filter", "Name = 'explorer.exe'")])
    (sid_json,), _, _ = run_ps(pool, [explorer, ("Invoke-CimMethod", [("MethodName", "GetOwnerSid")]), _JSON])
    assert json.loads(sid_json) == {"Sid": facts.signed_in_user_sid, "ReturnValue": 0, "PSComputerName": None}
    (owner_json,), _, _ = run_ps(pool, [explorer, ("Invoke-CimMethod", [("MethodName", "GetOwner")]), _JSON])
    assert json.loads(owner_json)["User"] == facts.signed_in_user_upn.split("@")[0]
    processes, _, _ = run_ps(pool, [explorer])
    assert [p.extended_properties["SessionId"] for p in processes] == [1]


def test_no_user_means_no_explorer(pool: Any, host: SimulatedHost) -> None:
    """With nobody signed in there is no explorer.exe and Win32_ComputerSystem.UserName is null."""
    host.misbehave("no_user")
    processes, _, _ = run_ps(
        pool, [("Get-CimInstance", [("ClassName", "Win32_Process"), ("Filter", "Name = 'explorer.exe'")])]
    )
    assert processes == []
    (system,), _, _ = run_ps(pool, [("Get-CimInstance", [("ClassName", "Win32_ComputerSystem")])])
    assert system.extended_properties["UserName"] is None


def test_missing_registry_key_is_non_terminating(pool: Any, host: SimulatedHost) -> None:
    """A missing key writes ItemNotFound to the error stream without failing; SilentlyContinue hides it."""
    output, streams, had_errors = run_ps(pool, [("Get-ItemProperty", [("Path", _GPO)])])
    assert (output, had_errors) == ([], False)
    assert streams.error[0].fq_error == "PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand"
    assert "ItemNotFoundException" in streams.error[0].message
    output, streams, _ = run_ps(pool, [("Get-ItemProperty", [("Path", _GPO), ("ErrorAction", "SilentlyContinue")])])
    assert (output, streams.error) == ([], [])


def test_mdm_policy_and_gpo_values_follow_the_device(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """Once the device recorded the MDM policy its registry shows it; a GPO value can be set on the host."""
    tenant.set_device_state(host.device_name, pin_recovery_policy=True)
    host.gpo["EnablePinRecovery"] = 0
    try:
        (tree,), _, _ = run_ps(pool, [("Get-ChildItem", [("Path", _MDM), ("Recurse", True)]), _JSON])
        keys = {k["PSChildName"]: k for k in json.loads(tree)}
        assert keys["Policies"]["Property"] == ["UsePassportForWork", "EnablePinRecovery"]
        assert keys["Policies"]["Name"].startswith(
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Policies\\PassportForWork\\"
        )
        policies = f"{_MDM}\\{tenant.tenant_id}\\Device\\Policies"
        (mdm,), _, _ = run_ps(pool, [("Get-ItemProperty", [("Path", policies)])])
        assert mdm.extended_properties["EnablePinRecovery"] == 1
        assert mdm.extended_properties["PSChildName"] == "Policies"
        (gpo,), _, _ = run_ps(pool, [("Get-ItemProperty", [("Path", _GPO)])])
        assert gpo.extended_properties["EnablePinRecovery"] == 0
    finally:
        tenant.set_device_state(host.device_name, pin_recovery_policy=None)


def test_recovery_key_event_for_the_user_sid(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """Get-WinEvent finds event 8060 for the user's SID once the key exists, else reports no events."""
    query = [
        ("FilterHashtable", {"LogName": "Microsoft-Windows-HelloForBusiness/Operational", "Id": [8060, 5062, 7060]}),
        ("MaxEvents", 10),
    ]
    output, streams, had_errors = run_ps(pool, [("Get-WinEvent", query)])
    assert (output, had_errors) == ([], False)
    assert str(streams.error[0]) == "No events were found that match the specified selection criteria."
    tenant.set_device_state(host.device_name, pin_recovery_key_created=True)
    try:
        (events,), _, _ = run_ps(pool, [("Get-WinEvent", query), _JSON])
    finally:
        tenant.set_device_state(host.device_name, pin_recovery_key_created=False)
    event = json.loads(events)
    assert event["Id"] == 8060
    assert event["UserId"] == tenant.device_facts(host.device_name).signed_in_user_sid
    assert event["TimeCreated"].startswith("/Date(")


def test_dsregcmd_native_lines_are_the_admin_view(pool: Any, host: SimulatedHost) -> None:
    """dsregcmd.exe /status over PSRP yields one string per line, as the connecting admin sees it."""
    lines, _, _ = run_ps(pool, [("dsregcmd.exe", [(None, "/status")])])
    status = pinreset.parse_dsregcmd("\n".join(lines))
    assert status.ngc_prerequisite_check is not None
    assert status.ngc_prerequisite_check.session_is_not_remote is False


@pytest.mark.parametrize(
    ("commands", "fq_error", "text"),
    [
        (
            [("Get-ItemProperty", [("Pathh", _GPO)])],
            "NamedParameterNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand",
            "A parameter cannot be found that matches parameter name 'Pathh'.",
        ),
        (
            [("Get-WinEvent", [("MaxEvents", "ten")])],
            "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.GetWinEventCommand",
            "Cannot bind parameter 'MaxEvents'.",
        ),
        ([("Get-MgDevice", [])], "CommandNotFoundException", "The term 'Get-MgDevice' is not recognized"),
        ([("Start-ScheduledTask", [])], "MissingMandatoryParameter,Start-ScheduledTask", "missing mandatory"),
    ],
)
def test_binding_errors_are_terminating(
    pool: Any, host: SimulatedHost, commands: list[Any], fq_error: str, text: str
) -> None:
    """Unknown parameters, wrong types, unknown commands and missing parameters fail the pipeline."""
    output, streams, had_errors = run_ps(pool, commands)
    assert (output, had_errors) == ([], True)
    assert streams.error[0].fq_error == fq_error
    assert text in str(streams.error[0])


def test_select_object_and_pipeline_input(pool: Any, host: SimulatedHost) -> None:
    """Select-Object projects properties; client-sent pipeline input reaches ConvertTo-Json."""
    (projected,), _, _ = run_ps(
        pool,
        [
            ("Get-CimInstance", [("ClassName", "Win32_OperatingSystem")]),
            ("Select-Object", [("Property", ["Caption", "BuildNumber"])]),
            _JSON,
        ],
    )
    assert list(json.loads(projected)) == ["Caption", "BuildNumber"]
    (echoed,), _, _ = run_ps(pool, [_JSON], input_objects=["a", "b"])
    assert json.loads(echoed) == ["a", "b"]


def test_hostile_values_arrive_as_data(pool: Any, host: SimulatedHost) -> None:
    """A task name full of PowerShell syntax is recorded literally and reported back unchanged."""
    hostile = "x'; Remove-Item C:\\ -Recurse; '"
    _, streams, had_errors = run_ps(pool, [("Get-ScheduledTaskInfo", [("TaskName", hostile)])])
    assert had_errors
    assert hostile in str(streams.error[0])
    assert ("Get-ScheduledTaskInfo", {"TaskName": hostile}) in list(host.calls)
    assert host.exists("C:\\ProgramData") == "directory"


def test_values_survive_the_pipeline_reader(pool: Any, host: SimulatedHost) -> None:
    """Escaped text, emoji, nested lists and hashtables, numbers and switches arrive exactly as sent."""
    tricky = "line1\r\nline2\t_x0041_ \U0001f600 'quoted' <tag> & \"dq\""
    table = {"LogName": "Microsoft-Windows-HelloForBusiness/Operational", "Id": [8060, 5062], "Nested": {"a": True}}
    output, _, had_errors = run_ps(
        pool,
        [("Write-Output", [("InputObject", [tricky, 42, 2**40, 1.5, True, None, table, ["x", ["y"]]])])],
    )
    assert not had_errors
    assert output == [tricky, 42, 2**40, 1.5, True, table, ["x", ["y"]]]
    recorded = dict(host.calls)["Write-Output"]["InputObject"]
    assert recorded[:6] == [tricky, 42, 2**40, 1.5, True, None]


def test_statements_run_in_order(pool: Any, host: SimulatedHost) -> None:
    """add_statement separates pipelines; each statement's output follows the previous one's."""
    from pypsrp.powershell import PowerShell

    with PowerShell(pool) as ps:
        ps.add_cmdlet("Write-Output").add_parameter("InputObject", "first").add_statement()
        ps.add_cmdlet("Get-CimInstance").add_parameter("ClassName", "Win32_ComputerSystem")
        ps.add_cmdlet("Select-Object").add_parameter("ExpandProperty", "Name").add_statement()
        ps.add_cmdlet("Write-Output").add_argument("third")
        assert ps.invoke() == ["first", host.device_name, "third"]


def test_user_scope_mdm_values(pool: Any, host: SimulatedHost, tenant: Tenant) -> None:
    """User-scope MDM values appear under the tenant id and the signed-in user's SID."""
    sid = tenant.device_facts(host.device_name).signed_in_user_sid
    host.user_mdm["EnablePinRecovery"] = 1
    try:
        path = f"{_MDM}\\{tenant.tenant_id}\\{sid}\\Policies"
        (values,), _, _ = run_ps(pool, [("Get-ItemProperty", [("Path", path)])])
    finally:
        host.user_mdm.clear()
    assert values.extended_properties["EnablePinRecovery"] == 1
