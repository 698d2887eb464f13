"""The admin host: a simulated Windows machine running pwsh 7.4 with the Microsoft Graph PowerShell modules.

Many tenants allow changes only from a managed admin host whose sanctioned tool is Microsoft.Graph PowerShell.
This host answers PSRP pipelines of the Microsoft.Graph / Microsoft.Graph.Beta cmdlets
(:mod:`pinreset.emulator.winrm.cmdlets._mggraph`) by calling the emulator's Graph in-process with a token of
the app that connected, so permissions, throttling, faults and state are those of the HTTPS Graph surface.

It offers the three non-interactive sign-ins such hosts use: a certificate in its store (an app registered
with that certificate and pinreset's permissions), a managed identity (another such app), and a client secret
given as a ``PSCredential``. Installed modules and their versions are configurable; a module can be missing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pinreset.emulator.winrm._auth import Credentials
from pinreset.emulator.winrm._host import SimulatedHost
from pinreset.emulator.winrm._hosts import LiveTenant
from pinreset.emulator.winrm._listener import WinRMListener

__all__ = ["ADMIN_ADDRESS", "MG_MODULES", "MG_VERSION", "PWSH_VERSION", "AdminHost", "AdminHostService"]

#: Where the admin host listens (the device hosts use 127.0.10.x and up).
ADMIN_ADDRESS = "127.0.9.1"
#: ``$PSVersionTable.PSVersion`` of the admin host.
PWSH_VERSION = "7.4.6"
#: The Microsoft Graph PowerShell SDK version installed by default.
MG_VERSION = "2.25.0"
#: The modules whose cmdlets the admin host answers (each at ``MG_VERSION`` unless configured otherwise).
MG_MODULES = (
    "Microsoft.Graph.Authentication",
    "Microsoft.Graph.Applications",
    "Microsoft.Graph.Groups",
    "Microsoft.Graph.Identity.DirectoryManagement",
    "Microsoft.Graph.DeviceManagement",
    "Microsoft.Graph.DeviceManagement.Actions",
    "Microsoft.Graph.Beta.DeviceManagement",
    "Microsoft.Graph.Beta.DeviceManagement.Actions",
)


class AdminHost(SimulatedHost):
    """The admin host's state: installed modules, certificate store, managed identity, the emulator it calls.

    Args:
        emulator: the :class:`~pinreset.emulator.Emulator` whose Graph answers the cmdlets.
        address: the loopback address to listen on.
        modules: module name -> version; ``None`` as a version leaves that module out. Unnamed modules of
            :data:`MG_MODULES` are installed at ``mg_version``.
        mg_version: the SDK version of the modules not named in ``modules``.
        ps_version: ``$PSVersionTable.PSVersion``.
        name: the computer name.
    """

    def __init__(
        self,
        emulator: Any,
        *,
        address: str = ADMIN_ADDRESS,
        modules: Mapping[str, str | None] | None = None,
        mg_version: str = MG_VERSION,
        ps_version: str = PWSH_VERSION,
        name: str = "PINRESET-ADM01",
    ) -> None:
        super().__init__(name, LiveTenant(emulator), tenant_id=emulator.tenant_id, address=address)
        from pinreset.emulator._apps import ADMIN_PERMISSIONS

        self.emulator = emulator
        self.ps_version = ps_version
        #: Installed modules: name -> version (see :meth:`set_module`).
        self.modules: dict[str, str] = {}
        for module in MG_MODULES:
            self.set_module(module, mg_version)
        for module, version in (modules or {}).items():
            self.set_module(module, version)
        self.certificate_app: Any = None
        self.identity_app: Any = None
        #: Certificates in ``Cert:\\LocalMachine\\My``: SHA-1 thumbprint (upper-case hex) -> the app it signs in.
        self.certificates: dict[str, str] = {}
        self._permissions = ADMIN_PERMISSIONS
        self.ensure_apps()

    def ensure_apps(self) -> None:
        """Register the certificate's app and the managed identity in the tenant, again after ``Emulator.reset()``.

        A reset forgets registered apps; the host keeps its certificate, so the re-registered app has the same
        thumbprint but a new client id.
        """
        with self.lock:
            self._ensure_apps()

    def _ensure_apps(self) -> None:
        apps = self.emulator.apps
        name = self.device_name
        if self.certificate_app is None or apps.get(self.certificate_app.client_id) is None:
            pem: bool | str = self.certificate_app.certificate_pem if self.certificate_app is not None else True
            self.certificate_app = self.emulator.register_app(
                permissions=self._permissions, secret=False, certificate=pem, name=f"{name} certificate sign-in"
            )
            self.certificates = {str(self.certificate_app.sha1_thumbprint): self.certificate_app.client_id}
        if self.identity_app is None or apps.get(self.identity_app.client_id) is None:
            self.identity_app = self.emulator.register_app(
                permissions=self._permissions, secret=False, name=f"{name} managed identity", public_client=False
            )

    def set_module(self, module: str, version: str | None) -> None:
        """Install ``module`` at ``version`` (an old one simulates an outdated SDK), or remove it (``None``)."""
        known = next((m for m in self.modules if m.lower() == module.lower()), module)
        if version is None:
            self.modules.pop(known, None)
            self.missing_modules.add(module.lower())
        else:
            self.modules[known] = version
            self.missing_modules.discard(module.lower())

    @property
    def certificate_thumbprint(self) -> str:
        """The thumbprint of the sign-in certificate in the host's store."""
        return next(iter(self.certificates))

    @property
    def managed_identity_client_id(self) -> str:
        """The client id of the host's (system-assigned) managed identity (a new one after ``Emulator.reset()``)."""
        self.ensure_apps()
        return str(self.identity_app.client_id)

    def __repr__(self) -> str:
        return f"AdminHost({self.device_name!r}, address={self.address!r}, https_port={self.https_port})"


