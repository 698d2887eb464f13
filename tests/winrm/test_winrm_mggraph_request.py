"""Invoke-MgGraphRequest, Get-Module and ConvertTo-Json (pwsh 7 flavour) on the admin host."""

from __future__ import annotations

import json
from typing import Any

from pinreset.emulator import Emulator

from .mggraph_helpers import connected, emu, failure, pool, props, run

__all__ = ["connected", "emu", "pool"]

_MISSING = "0b0b0b0b-1111-2222-3333-444444444444"


def _invoke(pool: Any, **params: Any) -> tuple[list[Any], Any]:
    return run(pool, ("Invoke-MgGraphRequest", list(params.items())))


def test_json_output_is_the_body(connected: Any, emu: Emulator) -> None:
    """-OutputType Json returns Graph's body string; a relative URI without version goes to v1.0."""
    (text,), _ = _invoke(connected, Method="GET", Uri="/v1.0/organization", OutputType="Json")
    assert json.loads(text)["value"][0]["id"] == emu.tenant_id
    (again,), _ = _invoke(connected, Uri="organization", OutputType="Json")
    assert json.loads(again)["value"][0]["id"] == emu.tenant_id


def test_hashtable_and_psobject_output(connected: Any, emu: Emulator) -> None:
    """The default output is a hashtable of the JSON; -OutputType PSObject gives objects."""
    (table,), _ = _invoke(connected, Uri="/v1.0/organization")
    assert isinstance(table, dict)
    assert table["value"][0]["id"] == emu.tenant_id
    (obj,), _ = _invoke(connected, Uri="/v1.0/organization", OutputType="PSObject")
    assert props(props(obj)["value"][0])["id"] == emu.tenant_id


def test_paging_by_absolute_next_link(connected: Any, emu: Emulator) -> None:
    """@odata.nextLink points at the connected cloud's Graph root and can be passed back as an absolute -Uri."""
    (text,), _ = _invoke(connected, Uri="/beta/deviceManagement/managedDevices?$top=5", OutputType="Json")
    page = json.loads(text)
    seen = [d["id"] for d in page["value"]]
    link = page["@odata.nextLink"]
    assert link.startswith("https://graph.microsoft.com/beta/deviceManagement/managedDevices?")
    while link:
        (text,), _ = _invoke(connected, Uri=link, OutputType="Json")
        page = json.loads(text)
        seen.extend(d["id"] for d in page["value"])
        link = page.get("@odata.nextLink")
    assert len(set(seen)) == len(seen) == len(emu.tenant.devices)


def test_foreign_host_is_refused(connected: Any) -> None:
    """An absolute URI on another host never leaves the admin host."""
    _, ps = _invoke(connected, Uri="https://attacker.example/v1.0/organization")
    message, fqid = failure(ps)
    assert "attacker.example" in message
    assert fqid.startswith("InvalidHost,")


def test_post_with_hashtable_and_string_bodies(connected: Any) -> None:
    """A hashtable body is sent as JSON, a string body as is; both create a profile; DELETE returns nothing."""
    body = {
        "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
        "displayName": "from a hashtable",
        "pinRecoveryEnabled": True,
    }
    (made,), ps = _invoke(connected, Method="POST", Uri="/beta/deviceManagement/deviceConfigurations", Body=body)
    assert not ps.had_errors
    assert made["pinRecoveryEnabled"] is True
    text = json.dumps({**body, "displayName": "from a string"})
    (raw,), _ = _invoke(
        connected,
        Method="POST",
        Uri="/beta/deviceManagement/deviceConfigurations",
        Body=text,
        ContentType="application/json",
        OutputType="Json",
    )
    assert json.loads(raw)["displayName"] == "from a string"
    for created in (made["id"], json.loads(raw)["id"]):
        output, ps = _invoke(connected, Method="DELETE", Uri=f"/beta/deviceManagement/deviceConfigurations/{created}")
        assert output == []
        assert not ps.had_errors


def test_headers_reach_graph(connected: Any) -> None:
    """-Headers are sent: ConsistencyLevel eventual lets $count work on service principals."""
    (count,), ps = _invoke(
        connected,
        Uri="/v1.0/servicePrincipals/$count",
        Headers={"ConsistencyLevel": "eventual"},
        OutputType="Json",
    )
    assert not ps.had_errors
    assert int(count) > 0


