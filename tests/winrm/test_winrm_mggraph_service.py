"""The admin host as an emulator service: environment, description, shared credentials and CA, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.emulator import Emulator

from .mggraph_helpers import connect_certificate, failure, open_pool, run


@pytest.fixture(scope="module")
def both() -> Iterator[Emulator]:
    """An emulator with one device host and the admin host."""
    with Emulator(devices=6, seed=5, winrm_hosts=1, admin_host=True) as emulator:
        yield emulator


def test_env_and_description(both: Emulator) -> None:
    """PINRESET_PS_HOST names the admin host's HTTPS endpoint; describe() has an admin_host object."""
    admin = both.admin_host
    assert admin is not None
    env = both.env
    assert env["PINRESET_PS_HOST"] == f"{admin.address}:{admin.https_port}"
    assert env["PINRESET_WINRM_USERNAME"] == admin.username
    assert env["PINRESET_WINRM_PASSWORD"] == admin.password
    described = both.describe()["admin_host"]
    assert described["certificate_thumbprint"] == admin.certificate_thumbprint
    assert described["managed_identity_client_id"] == admin.managed_identity_client_id
    assert described["modules"]["Microsoft.Graph.Authentication"] == "2.25.0"
    assert described["ps_version"].startswith("7.4")


def test_one_account_and_ca_bundle_for_both_kinds_of_host(both: Emulator) -> None:
    """The device host and the admin host accept the same account, trusted through PINRESET_WINRM_CA_BUNDLE."""
    from pypsrp.client import Client

    assert both.winrm is not None
    bundle = both.env["PINRESET_WINRM_CA_BUNDLE"]
    device = both.winrm.hosts[0]
    admin_address, admin_port = both.env["PINRESET_PS_HOST"].split(":")
    for address, port, version in ((device.address, device.https_port, "5.1"), (admin_address, int(admin_port), "7.4")):
        client = Client(
            address,
            port=port,
            username=both.env["PINRESET_WINRM_USERNAME"],
            password=both.env["PINRESET_WINRM_PASSWORD"],
            cert_validation=bundle,
            auth="ntlm",
            no_proxy=True,
        )
        output, _, had_errors = client.execute_ps("$PSVersionTable.PSVersion.ToString()")
        assert not had_errors
        assert output.startswith(version)


def test_device_hosts_lack_the_graph_modules(both: Emulator) -> None:
    """A device host does not know Connect-MgGraph."""
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan

    assert both.winrm is not None
    device = both.winrm.hosts[0]
    wsman = WSMan(
        device.address,
        port=device.https_port,
        username=both.winrm.username,
        password=both.winrm.password,
        cert_validation=both.winrm.ca_bundle,
        auth="ntlm",
        no_proxy=True,
    )
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool).add_cmdlet("Connect-MgGraph").add_parameter("Identity", True)
        ps.invoke()
        assert ps.streams.error[-1].fq_error == "CommandNotFoundException"


def test_plain_http_with_message_encryption(both: Emulator) -> None:
    """The admin host's HTTP port works with NTLM and WinRM message encryption."""
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    admin = both.admin_host
    assert admin is not None
    wsman = WSMan(
        admin.address,
        port=admin.http_port,
        ssl=False,
        username=admin.username,
        password=admin.password,
        auth="ntlm",
        no_proxy=True,
    )
    with RunspacePool(wsman) as pool:
        _, ps = run(pool, ("Connect-MgGraph", [("Identity", True)]))
        assert not ps.had_errors
        (org,), _ = run(pool, ("Get-MgOrganization", []))
        assert org.extended_properties["Id"] == both.tenant_id


def test_module_options_at_construction() -> None:
    """admin_host={"modules": {...}} installs an old version and leaves a module out (no sockets needed)."""
    emulator = Emulator(
        devices=2,
        admin_host={"modules": {"Microsoft.Graph.Groups": None, "Microsoft.Graph.Authentication": "2.9.0"}},
    )
    assert emulator.admin_host is not None
    modules = emulator.admin_host.host.modules
    assert "Microsoft.Graph.Groups" not in modules
    assert modules["Microsoft.Graph.Authentication"] == "2.9.0"
    assert "microsoft.graph.groups" in emulator.admin_host.host.missing_modules


def test_cli_serve_prints_the_admin_host() -> None:
    """``pinreset emulator serve --admin-host`` prints admin_host and PINRESET_PS_HOST, and the host answers."""
    command = [
        sys.executable,
        "-m",
        "pinreset",
        "emulator",
        "serve",
        "--devices",
        "3",
        "--admin-host",
        "--admin-host-module",
        "Microsoft.Graph.Groups=none",
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server:
        try:
            assert server.stdout is not None
            line: dict[str, Any] = json.loads(server.stdout.readline())
            described = line["admin_host"]
            assert line["env"]["PINRESET_PS_HOST"] == f"{described['address']}:{described['https_port']}"
            assert "Microsoft.Graph.Groups" not in described["modules"]
            from pypsrp.powershell import RunspacePool
            from pypsrp.wsman import WSMan

            wsman = WSMan(
                described["address"],
                port=described["https_port"],
                username=described["username"],
                password=described["password"],
                cert_validation=line["env"]["PINRESET_WINRM_CA_BUNDLE"],
                auth="ntlm",
                no_proxy=True,
            )
            with RunspacePool(wsman) as pool:
                run(pool, ("Connect-MgGraph", [("Identity", True)]))
                _, ps = run(pool, ("Get-MgGroup", [("All", True)]))
                assert failure(ps)[1] == "CommandNotFoundException"
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_open_pool_helper_exchanges_keys(both: Emulator) -> None:
    """A pool that exchanged keys can still run plain pipelines."""
    pool = open_pool(both, exchange_keys=True)
    try:
        output, ps = run(pool, ("Get-MgContext", []))
        assert output == []
        assert not ps.had_errors
    finally:
        pool.close()


def test_sign_in_after_reset() -> None:
    """After Emulator.reset() the host's certificate and managed identity sign in again (re-registered apps)."""
    with Emulator(devices=3, seed=2, admin_host=True) as emulator:
        admin = emulator.admin_host
        assert admin is not None
        thumbprint, old_client = admin.certificate_thumbprint, admin.certificate_client_id
        emulator.reset()
        assert emulator.apps.get(old_client) is None
        pool = open_pool(emulator)
        try:
            _, ps = run(pool, ("Connect-MgGraph", [("Identity", True)]))
            assert not ps.had_errors
            connect_certificate(pool, emulator)
            assert admin.certificate_thumbprint == thumbprint
            assert admin.certificate_client_id != old_client
            (org,), _ = run(pool, ("Get-MgOrganization", []))
            assert org.extended_properties["Id"] == emulator.tenant_id
        finally:
            pool.close()
