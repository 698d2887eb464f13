"""PowerShellBackend: the :class:`~pinreset.backends.TenantBackend` through Microsoft Graph PowerShell on an admin
host, over PSRP (pypsrp).

For tenants whose changes are allowed only from a managed Windows admin host with the Microsoft.Graph modules:
pinreset opens one runspace pool there, checks the modules, runs ``Connect-MgGraph`` with the host's own sign-in
(certificate, managed identity, or an app secret sent as a SecureString) and then drives the SDK's cmdlets. Every
value reaches the host as a typed parameter, never as script text; results become the same models as the Graph
backend's; errors the same exception types. See docs/powershell-backend.md.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar, cast

from pinreset._converter import structure
from pinreset.auth._cloud import Cloud
from pinreset.backends._lookups import find_groups_by_name, find_sps_by_app_id
from pinreset.backends._ps_devices import LISTINGS, list_devices, run_action
from pinreset.backends._ps_graph import MgClient
from pinreset.backends._ps_policies import PSPolicyOps
from pinreset.backends._ps_session import Cmd, PSSession
from pinreset.backends._ps_shapes import check_modules, from_native, parse_version
from pinreset.backends._ps_signin import (
    CertificateSignIn,
    ManagedIdentitySignIn,
    SecretSignIn,
    SignIn,
    connect_parameters,
    env_value,
    sign_in_from_environment,
)
from pinreset.backends._views import to_tenant
from pinreset.exceptions import (
    BackendError,
    ConfigurationError,
    ConflictError,
    GraphError,
    NotFoundError,
    ParseError,
    TransportError,
)
from pinreset.graph._retry import RetryPolicy
from pinreset.models import (
    AssignmentTarget,
    DeviceAction,
    DeviceActionResult,
    DeviceFilter,
    DevicePolicyStatus,
    Group,
    ManagedDevice,
    Policy,
    PolicyRef,
    PolicySpec,
    ServicePrincipal,
    TenantInfo,
)
from pinreset.remote._connection import WinRMConnection
from pinreset.remote._hosts import HostSpec, parse_host

__all__ = [
    "REQUIRED_MODULES",
    "CertificateSignIn",
    "ManagedIdentitySignIn",
    "PowerShellBackend",
    "SecretSignIn",
]

#: The modules whose cmdlets the backend runs.
REQUIRED_MODULES = (
    "Microsoft.Graph.Authentication",
    "Microsoft.Graph.Applications",
    "Microsoft.Graph.Groups",
    "Microsoft.Graph.Identity.DirectoryManagement",
    "Microsoft.Graph.DeviceManagement.Actions",
    "Microsoft.Graph.Beta.DeviceManagement",
    "Microsoft.Graph.Beta.DeviceManagement.Actions",
)
_USER_TYPE = "#microsoft.graph.user"
#: The default ``deadline``: the Graph backend's (``GraphClient(deadline=300)``).
DEFAULT_DEADLINE = 300.0

_F = TypeVar("_F", bound=Callable[..., Any])


def _operation(method: _F) -> _F:
    """Run the method within the backend's per-operation deadline (shared by the operations it calls)."""

    @functools.wraps(method)
    def timed(self: PowerShellBackend, *args: Any, **kwargs: Any) -> Any:
        with self.mg.budget(method.__name__):
            return method(self, *args, **kwargs)

    return cast(_F, timed)


def _streamed(method: _F) -> _F:
    """Like :func:`_operation` for a method returning an iterator: producing each next item gets the budget.

    The time a caller spends between items is its own, so it is not counted (as the Graph backend's deadline
    counts per page).
    """

    @functools.wraps(method)
    def timed(self: PowerShellBackend, *args: Any, **kwargs: Any) -> Iterator[Any]:
        name = method.__name__
        with self.mg.budget(name):
            items = iter(method(self, *args, **kwargs))
        return _each_within(self, name, items)

    return cast(_F, timed)


def _each_within(backend: PowerShellBackend, name: str, items: Iterator[Any]) -> Iterator[Any]:
    try:
        while True:
            with backend.mg.budget(name):
                try:
                    item = next(items)
                except StopIteration:
                    return
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()  # an abandoned reader closes the pipeline it was reading


