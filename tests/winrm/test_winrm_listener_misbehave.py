"""Each misbehaviour of a simulated host, as an unmodified pypsrp client observes it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

import pinreset
from pinreset.emulator._tenant import Tenant
from pinreset.emulator.winrm import MISBEHAVIOURS, SimulatedHost
from pinreset.exceptions import DsregParseError


def test_refuse_closes_the_ports_and_reopens_them(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """refuse: nothing listens (connection refused); switching it off listens on the same ports again."""
    port = host.https_port
    host.misbehave("refuse")
    with pytest.raises(requests.exceptions.ConnectionError):
        make_client(host, connection_timeout=2).execute_cmd("dsregcmd /status")
    host.misbehave("refuse", False)
    assert host.https_port == port
    assert make_client(host).execute_cmd("dsregcmd /status")[2] == 0


def test_reject_credentials_is_a_401(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """reject_credentials: the right password is refused with 401."""
    from pypsrp.exceptions import AuthenticationError

    host.misbehave("reject_credentials")
    with pytest.raises(AuthenticationError):
        make_client(host).execute_cmd("dsregcmd /status")


@pytest.mark.parametrize("ssl", [True, False])
def test_hang_lets_the_client_deadline_fire(ssl: bool, host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """hang: the connection is accepted and never answered, so only the client's own timeout ends it."""
    host.misbehave("hang")
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        make_client(host, ssl=ssl, connection_timeout=0.3, read_timeout=0.3).execute_cmd("dsregcmd /status")
    assert time.monotonic() - started >= 0.3


def test_garbage_is_not_dsregcmd(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """garbage: dsregcmd prints text the parser rejects, with exit code 0."""
    host.misbehave("garbage")
    stdout, _, rc = make_client(host).execute_cmd("dsregcmd /status")
    assert rc == 0
    with pytest.raises(DsregParseError):
        pinreset.parse_dsregcmd(stdout)


def test_truncate_cuts_the_output(host: SimulatedHost, make_client: Callable[..., Any], tenant: Tenant) -> None:
    """truncate: the output stops half-way through."""
    host.misbehave("truncate")
    stdout, _, rc = make_client(host).execute_cmd("dsregcmd /status")
    full = tenant.render_dsregcmd(host.device_name, account="admin", admin_account=host.admin_account)
    text = stdout.replace("\r\n", "\n")
    assert rc == 0
    assert full.startswith(text)
    assert len(text) < len(full)


def test_drop_closes_mid_response(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """drop: the answer to a Receive is cut off and the connection closed."""
    host.misbehave("drop")
    with pytest.raises(requests.exceptions.RequestException):
        make_client(host).execute_cmd("dsregcmd /status")


def test_slow_adds_latency_per_request(host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """slow: every HTTP request waits the configured latency (execute_cmd makes at least 5 requests)."""
    host.misbehave("slow", latency=0.02)
    started = time.monotonic()
    assert make_client(host, auth="basic").execute_cmd("dsregcmd /status")[2] == 0
    assert time.monotonic() - started >= 5 * 0.02
    assert host.latency == 0.02


def test_unknown_misbehaviour_is_rejected(host: SimulatedHost) -> None:
    """Only the documented modes exist."""
    with pytest.raises(ValueError, match="unknown misbehaviour"):
        host.misbehave("explode")
    assert set(MISBEHAVIOURS) >= {"refuse", "hang", "drop", "no_user"}


def test_other_hosts_are_unaffected(hosts: Any, host: SimulatedHost, make_client: Callable[..., Any]) -> None:
    """A misbehaving host does not disturb its neighbours."""
    host.misbehave("hang")
    other = hosts.hosts[1]
    assert make_client(other).execute_cmd("dsregcmd /status")[2] == 0


def test_refuse_while_workers_close_connections(tenant: Tenant) -> None:
    """Switching a host to refuse walks its connections safely while workers are closing some of them."""
    import socket
    import threading

    from pinreset.emulator.winrm import WinRMHosts, joined_devices

    from .conftest import PASSWORD

    class SlowSet(set[Any]):
        # Iterates slowly, so that a worker's close lands in the middle of the walk.
        def __iter__(self) -> Any:
            for item in super().__iter__():
                yield item
                time.sleep(0.2)

    with WinRMHosts(tenant, joined_devices(tenant, 1), password=PASSWORD, https=False, workers=4) as served:
        target = served.hosts[0]
        listener = served._listener
        assert listener is not None
        clients = [socket.create_connection((target.address, target.http_port), timeout=10) for _ in range(3)]
        try:
            limit = time.monotonic() + 10
            while len(listener._conns) < 3 and time.monotonic() < limit:
                time.sleep(0.02)
            assert len(listener._conns) == 3
            listener._conns = SlowSet(listener._conns)
            closer = threading.Timer(0.1, clients[0].close)
            closer.start()
            target.misbehave("refuse")
            closer.join()
            assert len(listener._conns) == 0
        finally:
            target.misbehave("refuse", False)
            for client in clients:
                client.close()