def test_batch_through_invoke(connected: Any, emu: Emulator) -> None:
    """POST /v1.0/$batch answers every inner request."""
    batch = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/organization"},
            {"id": "2", "method": "GET", "url": f"/groups/{_MISSING}"},
        ]
    }
    (answer,), _ = _invoke(connected, Method="POST", Uri="/v1.0/$batch", Body=batch)
    statuses = {r["id"]: r["status"] for r in answer["responses"]}
    assert statuses == {"1": 200, "2": 404}


def test_http_errors_in_sdk_format(connected: Any) -> None:
    """A 404 from Invoke-MgGraphRequest has the Status/ErrorCode lines and the error code in its error id."""
    _, ps = _invoke(connected, Uri=f"/v1.0/servicePrincipals/{_MISSING}")
    message, fqid = failure(ps)
    assert "Status: 404 (NotFound)" in message
    assert fqid == "Request_ResourceNotFound,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest"
    _, ps = _invoke(connected, Uri="/v1.0/organization", Method="FETCH")
    assert (
        failure(ps)[1]
        == "ParameterArgumentValidationError,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest"
    )


def test_invoke_needs_a_connection(pool: Any) -> None:
    """Before Connect-MgGraph, Invoke-MgGraphRequest asks for a sign-in."""
    _, ps = _invoke(pool, Uri="/v1.0/organization")
    assert failure(ps)[0] == "Authentication needed. Please call Connect-MgGraph."


def test_get_module_and_missing_or_old_modules(connected: Any, emu: Emulator) -> None:
    """Get-Module -ListAvailable lists the SDK at its version; a removed module's cmdlets are not recognized."""
    admin = emu.admin_host
    assert admin is not None
    listed, _ = run(connected, ("Get-Module", [("ListAvailable", True), ("Name", ["Microsoft.Graph.Beta.*"])]))
    versions = {props(m)["Name"]: props(m)["Version"] for m in listed}
    assert versions == {
        "Microsoft.Graph.Beta.DeviceManagement": "2.25.0",
        "Microsoft.Graph.Beta.DeviceManagement.Actions": "2.25.0",
    }
    admin.host.set_module("Microsoft.Graph.Beta.DeviceManagement", None)
    admin.host.set_module("Microsoft.Graph.Authentication", "1.28.0")
    try:
        listed, _ = run(
            connected, ("Get-Module", [("ListAvailable", True), ("Name", ["Microsoft.Graph.Beta.DeviceManagement"])])
        )
        assert listed == []
        _, ps = run(connected, ("Get-MgBetaDeviceManagementManagedDevice", [("All", True)]))
        assert failure(ps)[1] == "CommandNotFoundException"
        (auth,), _ = run(
            connected, ("Get-Module", [("ListAvailable", True), ("Name", ["Microsoft.Graph.Authentication"])])
        )
        assert props(auth)["Version"] == "1.28.0"
    finally:
        admin.host.set_module("Microsoft.Graph.Beta.DeviceManagement", "2.25.0")
        admin.host.set_module("Microsoft.Graph.Authentication", "2.25.0")
    imported, _ = run(connected, ("Get-Module", []))
    assert "Microsoft.Graph.Authentication" in {props(m)["Name"] for m in imported}


def test_convert_to_json_is_pwsh_7(connected: Any) -> None:
    """ConvertTo-Json on pwsh 7: ISO 8601 dates, hashtables and nested objects, booleans and nulls, -AsArray."""
    (text,), _ = run(
        connected,
        ("Get-MgBetaDeviceManagementManagedDevice", [("Top", 1)]),
        ("ConvertTo-Json", [("Depth", 10), ("Compress", True), ("AsArray", True)]),
    )
    (device,) = json.loads(text)
    assert device["LastSyncDateTime"].endswith("Z")
    assert "/Date(" not in text
    assert isinstance(device["AdditionalProperties"], dict)
    assert device["ManagementState"] is None or isinstance(device["ManagementState"], str)
    (pretty,), _ = run(connected, ("Get-MgContext", []), ("ConvertTo-Json", [("Depth", 1)]))
    assert pretty.startswith('{\n  "ClientId"')