class AdminHostService:
    """Serves one :class:`AdminHost` over WinRM (HTTPS with its own CA, and HTTP) as an emulator service.

    Args:
        emulator: the emulator (its Graph answers the cmdlets).
        credentials: the WinRM account; the device hosts' when the emulator has them, else a generated one.
        **options: further :class:`AdminHost` arguments (``modules``, ``mg_version``, ``ps_version``, ...).
    """

    def __init__(self, emulator: Any, *, credentials: Credentials | None = None, **options: Any) -> None:
        self.host = AdminHost(emulator, **options)
        self.credentials = credentials or Credentials(
            domain="PINRESET", username="winrm-admin", password=secrets.token_urlsafe(18)
        )
        self.host.admin_account = self.username
        self._emulator = emulator
        self._listener: WinRMListener | None = None
        self._tls: Any = None
        self._bundle: Path | None = None

    # -- where and how to connect -------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        """The loopback address."""
        return self.host.address

    @property
    def https_port(self) -> int:
        """The HTTPS port (0 before start)."""
        return self.host.https_port

    @property
    def http_port(self) -> int:
        """The HTTP port (NTLM with message encryption; 0 before start)."""
        return self.host.http_port

    @property
    def username(self) -> str:
        """``DOMAIN\\name`` of the WinRM account."""
        return f"{self.credentials.domain}\\{self.credentials.username}"

    @property
    def password(self) -> str:
        """The WinRM account's password."""
        return self.credentials.password

    @property
    def ca_bundle(self) -> str | None:
        """PEM file trusting this host's certificate (and the device hosts' when both are served)."""
        if self._bundle is not None:
            return str(self._bundle)
        return str(self._tls.ca_path) if self._tls is not None else None

    @property
    def certificate_thumbprint(self) -> str:
        """For ``Connect-MgGraph -CertificateThumbprint`` (with ``-ClientId certificate_client_id``)."""
        return self.host.certificate_thumbprint

    @property
    def certificate_client_id(self) -> str:
        """The app the host's certificate signs in as (a new one after ``Emulator.reset()``)."""
        self.host.ensure_apps()
        return str(self.host.certificate_app.client_id)

    @property
    def managed_identity_client_id(self) -> str:
        """The app ``Connect-MgGraph -Identity`` signs in as."""
        return self.host.managed_identity_client_id

    @property
    def running(self) -> bool:
        """Whether the host is listening."""
        return self._listener is not None

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self, emulator: Any = None) -> None:
        """Open the host's ports (called by the emulator after its own server started)."""
        if self._listener is not None:
            return
        from pinreset.emulator._tls import TlsMaterial

        self._tls = TlsMaterial.generate(extra_names=[self.address])
        listener = WinRMListener(self.credentials, self._tls.server_context(), workers=16)
        listener.start()
        try:
            listener.add_host(self.host)
        except OSError:
            listener.stop()
            self._tls.cleanup()
            self._tls = None
            raise
        self._listener = listener
        winrm = getattr(self._emulator, "winrm", None)
        device_ca = winrm.ca_bundle if winrm is not None else None
        if device_ca:
            # One PINRESET_WINRM_CA_BUNDLE for both kinds of host: a bundle of both CAs.
            bundle = Path(self._tls.ca_path).with_name("winrm-ca-bundle.pem")
            bundle.write_text(Path(self._tls.ca_path).read_text() + Path(device_ca).read_text())
            self._bundle = bundle

    def stop(self) -> None:
        """Close the ports and delete the TLS files."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._bundle is not None:
            self._bundle.unlink(missing_ok=True)
            self._bundle = None
        if self._tls is not None:
            self._tls.cleanup()
            self._tls = None

    def env(self) -> Mapping[str, str]:
        """``PINRESET_PS_HOST`` (``address:https_port``) and the WinRM account and CA variables."""
        env = {
            "PINRESET_PS_HOST": f"{self.address}:{self.https_port}",
            "PINRESET_WINRM_USERNAME": self.username,
            "PINRESET_WINRM_PASSWORD": self.password,
        }
        if self.ca_bundle:
            env["PINRESET_WINRM_CA_BUNDLE"] = self.ca_bundle
        return env

    def describe(self) -> dict[str, Any]:
        """The ``admin_host`` object of the ``pinreset emulator serve`` line."""
        return {
            "name": self.host.device_name,
            "address": self.address,
            "https_port": self.https_port,
            "http_port": self.http_port,
            "username": self.username,
            "password": self.password,
            "ca_bundle": self.ca_bundle,
            "ps_version": self.host.ps_version,
            "modules": dict(self.host.modules),
            "certificate_thumbprint": self.certificate_thumbprint,
            "certificate_client_id": self.certificate_client_id,
            "managed_identity_client_id": self.managed_identity_client_id,
        }

    def __repr__(self) -> str:
        return f"AdminHostService(address={self.address!r}, https_port={self.https_port}, running={self.running})"
