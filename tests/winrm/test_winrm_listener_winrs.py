"""WinRS (``execute_cmd`` / ``run_cmd``) against the simulated hosts with unmodified pypsrp and pywinrm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import pinreset
from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import SimulatedHost, WinRMHosts

from .conftest import PASSWORD


@pytest.mark.parametrize("auth", ["basic", "ntlm", "negotiate"])
def test_execute_cmd_over_https_returns_the_admin_view(
    auth: str, host: SimulatedHost, make_client: Callable[..., Any], tenant: Tenant
) -> None:
    """pypsrp execute_cmd over HTTPS returns the tenant's admin-view dsregcmd, which the parser reads."""
    stdout, stderr, rc = make_client(host, auth=auth).execute_cmd("dsregcmd /status")
    assert (rc, stderr) == (0, "")
    expected = tenant.render_dsregcmd(host.device_name, account="admin", admin_account=host.admin_account)
    assert stdout.replace("\r\n", "\n") == expected
    status = pinreset.parse_dsregcmd(stdout)
    assert status.device_state is not None
    assert status.device_state.azure_ad_joined is True
    assert status.ngc_prerequisite_check is not None
    assert status.ngc_prerequisite_check.session_is_not_remote is False


@pytest.mark.parametrize("auth", ["ntlm", "negotiate"])
def test_ntlm_over_plain_http_uses_message_encryption(
    auth: str, host: SimulatedHost, make_client: Callable[..., Any]
) -> None:
    """NTLM/Negotiate over HTTP works with WinRM message encryption (the default of pypsrp)."""
    stdout, _, rc = make_client(host, ssl=False, auth=auth).execute_cmd("dsregcmd.exe /status")
    assert rc == 0
    assert "Device State" in stdout


def test_unencrypted_ntlm_over_http_is_refused(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """AllowUnencrypted=false: a readable NTLM body over HTTP gets HTTP 500, as Windows answers."""
    from pypsrp.exceptions import WinRMTransportError

    with pytest.raises(WinRMTransportError) as caught:
        make_client(host, ssl=False, auth="ntlm", encryption="never").execute_cmd("dsregcmd /status")
    assert caught.value.code == 500


def test_basic_over_plain_http_is_refused(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """Basic is not offered over plain HTTP: the credentials are rejected with 401."""
    from pypsrp.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError):
        make_client(host, ssl=False, auth="basic", encryption="never").execute_cmd("dsregcmd /status")


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_wrong_password_is_an_authentication_error(
    auth: str, host: SimulatedHost, make_client: Callable[..., Any]
) -> None:
    """A wrong password ends in pypsrp's AuthenticationError (HTTP 401)."""
    from pypsrp.exceptions import AuthenticationError

    with pytest.raises(AuthenticationError):
        make_client(host, auth=auth, password="wrong").execute_cmd("dsregcmd /status")


def test_unknown_command_prints_cmd_error(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """An unknown command gets cmd's message on stderr and exit code 1."""
    stdout, stderr, rc = make_client(host).execute_cmd("frobnicate /now")
    assert (stdout, rc) == ("", 1)
    assert stderr.startswith("'frobnicate' is not recognized as an internal or external command")


def test_codepage_65001_is_honoured(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """A shell opened with WINRS_CODEPAGE=65001 gets UTF-8; the default shell gets the OEM code page."""
    from pypsrp.shell import Process, WinRS
    from pypsrp.wsman import WSMan

    host.admin_account = "PINRESET\\Jürgen"
    try:
        wsman = WSMan(
            host.address,
            port=host.https_port,
            username=hosts.username,
            password=PASSWORD,
            cert_validation=hosts.ca_bundle,
            auth="ntlm",
            no_proxy=True,
        )
        with wsman, WinRS(wsman, codepage=65001) as shell:
            process = Process(shell, "whoami")
            process.invoke()
            utf8 = process.stdout
        with (
            WSMan(
                host.address,
                port=host.https_port,
                username=hosts.username,
                password=PASSWORD,
                cert_validation=hosts.ca_bundle,
                auth="ntlm",
                no_proxy=True,
            ) as wsman2,
            WinRS(wsman2) as shell2,
        ):
            process2 = Process(shell2, "whoami")
            process2.invoke()
            oem = process2.stdout
    finally:
        host.admin_account = hosts.username
    assert utf8 == "pinreset\\jürgen\r\n".encode()
    assert oem == "pinreset\\jürgen\r\n".encode("cp437")


def test_pywinrm_ntlm_over_http_with_encryption(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """pywinrm's NTLM transport over HTTP (message encryption on) runs dsregcmd."""
    import winrm

    session = winrm.Session(
        f"http://{host.address}:{host.http_port}/wsman",
        auth=(hosts.username, PASSWORD),
        transport="ntlm",
        message_encryption="always",
    )
    result = session.run_cmd("dsregcmd", ["/status"])
    assert result.status_code == 0
    assert pinreset.parse_dsregcmd(result.std_out.decode("cp437")).device_state is not None


def test_pywinrm_basic_over_https_validates_the_ca(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """pywinrm Basic over HTTPS with the hosts' CA runs dsregcmd; the certificate really is checked."""
    import winrm

    session = winrm.Session(
        f"https://{host.address}:{host.https_port}/wsman",
        auth=(hosts.username, PASSWORD),
        transport="basic",
        server_cert_validation="validate",
        ca_trust_path=hosts.ca_bundle,
    )
    result = session.run_cmd("dsregcmd", ["/status"])
    assert result.status_code == 0
    assert b"Device State" in result.std_out


def test_pywinrm_run_ps_runs_canned_scripts(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """pywinrm's run_ps (powershell -EncodedCommand over WinRS) answers the canned scripts, refuses others."""
    import winrm

    session = winrm.Session(
        f"https://{host.address}:{host.https_port}/wsman",
        auth=(hosts.username, PASSWORD),
        transport="ntlm",
        server_cert_validation="validate",
        ca_trust_path=hosts.ca_bundle,
    )
    version = session.run_ps("$PSVersionTable.PSVersion.ToString()")
    assert (version.status_code, version.std_out) == (0, b"5.1.22621.4391\r\n")
    status = session.run_ps("dsregcmd /status")
    assert pinreset.parse_dsregcmd(status.std_out.decode("cp437")).device_state is not None
    refused = session.run_ps("Stop-Computer -Force")
    assert refused.status_code == 1
    assert b"'Stop-Computer' is not recognized" in refused.std_err


def test_message_encryption_inside_https_when_asked(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """encryption='always' wraps messages inside TLS too; the host answers in kind."""
    stdout, _, rc = make_client(host, auth="negotiate", encryption="always").execute_cmd("dsregcmd /status")
    assert rc == 0
    assert "Device State" in stdout
