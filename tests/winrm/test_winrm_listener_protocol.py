"""WS-Management details: config Get, operation timeouts, faults, signals, and the auth variants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import SimulatedHost, WinRMHosts, joined_devices
from pinreset.emulator.winrm._options import apply_misbehaviours
from pinreset.exceptions import ConfigurationError

from .conftest import PASSWORD, run_ps


def _wsman(host: SimulatedHost, hosts: WinRMHosts, **kwargs: Any) -> Any:
    from pypsrp.wsman import WSMan

    return WSMan(
        host.address,
        port=host.https_port,
        username=hosts.username,
        password=PASSWORD,
        cert_validation=hosts.ca_bundle,
        auth="ntlm",
        no_proxy=True,
        **kwargs,
    )


def test_config_get_reports_max_envelope_size(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """update_max_payload_size reads MaxEnvelopeSizekb (500) through a WS-Transfer Get of the config."""
    with _wsman(host, hosts) as wsman:
        wsman.update_max_payload_size()
        assert wsman.max_envelope_size == 500 * 1024


def test_receive_with_nothing_to_say_faults_after_the_operation_timeout(pool: Any) -> None:
    """A Receive that finds no data waits OperationTimeout and answers WSManFault 2150858793."""
    from pypsrp.exceptions import WSManFaultError

    with pytest.raises(WSManFaultError) as caught:
        pool.shell.receive("stdout", timeout=1)
    assert caught.value.code == 2150858793


def test_unknown_shell_is_a_fault(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """Deleting a shell that does not exist is WSManFault 2150858843 (shell not found)."""
    from pypsrp.exceptions import WSManFaultError
    from pypsrp.wsman import SelectorSet

    selectors = SelectorSet()
    selectors.add_option("ShellId", "0B0B0B0B-0000-0000-0000-000000000000")
    with _wsman(host, hosts) as wsman, pytest.raises(WSManFaultError) as caught:
        wsman.delete("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd", selector_set=selectors)
    assert caught.value.code == 2150858843


def test_stop_and_close_leave_the_pool_usable(pool: Any, host: SimulatedHost) -> None:
    """ctrl_c and Terminate signals are accepted; the pool runs the next pipeline and the shell count stays low."""
    from pypsrp.powershell import PowerShell

    ps = PowerShell(pool)
    ps.add_cmdlet("Get-CimInstance").add_parameter("ClassName", "Win32_OperatingSystem")
    ps.begin_invoke()
    ps.stop()
    output, _, had_errors = run_ps(pool, [("Get-CimInstance", [("ClassName", "Win32_ComputerSystem")])])
    assert not had_errors
    assert output[0].extended_properties["Name"] == host.device_name
    assert len(host.shells) == 1


def test_pool_and_shells_are_removed_on_close(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """Delete removes the runspace pool from the host."""
    from pypsrp.powershell import RunspacePool

    before = len(host.shells)
    with _wsman(host, hosts) as wsman, RunspacePool(wsman) as pool:
        assert len(host.shells) == before + 1
        assert pool.is_alive()
    assert len(host.shells) == before


def test_ntlm_with_a_bare_user_name(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """The account also authenticates without its domain prefix."""
    from pypsrp.client import Client

    client = Client(
        host.address,
        port=host.https_port,
        username=hosts.credentials.username,
        password=PASSWORD,
        cert_validation=hosts.ca_bundle,
        auth="ntlm",
        no_proxy=True,
    )
    assert client.execute_cmd("hostname")[0] == f"{host.device_name}\r\n"


def test_certificate_is_verified_against_the_ca(host: SimulatedHost, hosts: WinRMHosts) -> None:
    """Without the hosts' CA the TLS handshake fails: verification is real."""
    import requests
    from pypsrp.client import Client

    client = Client(
        host.address,
        port=host.https_port,
        username=hosts.username,
        password=PASSWORD,
        cert_validation=True,
        auth="basic",
        no_proxy=True,
    )
    with pytest.raises(requests.exceptions.SSLError):
        client.execute_cmd("hostname")


@pytest.fixture(scope="module")
def http_hosts(tenant: Tenant) -> Iterator[WinRMHosts]:
    """HTTP-only hosts that accept Basic over plain HTTP (a test opt-in)."""
    with WinRMHosts(
        tenant, joined_devices(tenant, 1), password=PASSWORD, https=False, allow_basic_http=True, workers=4
    ) as served:
        yield served


def test_basic_over_http_only_when_allowed(http_hosts: WinRMHosts) -> None:
    """With allow_basic_http, Basic over HTTP (encryption='never') works; the HTTPS port does not exist."""
    from pypsrp.client import Client

    host = http_hosts.hosts[0]
    assert (host.https_port, http_hosts.ca_bundle) == (0, None)
    client = Client(
        host.address,
        port=host.http_port,
        ssl=False,
        encryption="never",
        auth="basic",
        username=http_hosts.username,
        password=PASSWORD,
        no_proxy=True,
    )
    assert client.execute_cmd("dsregcmd /status")[2] == 0


def test_misbehaviour_settings_from_text(hosts: WinRMHosts) -> None:
    """HOST=MODE settings address hosts by name, index or *; bad settings are ConfigurationErrors."""
    first, second = hosts.hosts[0], hosts.hosts[1]
    try:
        apply_misbehaviours(hosts, [f"{first.device_name.lower()}=garbage,slow:0.01", "1=no_user"])
        assert first.faults == {"garbage", "slow"}
        assert first.latency == 0.01
        assert second.faults == {"no_user"}
        for bad in ["nohost", "9=hang", "0=explode", "0=slow:soon", "ghost=hang"]:
            with pytest.raises(ConfigurationError):
                apply_misbehaviours(hosts, [bad])
        with pytest.raises(ConfigurationError):
            apply_misbehaviours(hosts, [], latency=-1)
    finally:
        for host in (first, second):
            for mode in list(host.faults):
                host.misbehave(mode, False)


