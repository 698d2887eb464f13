"""Directory cmdlets of Microsoft Graph PowerShell on the admin host, through pypsrp against the emulated tenant."""

from __future__ import annotations

import json
from typing import Any

from pinreset.emulator import Emulator
from pinreset.emulator._seeddata import PIN_RESET_SERVICE_APP_ID

from .mggraph_helpers import connected, emu, failure, open_pool, props, run

__all__ = ["connected", "emu"]

_HOSTILE = "displayName eq 'x'' or 1 eq 1'"
_MISSING = "0b0b0b0b-1111-2222-3333-444444444444"


def test_organization_and_domains(connected: Any, emu: Emulator) -> None:
    """Get-MgOrganization gives the tenant with VerifiedDomains objects; Get-MgDomain lists those domains."""
    (org,), _ = run(connected, ("Get-MgOrganization", []))
    shown = props(org)
    assert org.types[0] == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphOrganization"
    assert shown["Id"] == emu.tenant_id
    domains = [props(d) for d in shown["VerifiedDomains"]]
    assert {d["Name"] for d in domains} >= {emu.tenant.default_domain}
    assert sum(1 for d in domains if d["IsDefault"]) == 1
    listed, _ = run(connected, ("Get-MgDomain", [("All", True)]))
    by_id = {props(d)["Id"]: props(d) for d in listed}
    assert by_id[emu.tenant.default_domain]["IsDefault"] is True
    assert all(d["AuthenticationType"] in ("Managed", "Federated") for d in by_id.values())


def test_service_principal_filter_and_property(connected: Any, emu: Emulator) -> None:
    """-Filter on appId finds exactly the app's service principal; -Property selects its columns."""
    output, ps = run(
        connected,
        ("Get-MgServicePrincipal", [("Filter", f"appId eq '{emu.client_id}'"), ("Property", ["id", "appId"])]),
    )
    assert not ps.had_errors
    (sp,) = output
    assert sp.types[0] == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphServicePrincipal"
    assert props(sp)["AppId"] == emu.client_id
    assert props(sp)["DisplayName"] is None  # not selected: the declared property is $null


def test_hostile_filter_arrives_as_data(connected: Any, emu: Emulator) -> None:
    """A quote-doubled filter is one OData string literal to Graph (no match), and the host saw it verbatim."""
    admin = emu.admin_host
    assert admin is not None
    everything, _ = run(connected, ("Get-MgServicePrincipal", [("All", True)]))
    assert len(everything) > 1
    output, ps = run(connected, ("Get-MgServicePrincipal", [("Filter", _HOSTILE), ("All", True)]))
    assert not ps.had_errors
    assert output == []
    assert ("Get-MgServicePrincipal", {"Filter": _HOSTILE, "All": True}) in list(admin.host.calls)


def test_new_service_principal_then_conflict(connected: Any) -> None:
    """New-MgServicePrincipal -AppId creates the service principal once; again is Graph's 409 in the SDK's format."""
    output, ps = run(connected, ("New-MgServicePrincipal", [("AppId", PIN_RESET_SERVICE_APP_ID)]))
    assert not ps.had_errors
    (created,) = output
    assert props(created)["AppId"] == PIN_RESET_SERVICE_APP_ID
    _, ps = run(connected, ("New-MgServicePrincipal", [("AppId", PIN_RESET_SERVICE_APP_ID)]))
    message, fqid = failure(ps)
    assert "Status: 409 (Conflict)" in message
    code, cmdlet = fqid.split(",")
    assert code == "Request_MultipleObjectsWithSameKeyValue"
    assert cmdlet == "Microsoft.Graph.PowerShell.Cmdlets.NewMgServicePrincipal_CreateExpanded"


def test_missing_service_principal_is_a_404_in_sdk_format(connected: Any) -> None:
    """Get-MgServicePrincipal of an unknown id fails with Status/ErrorCode/request-id lines and the SDK's error id."""
    _, ps = run(connected, ("Get-MgServicePrincipal", [("ServicePrincipalId", _MISSING)]))
    message, fqid = failure(ps)
    lines = message.splitlines()
    assert "Status: 404 (NotFound)" in lines
    assert "ErrorCode: Request_ResourceNotFound" in lines
    assert any(line.startswith("request-id") and line.split(":", 1)[1].strip() for line in lines)
    assert fqid == "Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgServicePrincipal_Get"


