"""A Microsoft Graph, Intune and Entra ID sign-in emulator for one simulated tenant -- moto for pinreset.

Two ways in, one in-memory tenant::

    from pinreset.emulator import Emulator

    with Emulator(devices=25, seed=1) as emu:       # a real HTTPS server on loopback
        emu.authority, emu.client_id, emu.client_secret, emu.ca_bundle, emu.graph_url

    emu = Emulator()                                # no sockets: httpx.Client(transport=emu.transport)

The facade imports httpx only when :attr:`Emulator.transport` is used, so the command-line server starts fast.
See ``docs/emulator.md``.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import uuid
import warnings
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pinreset.emulator._apps import ADMIN_PERMISSIONS, AppRegistry, RegisteredApp
from pinreset.emulator._faults import FaultConfig, FaultInjector
from pinreset.emulator._identity import IdentityApp, IdentityConfig
from pinreset.emulator._jwt import GRAPH_RESOURCE, Signer, TokenAuthenticator, access_token_claims
from pinreset.emulator._oauth import SignInUser
from pinreset.emulator._router import RequestRecord, Router
from pinreset.emulator._server import EmulatorServer
from pinreset.emulator._throttle import ThrottleConfig
from pinreset.emulator._tls import TlsMaterial
from pinreset.exceptions import EmulatorError

if TYPE_CHECKING:
    from pinreset.emulator._transport import EmulatorTransport, MsalHttpClient
    from pinreset.emulator.winrm import WinRMHosts
    from pinreset.emulator.winrm._admin import AdminHostService

__all__ = [
    "ADMIN_PERMISSIONS",
    "EmulatedService",
    "Emulator",
    "FaultConfig",
    "RegisteredApp",
    "RequestRecord",
    "ThrottleConfig",
]


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


class EmulatedService(Protocol):
    """Something started and stopped with the emulator (e.g. simulated WinRM hosts serving the same state)."""

    def start(self, emulator: Emulator) -> None:
        """Start serving; called after the emulator's own server is listening."""
        ...

    def stop(self) -> None:
        """Stop serving; called before the emulator's own server stops."""
        ...

    def env(self) -> Mapping[str, str]:
        """Environment variables this service adds to :attr:`Emulator.env`."""
        ...


