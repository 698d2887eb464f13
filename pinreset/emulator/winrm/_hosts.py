"""Simulated WinRM hosts for the emulated tenant's devices, served by one :class:`WinRMListener`.

``WinRMHosts`` is what the emulator starts next to its Graph server: one host per chosen device, each on its own
loopback address (``127.0.x.y``) with its own HTTPS and HTTP ports, all accepting one administrator account,
all answering from the same tenant state.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from pinreset.emulator.winrm._auth import Credentials
from pinreset.emulator.winrm._host import MISBEHAVIOURS, DeviceSource, SimulatedHost
from pinreset.emulator.winrm._listener import WinRMListener

__all__ = [
    "JOINED_TYPES",
    "HostInfo",
    "LiveTenant",
    "WinRMHosts",
    "host_address",
    "hosts_for_emulator",
    "joined_devices",
]

#: Join types whose devices get a WinRM host (dsregcmd is meaningful on them).
JOINED_TYPES = ("hybridAzureADJoined", "azureADJoined")


def host_address(index: int) -> str:
    """The loopback address of the ``index``-th host: 127.0.10.1, 127.0.10.2, ... (250 per third octet)."""
    third, fourth = divmod(index, 250)
    if third > 245:
        raise ValueError("at most 61,500 simulated hosts")
    return f"127.0.{10 + third}.{fourth + 1}"


def joined_devices(tenant: Any, count: int) -> list[str]:
    """Names of the first ``count`` hybrid or Entra joined devices of ``tenant`` (in the tenant's order)."""
    names = []
    for device in tenant.devices.values():
        if device.join_type in JOINED_TYPES:
            names.append(device.device_name)
            if len(names) == count:
                break
    return names


@attrs.frozen
class HostInfo:
    """Where one simulated host listens (the ``winrm.hosts`` entries of ``pinreset emulator serve``)."""

    device_name: str
    address: str
    https_port: int
    http_port: int

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this host."""
        return attrs.asdict(self)


class WinRMHosts:
    """A set of simulated Windows hosts answering WinRM (WinRS and PSRP) for devices of one tenant.

    Args:
        source: the tenant (``device_facts``, ``render_dsregcmd``, ``tenant_id``).
        device_names: the devices to serve, one host each.
        username: the administrator account (``DOMAIN\\name``); ``PINRESET\\winrm-admin`` by default.
        password: its password; generated when ``None``.
        https: serve HTTPS ports (with a CA of their own; ``ca_bundle`` names its PEM file).
        allow_basic_http: accept Basic auth over plain HTTP (only for tests of clients that opt in).
        workers: the most requests answered at the same time, over all hosts.
        codepage: the hosts' OEM code page.

    Use as a context manager, or call :meth:`start` / :meth:`stop`; it also fits the emulator's
    ``add_service`` (``start(emulator)``).
    """

    def __init__(
        self,
        source: DeviceSource,
        device_names: Iterable[str],
        *,
        username: str = "PINRESET\\winrm-admin",
        password: str | None = None,
        https: bool = True,
        allow_basic_http: bool = False,
        workers: int = 64,
        codepage: int = 437,
    ) -> None:
        domain, _, user = username.rpartition("\\")
        self.credentials = Credentials(
            domain=domain or "PINRESET", username=user, password=password or secrets.token_urlsafe(18)
        )
        self.username = f"{self.credentials.domain}\\{self.credentials.username}"
        tenant_id = str(getattr(source, "tenant_id", "00000000-0000-0000-0000-000000000000"))
        self.hosts = [
            SimulatedHost(name, source, tenant_id=tenant_id, codepage=codepage, address=host_address(i))
            for i, name in enumerate(device_names)
        ]
        for host in self.hosts:
            host.admin_account = self.username
        self._by_name = {h.device_name.lower(): h for h in self.hosts}
        self._https = https
        self._allow_basic_http = allow_basic_http
        self._workers = workers
        self._listener: WinRMListener | None = None
        self._tls: Any = None

    @property
    def password(self) -> str:
        """The administrator's password."""
        return self.credentials.password

    @property
    def ca_bundle(self) -> str | None:
        """PEM file of the CA that signed the hosts' certificate (``None`` before start or without HTTPS)."""
        return str(self._tls.ca_path) if self._tls is not None else None

    @property
    def running(self) -> bool:
        """Whether the hosts are listening."""
        return self._listener is not None

    def host(self, device_name: str) -> SimulatedHost:
        """The host of ``device_name`` (case-insensitive).

        Raises:
            KeyError: no host serves that device.
        """
        return self._by_name[device_name.lower()]

    def misbehave(self, device_name: str, mode: str, on: bool = True, *, latency: float | None = None) -> None:
        """Make one host misbehave (see :data:`~pinreset.emulator.winrm.MISBEHAVIOURS`)."""
        self.host(device_name).misbehave(mode, on, latency=latency)

    def start(self, emulator: Any = None) -> None:
        """Open every host's ports (``emulator`` is accepted so the emulator can start this as a service)."""
        if self._listener is not None:
            return
        listener: WinRMListener | None = None
        try:
            context = None
            if self._https:
                from pinreset.emulator._tls import TlsMaterial

                self._tls = TlsMaterial.generate(extra_names=[h.address for h in self.hosts])
                context = self._tls.server_context()
            listener = WinRMListener(
                self.credentials, context, workers=self._workers, allow_basic_http=self._allow_basic_http
            )
            listener.start()
            for host in self.hosts:
                # A restart keeps each host's ports, as the emulator's own server keeps its port.
                listener.add_host(host, https_port=host.https_port, http_port=host.http_port)
        except BaseException:
            # A start that fails (a port taken, an unusable address) leaves no thread, credential file or
            # key material behind: a `with` block that never entered will not call stop().
            if listener is not None:
                listener.stop()
            if self._tls is not None:
                self._tls.cleanup()
                self._tls = None
            raise
        self._listener = listener

    def stop(self) -> None:
        """Close every port and delete the TLS files."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None

    def __enter__(self) -> WinRMHosts:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def infos(self) -> list[HostInfo]:
        """Where each host listens."""
        return [HostInfo(h.device_name, h.address, h.https_port, h.http_port) for h in self.hosts]

    def env(self) -> Mapping[str, str]:
        """``PINRESET_WINRM_USERNAME``/``_PASSWORD``/``_CA_BUNDLE`` for clients of these hosts."""
        env = {"PINRESET_WINRM_USERNAME": self.username, "PINRESET_WINRM_PASSWORD": self.password}
        if self.ca_bundle:
            env["PINRESET_WINRM_CA_BUNDLE"] = self.ca_bundle
        return env

    def describe(self) -> dict[str, Any]:
        """The ``winrm`` object of the ``pinreset emulator serve`` line."""
        return {
            "hosts": [i.to_json() for i in self.infos()],
            "username": self.username,
            "password": self.password,
            "ca_bundle": self.ca_bundle,
            "misbehaviours": list(MISBEHAVIOURS),
        }

    def __repr__(self) -> str:
        return f"WinRMHosts(hosts={len(self.hosts)}, username={self.username!r}, running={self.running})"


class LiveTenant:
    """A :class:`DeviceSource` that always reads its owner's current tenant (the emulator rebuilds it on reset)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def tenant(self) -> Any:
        """The owner's current tenant (cmdlet families that need more than device facts read it here)."""
        return self._owner.tenant

    @property
    def tenant_id(self) -> str:
        """The current tenant's id."""
        return str(self._owner.tenant.tenant_id)

    def device_facts(self, name: str) -> Any:
        """The current tenant's snapshot of device ``name``."""
        return self._owner.tenant.device_facts(name)

    def render_dsregcmd(self, name: str, *, account: str = "user", admin_account: str | None = None) -> str:
        """The current tenant's ``dsregcmd /status`` of device ``name``."""
        text: str = self._owner.tenant.render_dsregcmd(name, account=account, admin_account=admin_account)
        return text


def hosts_for_emulator(emulator: Any, count: int, **options: Any) -> WinRMHosts:
    """Hosts for the first ``count`` hybrid or Entra joined devices of ``emulator``'s tenant.

    Args:
        emulator: the :class:`~pinreset.emulator.Emulator` (its ``tenant`` is read on every request).
        count: how many hosts.
        **options: further :class:`WinRMHosts` arguments.

    Raises:
        EmulatorError: ``count`` is negative or larger than the number of joined devices.
    """
    from pinreset.exceptions import EmulatorError

    if count < 0:
        raise EmulatorError(f"winrm_hosts must not be negative, not {count}")
    names = joined_devices(emulator.tenant, count)
    if len(names) < count:
        raise EmulatorError(
            f"winrm_hosts={count} but the tenant has only {len(names)} hybrid or Entra joined devices; "
            "add devices or ask for fewer hosts"
        )
    return WinRMHosts(LiveTenant(emulator), names, **options)