def test_least_privilege_app_gets_403(emu: Emulator) -> None:
    """An app with only Organization.Read.All reads the organization but gets 403 listing service principals."""
    from pypsrp.complex_objects import PSCredential

    app = emu.register_app(permissions={"Organization.Read.All"}, name="least privilege")
    assert app.client_secret is not None
    pool = open_pool(emu, exchange_keys=True)
    try:
        credential = PSCredential(username=app.client_id, password=app.client_secret)
        _, ps = run(pool, ("Connect-MgGraph", [("TenantId", emu.tenant_id), ("ClientSecretCredential", credential)]))
        assert not ps.had_errors
        assert len(run(pool, ("Get-MgOrganization", []))[0]) == 1
        _, ps = run(pool, ("Get-MgServicePrincipal", [("All", True)]))
        message, fqid = failure(ps)
        assert "Status: 403 (Forbidden)" in message
        assert fqid.startswith("Authorization_RequestDenied,")
        assert any(r.status == 403 and r.app_id == app.client_id for r in emu.requests)
    finally:
        pool.close()


def test_groups_and_transitive_members(connected: Any) -> None:
    """Get-MgGroup lists groups, -GroupId gets one; its members carry @odata.type in AdditionalProperties."""
    groups, _ = run(connected, ("Get-MgGroup", [("All", True)]))
    first = props(groups[0])
    (again,), _ = run(connected, ("Get-MgGroup", [("GroupId", first["Id"])]))
    assert props(again)["DisplayName"] == first["DisplayName"]
    members, ps = run(connected, ("Get-MgGroupTransitiveMember", [("GroupId", first["Id"]), ("All", True)]))
    assert not ps.had_errors
    assert members
    assert all(props(m)["AdditionalProperties"]["@odata.type"].startswith("#microsoft.graph.") for m in members)


def test_parameter_binding_errors(connected: Any) -> None:
    """Unknown names, wrong types, a missing mandatory key and clashing parameter sets fail as PowerShell does."""
    _, ps = run(connected, ("Get-MgServicePrincipal", [("Bogus", 1)]))
    assert failure(ps)[1] == "NamedParameterNotFound,Get-MgServicePrincipal"
    _, ps = run(connected, ("Get-MgServicePrincipal", [("Top", "many")]))
    assert failure(ps)[1] == "CannotConvertArgumentNoMessage,Get-MgServicePrincipal"
    _, ps = run(connected, ("Get-MgGroupTransitiveMember", [("All", True)]))
    assert failure(ps)[1] == "MissingMandatoryParameter,Get-MgGroupTransitiveMember"
    _, ps = run(connected, ("Get-MgGroup", [("GroupId", _MISSING), ("All", True)]))
    assert failure(ps)[1] == "AmbiguousParameterSet,Get-MgGroup"


def test_top_limits_and_aliases(connected: Any) -> None:
    """-Top 2 returns two objects; the -Select alias of -Property works."""
    output, _ = run(connected, ("Get-MgServicePrincipal", [("Top", 2), ("Select", ["id", "displayName"])]))
    assert len(output) == 2
    assert all(props(o)["DisplayName"] for o in output)


def test_convert_to_json_of_sdk_objects(connected: Any, emu: Emulator) -> None:
    """ConvertTo-Json -Depth 10 -Compress writes PascalCase properties, nested objects and AdditionalProperties."""
    (text,), _ = run(connected, ("Get-MgOrganization", []), ("ConvertTo-Json", [("Depth", 10), ("Compress", True)]))
    parsed = json.loads(text)
    assert parsed["Id"] == emu.tenant_id
    assert isinstance(parsed["VerifiedDomains"][0]["IsDefault"], bool)
    assert isinstance(parsed["AdditionalProperties"], dict)
    assert "\n" not in text