def test_a_missing_module_hides_its_cmdlets(pool: Any, host: SimulatedHost) -> None:
    """A host without the ScheduledTasks module does not know Get-ScheduledTask."""
    host.missing_modules.add("scheduledtasks")
    try:
        _, streams, had_errors = run_ps(pool, [("Get-ScheduledTask", [])])
    finally:
        host.missing_modules.clear()
    assert had_errors
    assert streams.error[0].fq_error == "CommandNotFoundException"


def test_idle_shells_are_forgotten_when_the_quota_is_reached(
    host: SimulatedHost, hosts: WinRMHosts, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shells a client abandoned free their slot after the idle timeout instead of exhausting the quota."""
    from pypsrp.exceptions import WSManFaultError
    from pypsrp.shell import WinRS

    from pinreset.emulator.winrm import _service

    before = dict(host.shells)
    monkeypatch.setattr(_service, "_MAX_SHELLS", len(before) + 2)
    try:
        with _wsman(host, hosts) as wsman:
            for _ in range(2):
                WinRS(wsman).open()  # never closed
            with pytest.raises(WSManFaultError) as caught:
                WinRS(wsman).open()
        assert caught.value.code == 2150859174
        abandoned = [s for k, s in host.shells.items() if k not in before]
        assert len(abandoned) == 2
        for shell in abandoned:
            shell.last_used -= 3600
        assert make_client(host).execute_cmd("hostname")[2] == 0
        assert not any(s in host.shells.values() for s in abandoned)
    finally:
        host.shells.clear()
        host.shells.update(before)


def test_portable_poller_serves_too(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where epoll is missing, the selector-based poller serves keep-alive requests and refuse/reopen alike."""
    from pypsrp.client import Client

    from pinreset.emulator.winrm import _listener, _poller

    monkeypatch.setattr(_listener, "make_poller", _poller._SelectorPoller)
    with WinRMHosts(tenant, joined_devices(tenant, 1), password=PASSWORD, workers=4) as served:
        host = served.hosts[0]

        def run() -> int:
            client = Client(
                host.address,
                port=host.https_port,
                username=served.username,
                password=PASSWORD,
                cert_validation=served.ca_bundle,
                auth="ntlm",
                no_proxy=True,
            )
            with client:
                return int(client.execute_cmd("dsregcmd /status")[2])

        assert run() == 0
        host.misbehave("refuse")
        host.misbehave("refuse", False)
        assert run() == 0


def test_pool_requests_key_exchange_and_runspace_counts(pool: Any) -> None:
    """Session key exchange, available runspaces, max/min runspaces and state reset all get their answers."""
    pool.exchange_keys()
    assert pool.get_available_runspaces() == 1
    pool.max_runspaces = 3
    assert pool.max_runspaces == 3
    pool.min_runspaces = 2
    assert pool.min_runspaces == 2
    pool.reset_runspace_state()
    output, _, _ = run_ps(pool, [("Write-Output", [("InputObject", ["still", "open"])])])
    assert output == ["still", "open"]


def test_restart_keeps_the_ports(tenant: Tenant) -> None:
    """Stopping and starting the hosts again serves them on the same ports, with a fresh CA."""
    from pypsrp.client import Client

    served = WinRMHosts(tenant, joined_devices(tenant, 1), password=PASSWORD, workers=2)
    served.start()
    host = served.hosts[0]
    ports = (host.https_port, host.http_port)
    first_ca = served.ca_bundle
    served.stop()
    assert served.ca_bundle is None
    with served:
        assert (host.https_port, host.http_port) == ports
        assert served.ca_bundle != first_ca
        client = Client(
            host.address,
            port=host.https_port,
            username=served.username,
            password=PASSWORD,
            cert_validation=served.ca_bundle,
            auth="basic",
            no_proxy=True,
        )
        assert client.execute_cmd("hostname")[2] == 0


def test_malformed_psrp_data_is_a_fault(pool: Any, host: SimulatedHost, make_client: Any) -> None:
    """Fragments that are not PSRP get a WSManFault (not a dropped connection); the host serves on."""
    from pypsrp.exceptions import WSManFaultError

    with pytest.raises(WSManFaultError) as caught:
        pool.shell.send("stdin", b"\x00" * 30)
    assert caught.value.code == 2150858752
    assert make_client(host).execute_ps("dsregcmd /status")[2] is False


def test_concurrent_shell_creates_never_exceed_the_quota(
    host: SimulatedHost, hosts: WinRMHosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creates racing on several workers get one free shell slot between them, never one each."""
    import threading
    import time

    from pypsrp.exceptions import WSManFaultError
    from pypsrp.shell import WinRS

    from pinreset.emulator.winrm import _service

    class SlowCount(dict[str, Any]):
        # Widens the window between "is there room?" and "add the shell", where unguarded workers race.
        def __len__(self) -> int:
            count = super().__len__()
            time.sleep(0.2)
            return count

    before = dict(host.shells)
    monkeypatch.setattr(_service, "_MAX_SHELLS", len(before) + 1)
    monkeypatch.setattr(host, "shells", SlowCount(before))
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def open_one() -> None:
        with _wsman(host, hosts) as wsman:
            shell = WinRS(wsman)
            start.wait(timeout=30)
            try:
                shell.open()
            except WSManFaultError as exc:
                outcomes.append(str(exc.code))
            else:
                outcomes.append("opened")

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["2150859174"] * 3 + ["opened"]
    assert len(dict(host.shells)) == len(before) + 1
