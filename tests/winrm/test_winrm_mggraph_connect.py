"""Connect-MgGraph on the emulated admin host: each sign-in, the context, and the failures."""

from __future__ import annotations

from typing import Any

import pytest

from pinreset.emulator import Emulator

from .mggraph_helpers import connect_certificate, emu, failure, open_pool, pool, props, run

__all__ = ["emu", "pool"]


def test_not_connected_asks_for_connect_mggraph(pool: Any) -> None:
    """A Graph cmdlet before Connect-MgGraph fails with the SDK's "Authentication needed" error."""
    output, ps = run(pool, ("Get-MgServicePrincipal", [("All", True)]))
    message, fqid = failure(ps)
    assert output == []
    assert message == "Authentication needed. Please call Connect-MgGraph."
    assert fqid == "Microsoft.Graph.PowerShell.Cmdlets.GetMgServicePrincipal_List"


def test_certificate_sign_in_sets_the_context(pool: Any, emu: Emulator) -> None:
    """The thumbprint of the host's certificate signs its app in; Get-MgContext describes the sign-in."""
    assert emu.admin_host is not None
    connect_certificate(pool, emu)
    (context,), _ = run(pool, ("Get-MgContext", []))
    shown = props(context)
    assert context.types[0] == "Microsoft.Graph.PowerShell.Authentication.AuthContext"
    assert shown["ClientId"] == emu.admin_host.certificate_client_id
    assert shown["TenantId"] == emu.tenant_id
    assert shown["AuthType"] == "AppOnly"
    assert shown["TokenCredentialType"] == "ClientCertificate"
    assert shown["Environment"] == "Global"
    assert "DeviceManagementConfiguration.ReadWrite.All" in shown["Scopes"]


def test_managed_identity_sign_in(pool: Any, emu: Emulator) -> None:
    """-Identity signs the host's managed identity in; a foreign -ClientId is refused."""
    assert emu.admin_host is not None
    _, ps = run(pool, ("Connect-MgGraph", [("Identity", True), ("ClientId", "11111111-2222-3333-4444-555555555555")]))
    assert "Identity not found" in failure(ps)[0]
    _, ps = run(pool, ("Connect-MgGraph", [("Identity", True), ("NoWelcome", True)]))
    assert not ps.had_errors
    (context,), _ = run(pool, ("Get-MgContext", []))
    assert props(context)["AuthType"] == "ManagedIdentity"
    assert props(context)["ClientId"] == emu.admin_host.managed_identity_client_id
    (org,), _ = run(pool, ("Get-MgOrganization", []))
    assert props(org)["Id"] == emu.tenant_id


def test_secret_sign_in_with_a_secure_string(emu: Emulator) -> None:
    """A PSCredential (client id, SecureString secret) signs in after the key exchange; a wrong secret fails."""
    from pypsrp.complex_objects import PSCredential

    pool = open_pool(emu, exchange_keys=True)
    try:
        wrong = PSCredential(username=emu.client_id, password="not-the-secret")
        _, ps = run(pool, ("Connect-MgGraph", [("TenantId", emu.tenant_id), ("ClientSecretCredential", wrong)]))
        message, fqid = failure(ps)
        assert "AADSTS7000215" in message
        assert "not-the-secret" not in message
        assert fqid == "Microsoft.Graph.PowerShell.Authentication.Cmdlets.ConnectMgGraph"
        right = PSCredential(username=emu.client_id, password=emu.client_secret)
        _, ps = run(pool, ("Connect-MgGraph", [("TenantId", emu.tenant_id), ("ClientSecretCredential", right)]))
        assert not ps.had_errors
        (context,), _ = run(pool, ("Get-MgContext", []))
        assert props(context)["TokenCredentialType"] == "ClientSecret"
        assert props(context)["ClientId"] == emu.client_id
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("TenantId", "contoso.example")], "AADSTS90002"),
        ([("ClientId", "00000000-0000-0000-0000-000000000001")], "AADSTS700016"),
        ([("CertificateThumbprint", "00" * 20)], "No certificate with thumbprint"),
        ([("Environment", "Mars")], "Unable to find the requested environment"),
    ],
)
def test_certificate_sign_in_failures(pool: Any, emu: Emulator, params: list[Any], expected: str) -> None:
    """A wrong tenant, app, thumbprint or cloud fails Connect-MgGraph as Entra ID would."""
    assert emu.admin_host is not None
    base = {
        "ClientId": emu.admin_host.certificate_client_id,
        "TenantId": emu.tenant_id,
        "CertificateThumbprint": emu.admin_host.certificate_thumbprint,
    }
    base.update(dict(params))
    _, ps = run(pool, ("Connect-MgGraph", list(base.items())))
    assert expected in failure(ps)[0]
    _, ps = run(pool, ("Get-MgOrganization", []))
    assert failure(ps)[0] == "Authentication needed. Please call Connect-MgGraph."


def test_mixed_sign_in_parameters_are_ambiguous(pool: Any, emu: Emulator) -> None:
    """-Identity with -CertificateThumbprint resolves no parameter set."""
    assert emu.admin_host is not None
    _, ps = run(
        pool,
        ("Connect-MgGraph", [("Identity", True), ("CertificateThumbprint", emu.admin_host.certificate_thumbprint)]),
    )
    assert failure(ps)[1] == "AmbiguousParameterSet,Microsoft.Graph.PowerShell.Authentication.Cmdlets.ConnectMgGraph"


def test_national_cloud_and_disconnect(pool: Any, emu: Emulator) -> None:
    """-Environment USGov is recorded in the context; Disconnect-MgGraph signs out (and then has nothing to do)."""
    connect_certificate(pool, emu)
    assert emu.admin_host is not None
    _, ps = run(
        pool,
        (
            "Connect-MgGraph",
            [
                ("AppId", emu.admin_host.certificate_client_id),
                ("Tenant", emu.tenant_id),
                ("CertificateThumbprint", emu.admin_host.certificate_thumbprint),
                ("Environment", "usgov"),
            ],
        ),
    )
    assert not ps.had_errors
    (context,), _ = run(pool, ("Get-MgContext", []))
    assert props(context)["Environment"] == "USGov"
    (gone,), _ = run(pool, ("Disconnect-MgGraph", []))
    assert props(gone)["ClientId"] == emu.admin_host.certificate_client_id
    assert run(pool, ("Get-MgContext", []))[0] == []
    _, ps = run(pool, ("Disconnect-MgGraph", []))
    assert "No application to sign out from" in failure(ps)[0]


def test_sign_in_is_per_runspace_pool(emu: Emulator) -> None:
    """A second runspace pool is not signed in by the first one's Connect-MgGraph."""
    first, second = open_pool(emu), open_pool(emu)
    try:
        connect_certificate(first, emu)
        assert len(run(first, ("Get-MgContext", []))[0]) == 1
        assert run(second, ("Get-MgContext", []))[0] == []
    finally:
        first.close()
        second.close()


def test_unknown_parameter_is_a_binding_error(pool: Any) -> None:
    """An unknown Connect-MgGraph parameter fails binding with NamedParameterNotFound naming the cmdlet class."""
    _, ps = run(pool, ("Connect-MgGraph", [("Password", "x")]))
    message, fqid = failure(ps)
    assert "Password" in message
    assert fqid == "NamedParameterNotFound,Microsoft.Graph.PowerShell.Authentication.Cmdlets.ConnectMgGraph"