class Emulator:
    """An emulated tenant behind Graph and identity endpoints, in-process or on a loopback HTTPS server.

    Args:
        devices: how many simulated Windows devices the tenant has.
        seed: makes the tenant (ids, names, devices) and the admin app's client id reproducible.
        federated: whether the tenant's domain is federated (changes what PIN reset needs).
        throttling: ``True`` for Intune's documented limits, a ``ThrottleConfig``, or ``False`` for none.
        faults: transport faults to inject into Graph requests, or ``None``.
        scheme: ``"https"`` (default) or ``"http"`` (plain, only when asked for).
        host: the address to listen on.
        port: the port to listen on; 0 lets the OS choose.
        device_code_delay: seconds until the simulated user approves a device code sign-in.
        client_secret: the admin app's secret; generated when ``None``.
        extra_names: further host names/addresses the TLS certificate must cover.
        winrm_hosts: how many simulated WinRM hosts to serve with the server, one for each of the first hybrid or
            Entra joined devices (see :attr:`winrm` and ``docs/emulator.md``).
        admin_host: also serve an admin host running pwsh 7.4 with the Microsoft Graph PowerShell modules
            (``True``, or a dict of ``AdminHost`` options, e.g. ``{"modules": {"Microsoft.Graph.Groups": None}}``
            for a host lacking that module); see :attr:`admin_host`.

    Raises:
        EmulatorError: an unusable argument.
    """

    def __init__(
        self,
        *,
        devices: int = 25,
        seed: int = 0,
        federated: bool = False,
        throttling: bool | ThrottleConfig = False,
        faults: FaultConfig | None = None,
        scheme: str = "https",
        host: str = "127.0.0.1",
        port: int = 0,
        device_code_delay: float = 1.0,
        client_secret: str | None = None,
        extra_names: Iterable[str] = (),
        winrm_hosts: int = 0,
        admin_host: bool | Mapping[str, Any] = False,
    ) -> None:
        if scheme not in ("https", "http"):
            raise EmulatorError(f"scheme must be 'https' or 'http', not {scheme!r}")
        if devices < 0:
            raise EmulatorError(f"devices must not be negative, not {devices}")
        if not 0 <= port <= 65535:
            raise EmulatorError(f"port must be between 0 and 65535, not {port}")
        if not _is_loopback(host):
            # The admin app's secret and every token would be reachable from the network, with no real tenant's
            # protections; allowed (containers need it) but never silently.
            warnings.warn(
                f"the emulator will listen on {host!r}, which is not a loopback address: its admin credentials "
                "are then reachable by anyone who can reach that address",
                RuntimeWarning,
                stacklevel=2,
            )
        self._devices = devices
        self._seed = seed
        self._federated = federated
        self._throttling = throttling
        self._scheme = scheme
        self._host = host
        self._extra_names = tuple(extra_names)
        self._identity_config = IdentityConfig(device_code_delay=device_code_delay)
        self._signer = Signer()
        self.apps = AppRegistry(seed, admin_secret=client_secret)
        self._fault_injector = FaultInjector(faults) if faults is not None else None
        self._lock = threading.RLock()
        self._services: list[EmulatedService] = []
        self._tls: TlsMaterial | None = None
        self._server: EmulatorServer | None = None
        self._port = port
        self._transport: EmulatorTransport | None = None
        self._build()
        self._router = Router(
            identity=self._identity,
            graph=self._graph,
            tenant_id=self.tenant_id,
            default_domain=self.tenant.default_domain,
            verified_domains=(self.tenant.initial_domain,),
            faults=self._fault_injector,
        )
        #: The simulated WinRM hosts (``None`` unless ``winrm_hosts`` was given).
        self.winrm: WinRMHosts | None = None
        if winrm_hosts:
            from pinreset.emulator.winrm import hosts_for_emulator

            self.winrm = hosts_for_emulator(self, winrm_hosts)
            self.add_service(self.winrm)
        #: The admin host answering Microsoft Graph PowerShell (``None`` unless ``admin_host`` was given).
        self.admin_host: AdminHostService | None = None
        if admin_host:
            from pinreset.emulator.winrm._admin import AdminHostService

            options = dict(admin_host) if isinstance(admin_host, Mapping) else {}
            shared = self.winrm.credentials if self.winrm is not None else None
            self.admin_host = AdminHostService(self, credentials=shared, **options)
            self.add_service(self.admin_host)

    # -- state --------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        """(Re)create the tenant and the applications serving it from the seed."""
        from pinreset.emulator._clock import SimClock
        from pinreset.emulator._graph import GraphApp
        from pinreset.emulator._tenant import Tenant

        self.clock = SimClock(self._seed)
        self.tenant = Tenant.generate(
            seed=self._seed, devices=self._devices, federated=self._federated, clock=self.clock
        )
        self.authenticator = TokenAuthenticator(self._signer, self.tenant.tenant_id)
        self._identity = IdentityApp(
            tenant_id=self.tenant.tenant_id,
            tenant_name=self.tenant.display_name,
            registry=self.apps,
            signer=self._signer,
            user=self._sign_in_user(),
            default_domain=self.tenant.default_domain,
            verified_domains=(self.tenant.initial_domain,),
            config=self._identity_config,
        )
        for app in self.apps:
            self._publish(app)
        self._graph = GraphApp(self.tenant, self.authenticator, throttle=self._throttle_config(self._throttling))

    def _sign_in_user(self) -> SignInUser:
        """The user who approves device code sign-ins: the tenant's admin if it has one, else its first user."""
        users = sorted(getattr(self.tenant, "users", {}).values(), key=lambda u: u.user_principal_name)
        admins = [u for u in users if u.user_principal_name.lower().startswith("admin")]
        if admins or users:
            user = (admins or users)[0]
            return SignInUser(user.id, user.user_principal_name, user.display_name)
        return SignInUser(
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.tenant.tenant_id}/admin")),
            f"admin@{self.tenant.initial_domain}",
            "Tenant Administrator",
        )

    def _publish(self, app: RegisteredApp) -> None:
        """Make an app registration visible in the directory (application and service principal)."""
        sp = self.tenant.register_application(app.name, app_id=app.client_id)
        self._identity.grants.service_principal_ids[app.client_id] = str(sp["id"])

    @staticmethod
    def _throttle_config(throttling: bool | ThrottleConfig) -> ThrottleConfig:
        if isinstance(throttling, ThrottleConfig):
            return throttling
        return ThrottleConfig(enabled=bool(throttling))

    @property
    def tenant_id(self) -> str:
        """The emulated tenant's id."""
        return str(self.tenant.tenant_id)

    @property
    def client_id(self) -> str:
        """The admin app's client id (it holds every permission pinreset needs)."""
        return self.apps.admin.client_id

    @property
    def client_secret(self) -> str:
        """The admin app's client secret."""
        secret = self.apps.admin.client_secret
        assert secret is not None  # the admin app always has one
        return secret

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first (method, path, status, app id, duration; no bodies or tokens)."""
        return self._router.snapshot()

    @property
    def fault_counts(self) -> dict[str, int]:
        """Faults injected so far, by kind and 5xx status (empty without faults)."""
        return self._fault_injector.counts if self._fault_injector else {}

    def register_app(
        self,
        *,
        permissions: Iterable[str] = (),
        secret: bool | str = True,
        certificate: bool | str = False,
        name: str = "test app",
        public_client: bool = True,
    ) -> RegisteredApp:
        """Register an app with chosen Graph permissions (e.g. a least-privilege one, for 403 paths).

        Args:
            permissions: Graph permissions granted (and admin-consented), e.g. ``{"Organization.Read.All"}``.
            secret: ``True`` generates a client secret, a string chooses it, ``False`` gives none.
            certificate: ``True`` generates a certificate (``private_key_pem`` is kept for tests), a PEM string
                registers that certificate, ``False`` gives none.
            name: display name.
            public_client: whether the device code flow works without a client credential.

        Returns:
            The registration, with its credentials.

        Raises:
            EmulatorError: the certificate PEM cannot be read.
        """
        try:
            app = self.apps.register(
                permissions=permissions, secret=secret, certificate=certificate, name=name, public_client=public_client
            )
        except ValueError as exc:
            raise EmulatorError(f"cannot register app {name!r}: {exc}") from None
        self._publish(app)
        return app

    def access_token(self, client_id: str | None = None, *, lifetime: float = 3600.0) -> str:
        """Mint an app-only Graph access token directly, as a client-credentials sign-in would return it.

        Args:
            client_id: a registered app; the admin app by default.
            lifetime: seconds until expiry (negative for an already expired token).

        Returns:
            The signed token.

        Raises:
            EmulatorError: the app is not registered.
        """
        app = self.apps.get(client_id or self.client_id)
        if app is None:
            raise EmulatorError(f"no app with client id {client_id!r} is registered")
        claims = access_token_claims(
            tenant_id=self.tenant_id,
            app_id=app.client_id,
            app_name=app.name,
            audience=GRAPH_RESOURCE,
            lifetime=lifetime,
            roles=app.permissions,
            object_id=self._identity.grants.service_principal_ids.get(app.client_id, app.object_id),
        )
        return self._signer.sign(claims)

    def reset(self) -> None:
        """Fresh tenant state from the same seed; registered apps and the request log are forgotten."""
        with self._lock:
            self.apps.reset()
            self._build()
            self._router.identity = self._identity
            self._router.graph = self._graph
            self._router.clear_log()

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (devices check in, policies apply).

        Args:
            seconds: how far; a finite, non-negative number.

        Raises:
            EmulatorError: ``seconds`` is negative, not finite, or beyond the calendar.
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise EmulatorError(f"the simulated clock only moves forward by a finite time, not {seconds!r} s")
        try:
            self.clock.advance(seconds)
        except OverflowError:
            raise EmulatorError(f"advancing the simulated clock by {seconds!r} s leaves the calendar") from None

    def set_faults(self, faults: FaultConfig | None) -> None:
        """Start injecting ``faults`` into Graph requests (``None`` stops); counters start again at zero."""
        self._fault_injector = FaultInjector(faults) if faults is not None else None
        self._router.faults = self._fault_injector

    def set_throttling(self, throttling: bool | ThrottleConfig) -> None:
        """Turn Intune's throttling on (``True`` or a ``ThrottleConfig``) or off (``False``)."""
        from pinreset.emulator._throttle import Throttler

        with self._lock:
            self._throttling = throttling
            self._graph.throttler = Throttler(self._throttle_config(throttling))

    # -- in-process -----------------------------------------------------------------------------------------------

    @property
    def app(self) -> Router:
        """The router answering every request (an ``Application``), for custom front ends."""
        return self._router

    @property
    def transport(self) -> EmulatorTransport:
        """An httpx transport answering in-process: ``httpx.Client(transport=emu.transport, base_url=…)``."""
        if self._transport is None:
            from pinreset.emulator._transport import EmulatorTransport

            self._transport = EmulatorTransport(self._router)
        return self._transport

    @property
    def msal_http_client(self) -> MsalHttpClient:
        """An msal ``http_client`` answering in-process (use any authority URL, ``instance_discovery=False``)."""
        from pinreset.emulator._transport import MsalHttpClient

        return MsalHttpClient(self._router)

    # -- server ---------------------------------------------------------------------------------------------------

    def add_service(self, service: EmulatedService) -> None:
        """Start and stop ``service`` with the emulator (started at once if the emulator is running)."""
        with self._lock:
            self._services.append(service)
            if self._server is not None:
                service.start(self)

    @property
    def running(self) -> bool:
        """Whether the loopback server is up."""
        return self._server is not None

    def start(self) -> Emulator:
        """Start the loopback server (and the added services); returns once it accepts connections.

        Raises:
            EmulatorError: the address cannot be bound.
        """
        with self._lock:
            if self._server is not None:
                return self
            context = None
            if self._scheme == "https":
                try:
                    self._tls = TlsMaterial.generate(extra_names=(self._host, *self._extra_names))
                except ValueError as exc:
                    raise EmulatorError(f"cannot make a certificate for {self._extra_names!r}: {exc}") from None
                weakref.finalize(self, self._tls.cleanup)
                context = self._tls.server_context()
            server = EmulatorServer(self._router, host=self._host, port=self._port, ssl_context=context)
            try:
                server.start()
            except OSError as exc:
                self._release_tls()
                raise EmulatorError(f"cannot listen on {self._host}:{self._port}: {exc.strerror or exc}") from None
            self._server = server
            self._port = server.port  # a restart reuses the port
            started: list[EmulatedService] = []
            try:
                for service in self._services:
                    service.start(self)
                    started.append(service)
            except BaseException:
                # All or nothing: a service that cannot start leaves nothing running behind.
                for service in reversed(started):
                    service.stop()
                self._stop_server()
                raise
            return self

    def stop(self) -> None:
        """Stop the services and the server, and delete the TLS files (nothing happens when not running)."""
        with self._lock:
            if self._server is None:
                return
            try:
                for service in reversed(self._services):
                    service.stop()
            finally:
                self._stop_server()

    def _stop_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._release_tls()

    def _release_tls(self) -> None:
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _require_server(self) -> EmulatorServer:
        if self._server is None:
            raise EmulatorError("the emulator is not started: call start() or use it as a context manager")
        return self._server

    @property
    def graph_url(self) -> str:
        """Graph's root URL without version, e.g. ``https://127.0.0.1:50123`` (requests go to ``/v1.0/…``)."""
        return self._require_server().url

    @property
    def authority_host(self) -> str:
        """The identity platform's root URL (the same server as Graph)."""
        return self._require_server().url

    @property
    def authority(self) -> str:
        """The msal authority for the tenant: ``authority_host`` + ``/`` + tenant id."""
        return f"{self.authority_host}/{self.tenant_id}"

    @property
    def ca_bundle(self) -> str | None:
        """The PEM file of the CA that signed the server's certificate (``None`` over plain HTTP)."""
        self._require_server()
        return str(self._tls.ca_path) if self._tls else None

    @property
    def env(self) -> dict[str, str]:
        """The environment under which pinreset (and azure-identity style credentials) use this emulator."""
        env = {
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "PINRESET_GRAPH_URL": self.graph_url,
        }
        if self.ca_bundle:
            env["PINRESET_CA_BUNDLE"] = self.ca_bundle
        for service in self._services:
            env.update(service.env())
        return env

    def __repr__(self) -> str:
        where = self._server.url if self._server else "in-process"
        return f"Emulator(tenant_id={self.tenant_id!r}, devices={self._devices}, seed={self._seed}, at={where!r})"

    def describe(self) -> dict[str, Any]:
        """Everything a client needs to connect, as the ``pinreset emulator serve`` line prints it."""
        return {
            "graph_url": self.graph_url,
            "authority": self.authority,
            "authority_host": self.authority_host,
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant.display_name,
            "default_domain": self.tenant.default_domain,
            "initial_domain": self.tenant.initial_domain,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "ca_bundle": self.ca_bundle,
            "devices": self._devices,
            "seed": self._seed,
            "env": self.env,
            **({"winrm": self.winrm.describe()} if self.winrm is not None else {}),
            **({"admin_host": self.admin_host.describe()} if self.admin_host is not None else {}),
        }