class PowerShellBackend:
    """Tenant operations through Microsoft Graph PowerShell on one admin host.

    Args:
        host: the admin host: ``name``, ``name:port``, ``[IPv6]:port`` or a :class:`~pinreset.remote.HostSpec`.
        connection: WinRM options (HTTPS 5986 with certificate validation by default; HTTP only with NTLM or
            Kerberos message encryption; CredSSP only when opted in).
        sign_in: how the host signs in to Graph: :class:`CertificateSignIn`, :class:`ManagedIdentitySignIn` or
            :class:`SecretSignIn`.
        cloud: the national cloud (``Connect-MgGraph -Environment``).
        min_module_version: the oldest Microsoft.Graph module version accepted.
        retry_policy: back-off after a 429.
        sleep: how to wait (tests).
        device_listing: ``"pages"`` (``Invoke-MgGraphRequest`` page by page, the default) or ``"cmdlet"``
            (``Get-MgBetaDeviceManagementManagedDevice -All``, streamed object by object; slower).
        deadline: seconds one operation may take, its pipelines and 429 waits included (for an operation that
            yields results: producing each next one); ``None`` for none. A 429 wait that would outlast it is not
            slept, and a pipeline still running when it is spent is stopped and closed: both raise
            :class:`~pinreset.exceptions.DeadlineExceededError`.

    Nothing is contacted until the first operation; the runspace pool stays open until :meth:`close`.

    Example::

        backend = PowerShellBackend(
            "adm01.contoso.com",
            connection=WinRMConnection(username="CONTOSO\\\\svc-pinreset", password=password),
            sign_in=CertificateSignIn(tenant_id=tenant, client_id=app, thumbprint="A1B2..."),
        )
        with backend:
            print(backend.tenant_info())
    """

    name = "powershell"

    def __init__(
        self,
        host: str | HostSpec,
        *,
        connection: WinRMConnection,
        sign_in: SignIn,
        cloud: Cloud | str = Cloud.GLOBAL,
        min_module_version: str = "2.0.0",
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        device_listing: str = "pages",
        deadline: float | None = DEFAULT_DEADLINE,
    ) -> None:
        if not isinstance(sign_in, CertificateSignIn | ManagedIdentitySignIn | SecretSignIn):
            raise ConfigurationError("sign_in must be a CertificateSignIn, ManagedIdentitySignIn or SecretSignIn")
        if not isinstance(connection, WinRMConnection):
            raise ConfigurationError("connection must be a pinreset.remote.WinRMConnection")
        if deadline is not None and not (isinstance(deadline, int | float) and deadline > 0):
            raise ConfigurationError(f"deadline must be a positive number of seconds or None, not {deadline!r}")
        minimum = parse_version(min_module_version)
        if minimum is None:
            raise ConfigurationError(f"min_module_version {min_module_version!r} is not a version")
        self.host = host if isinstance(host, HostSpec) else parse_host(host)
        self.connection = connection
        self.sign_in = sign_in
        self.cloud = Cloud.parse(cloud)
        self.min_module_version = minimum
        if device_listing not in LISTINGS:
            raise ConfigurationError(f"device_listing must be one of {', '.join(LISTINGS)}")
        self.device_listing = device_listing
        self.session = PSSession(self.host, connection)
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.deadline = deadline
        self.mg = MgClient(self.session, retry_policy=retry_policy, deadline=deadline, **extra)
        self._ready = False
        self._tenant: TenantInfo | None = None
        self._policies = PSPolicyOps(self.mg, lambda: self.tenant_info().id)
        #: ``Get-Module`` result of the last check: module name -> highest installed version.
        self.modules: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"PowerShellBackend({self.host}, sign_in={self.sign_in!r}, cloud={self.cloud.value})"

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_environment(cls, *, environ: Mapping[str, str] | None = None, **overrides: Any) -> PowerShellBackend:
        """A backend configured from environment variables (the emulator prints all of them).

        - ``PINRESET_PS_HOST``: the admin host (``name[:port]``).
        - ``PINRESET_WINRM_USERNAME`` / ``PINRESET_WINRM_PASSWORD`` / ``PINRESET_WINRM_CA_BUNDLE``: the WinRM
          account and the CA to trust; ``PINRESET_WINRM_AUTH`` (default ``negotiate``) and
          ``PINRESET_WINRM_TRANSPORT`` (default ``https``).
        - ``PINRESET_PS_SIGN_IN``: ``certificate``, ``identity`` or ``secret``; default: ``certificate`` when
          ``PINRESET_PS_THUMBPRINT`` is set, else ``secret`` when ``AZURE_CLIENT_SECRET`` is, else ``identity``.
        - ``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``, ``AZURE_CLIENT_SECRET``, ``PINRESET_PS_THUMBPRINT``,
          ``PINRESET_PS_IDENTITY_CLIENT_ID``: what the sign-in needs; ``PINRESET_CLOUD``: the cloud.

        Args:
            environ: variables to read instead of ``os.environ``.
            **overrides: constructor arguments that win (``host``, ``connection``, ``sign_in``, ``cloud``,
                ``deadline``, …).

        Raises:
            ConfigurationError: a required variable is missing.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env_value(env, name)

        host = overrides.pop("host", None) or get("PINRESET_PS_HOST")
        if not host:
            raise ConfigurationError("PINRESET_PS_HOST is not set (the admin host running Microsoft.Graph PowerShell)")
        connection = overrides.pop("connection", None)
        if connection is None:
            connection = WinRMConnection(
                username=get("PINRESET_WINRM_USERNAME"),
                password=env.get("PINRESET_WINRM_PASSWORD") or None,
                ca_bundle=get("PINRESET_WINRM_CA_BUNDLE"),
                auth=get("PINRESET_WINRM_AUTH") or "negotiate",  # type: ignore[arg-type]
                transport=get("PINRESET_WINRM_TRANSPORT") or "https",  # type: ignore[arg-type]
            )
        sign_in = overrides.pop("sign_in", None) or sign_in_from_environment(env)
        overrides.setdefault("cloud", get("PINRESET_CLOUD") or Cloud.GLOBAL)
        return cls(host, connection=connection, sign_in=sign_in, **overrides)

    # -- session --------------------------------------------------------------------------------------------------

    def _ensure(self) -> None:
        """Check the modules and sign in, once per session."""
        if self._ready:
            return
        self.check_modules()
        self.mg.run(Cmd("Connect-MgGraph", *connect_parameters(self.sign_in, self.cloud.powershell_environment)),
                    sign_in=True)
        self._ready = True

    @_operation
    def check_modules(self) -> dict[str, str]:
        """``Get-Module -ListAvailable`` for :data:`REQUIRED_MODULES`; returns name -> version found.

        Raises:
            ModuleMissingError: a module is missing or older than ``min_module_version`` (the message names the
                module, the version found and the install command).
        """
        outputs = self.mg.run(Cmd("Get-Module", ("ListAvailable", True), ("Name", list(REQUIRED_MODULES))))
        self.modules = check_modules(
            [from_native(o) for o in outputs], REQUIRED_MODULES, self.min_module_version, host=str(self.host)
        )
        return self.modules

    # -- tenant and apps ------------------------------------------------------------------------------------------

    @_operation
    def tenant_info(self) -> TenantInfo:
        """``Get-MgOrganization``; federated domains from ``Get-MgDomain -All``."""
        if self._tenant is not None:
            return self._tenant
        self._ensure()
        orgs = self.mg.objects(Cmd("Get-MgOrganization"))
        if not orgs or "id" not in orgs[0]:
            raise ParseError("Get-MgOrganization returned no organization")
        try:
            domains: list[dict[str, Any]] | None = self.mg.objects(Cmd("Get-MgDomain", ("All", True)))
        except GraphError as exc:
            if exc.status_code not in (400, 403, 404):
                raise
            domains = None  # Domain.Read.All missing: the verified domains' type says it too
        self._tenant = to_tenant(orgs[0], domains)
        return self._tenant

    def _find_sps(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        self._ensure()
        return find_sps_by_app_id(
            app_ids,
            lambda expression: self.mg.objects(Cmd("Get-MgServicePrincipal", ("Filter", expression), ("All", True))),
        )

    @_operation
    def find_service_principals(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        """Service principals by application id (``Get-MgServicePrincipal -Filter``); absent ids are missing."""
        return self._find_sps(list(dict.fromkeys(app_ids)))

    @_operation
    def create_service_principal(self, app_id: str) -> ServicePrincipal:
        """``New-MgServicePrincipal -AppId``, idempotent: an existing one is returned, never a duplicate."""
        existing = self._find_sps([app_id]).get(app_id)
        if existing is not None:
            return existing
        try:
            created = self.mg.first(Cmd("New-MgServicePrincipal", ("AppId", app_id)))
        except (GraphError, TransportError, ParseError) as exc:
            duplicate = isinstance(exc, ConflictError) or getattr(exc, "code", None) == (
                "Request_MultipleObjectsWithSameKeyValue"
            )
            if isinstance(exc, GraphError) and not duplicate:
                raise
            # A duplicate, or an answer lost on the way: it may exist now; look before reporting failure.
            again = self._find_sps([app_id]).get(app_id)
            if again is None:
                raise
            return again
        return structure(created, ServicePrincipal)

    # -- groups ---------------------------------------------------------------------------------------------------

    @_operation
    def find_groups(self, names: Sequence[str]) -> dict[str, Group]:
        """Groups by exact display name (``Get-MgGroup -Filter``, the name quoted).

        Raises:
            ConfigurationError: when two groups share one of the names.
        """
        self._ensure()
        return find_groups_by_name(
            names, lambda expression: self.mg.objects(Cmd("Get-MgGroup", ("Filter", expression), ("All", True)))
        )

    @_operation
    def get_group(self, group_id: str) -> Group:
        """``Get-MgGroup -GroupId`` (``NotFoundError`` when absent)."""
        self._ensure()
        return structure(self.mg.first(Cmd("Get-MgGroup", ("GroupId", group_id))), Group)

    @_streamed
    def list_group_member_ids(self, group_id: str) -> Iterator[str]:
        """User object ids of the group's members, nested groups included (``Get-MgGroupTransitiveMember``)."""
        self._ensure()
        members = self.mg.objects(Cmd("Get-MgGroupTransitiveMember", ("GroupId", group_id), ("All", True)))
        seen: set[str] = set()
        for raw in members:
            member_id = str(raw.get("id") or "")
            kind = str(raw.get("@odata.type") or _USER_TYPE).lower()
            if member_id and kind == _USER_TYPE and member_id not in seen:
                seen.add(member_id)
                yield member_id

    # -- policies -------------------------------------------------------------------------------------------------

    @_streamed
    def list_policies(self) -> Iterator[Policy]:
        """Settings catalog policies, identity protection and custom OMA-URI profiles, with settings and assignments."""
        self._ensure()
        return self._policies.list()

    @_operation
    def get_policy(self, ref: PolicyRef) -> Policy:
        """One policy (``NotFoundError`` when absent)."""
        self._ensure()
        return self._policies.get(ref)

    @_operation
    def create_policy(self, spec: PolicySpec) -> Policy:
        """Create a policy; never duplicated (an unclear outcome is looked up by name first)."""
        self._ensure()
        return self._policies.create(spec)

    @_operation
    def update_policy(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        """Make a policy match ``spec``."""
        self._ensure()
        return self._policies.update(ref, spec)

    @_operation
    def delete_policy(self, ref: PolicyRef) -> None:
        """Delete a policy (``NotFoundError`` when absent)."""
        self._ensure()
        self._policies.delete(ref)

    @_operation
    def assign_policy(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        """Replace the policy's assignments with ``targets``."""
        self._ensure()
        return self._policies.assign(ref, targets)

    @_streamed
    def policy_device_statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        """Intune's per-device status of one policy."""
        self._ensure()
        return self._policies.statuses(ref)

    # -- devices --------------------------------------------------------------------------------------------------

    @_streamed
    def list_managed_devices(self, device_filter: DeviceFilter | None = None) -> Iterator[ManagedDevice]:
        """Managed devices, streamed as the host writes them, filtered by Graph (values quoted)."""
        self._ensure()
        return list_devices(self.mg, device_filter, self.device_listing)

    @_streamed
    def run_device_action(
        self, action: DeviceAction, device_ids: Sequence[str], *, strategy: str = "auto"
    ) -> Iterator[DeviceActionResult]:
        """Send ``action`` to each device; one result per distinct id.

        Args:
            action: sync or restart.
            device_ids: Intune managed device ids.
            strategy: ``"auto"`` (bulk action cmdlet, falling back to ``$batch``), ``"execute_action"``,
                ``"batch"`` or ``"per_device"`` (``Sync-``/``Restart-MgDeviceManagementManagedDevice…``).
        """
        self._ensure()
        return run_action(self.mg, action, device_ids, strategy)

    @_operation
    def get_managed_device(self, device_id: str) -> ManagedDevice:
        """One managed device (``NotFoundError`` when absent)."""
        for device in self.list_managed_devices(DeviceFilter(operating_system=None, device_ids=(device_id,))):
            return device
        raise NotFoundError(f"managed device {device_id} not found", status_code=404, backend=self.name)

    # -- lifetime -------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """``Disconnect-MgGraph`` (when signed in), then close the runspace pool."""
        if self._ready:
            self._ready = False
            # The pool is closed next either way, and the host drops the sign-in with it.
            with contextlib.suppress(BackendError):
                self.mg.run(Cmd("Disconnect-MgGraph"))
        self.session.close()

    def __enter__(self) -> PowerShellBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
