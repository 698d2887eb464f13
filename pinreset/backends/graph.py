"""GraphBackend: the :class:`~pinreset.backends.TenantBackend` over Microsoft Graph (httpx + msal).

Permissions each operation needs are listed in docs/graph-backend.md. Every error is a
:class:`~pinreset.exceptions.PinresetError`; see :class:`~pinreset.graph.GraphClient` for retries, pacing and the
deadline.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from pinreset._converter import structure, unstructure
from pinreset.auth import Cloud, DefaultCredential, TokenCredential
from pinreset.backends._graph_devices import list_devices, run_action
from pinreset.backends._graph_policies import PolicyOps
from pinreset.backends._lookups import find_groups_by_name, find_sps_by_app_id
from pinreset.backends._views import path_segment, to_tenant
from pinreset.exceptions import ConfigurationError, GraphError, NotFoundError, ParseError
from pinreset.graph import GraphClient
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

__all__ = ["GraphBackend"]

_SP_SELECT = "id,appId,displayName,accountEnabled,appOwnerOrganizationId"
_CLIENT_OPTIONS = frozenset(
    {
        "timeout",
        "max_retries",
        "deadline",
        "user_agent",
        "pacing",
        "retry_policy",
        "scopes",
        "clock",
        "sleep",
        "rng",
        "close_credential",
    }
)


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


class GraphBackend:
    """Tenant operations over Microsoft Graph.

    Args:
        client: the Graph client to use (closed by :meth:`close`).

    Example::

        with GraphBackend.from_environment() as backend:
            print(backend.tenant_info())
    """

    name = "graph"

    def __init__(self, client: GraphClient) -> None:
        self.client = client
        self._tenant: TenantInfo | None = None
        self._policies = PolicyOps(client, lambda: self.tenant_info().id)

    def __repr__(self) -> str:
        return f"GraphBackend({self.client!r})"

    # -- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        *,
        credential: TokenCredential,
        cloud: Cloud | str | None = None,
        graph_url: str | None = None,
        ca_bundle: str | None = None,
        transport: Any = None,
        **client_options: Any,
    ) -> GraphBackend:
        """A backend for ``credential`` in ``cloud``.

        Args:
            credential: anything with ``get_token(*scopes)``.
            cloud: the national cloud (decides the Graph root unless ``graph_url`` is given); default: the
                credential's own cloud when it has one (pinreset's credentials do), else the global cloud.
            graph_url: Graph's root, overriding the cloud's.
            ca_bundle: a PEM CA bundle to trust for Graph.
            transport: an httpx transport instead of the network (tests, the emulator in-process).
            **client_options: further :class:`GraphClient` options (``timeout``, ``deadline``, ``pacing``, …).

        Raises:
            ConfigurationError: an unknown cloud or option, or a credential that signs in to another cloud.
        """
        unknown = set(client_options) - _CLIENT_OPTIONS
        if unknown:
            raise ConfigurationError(f"unknown GraphBackend options: {', '.join(sorted(unknown))}")
        credential_cloud = getattr(credential, "cloud", None)
        credential_cloud = credential_cloud if isinstance(credential_cloud, Cloud) else None
        target = Cloud.parse(cloud) if cloud is not None else (credential_cloud or Cloud.GLOBAL)
        if credential_cloud is not None and credential_cloud is not target:
            # Tokens do not cross clouds: asking one cloud's sign-in for another's Graph can only fail, later
            # and less clearly, so the mismatch is refused here.
            raise ConfigurationError(
                f"the credential signs in to the {credential_cloud.value} cloud but the backend was asked for "
                f"{target.value}; create both for the same cloud"
            )
        url = graph_url or target.graph_url
        verify: bool | str | ssl.SSLContext = ca_bundle or True
        client = GraphClient(credential, graph_url=url, transport=transport, verify=verify, **client_options)
        return cls(client)

    @classmethod
    def from_environment(cls, *, environ: Mapping[str, str] | None = None, **overrides: Any) -> GraphBackend:
        """A backend configured like azure-identity's environment credential (see :class:`DefaultCredential`).

        Args:
            environ: variables to read instead of ``os.environ``.
            **overrides: :class:`DefaultCredential` settings (``tenant_id``, ``client_secret``, ``cloud``,
                ``graph_url``, ``ca_bundle``, …), ``cache``, ``transport`` and :class:`GraphClient` options.

        Raises:
            ConfigurationError: required variables are missing.
        """
        client_options = {k: overrides.pop(k) for k in list(overrides) if k in _CLIENT_OPTIONS}
        transport = overrides.pop("transport", None)
        credential = DefaultCredential(environ=environ, **overrides)
        client_options.setdefault("close_credential", True)  # the backend made it, so the backend closes it
        return cls.connect(
            credential=credential,
            cloud=credential.cloud,
            graph_url=credential.graph_url,
            ca_bundle=credential.ca_bundle,
            transport=transport,
            **client_options,
        )

    # -- tenant and apps ------------------------------------------------------------------------------------------

    def tenant_info(self) -> TenantInfo:
        """The organization (``GET /v1.0/organization``); federated domains from ``/v1.0/domains``."""
        if self._tenant is not None:
            return self._tenant
        body = self.client.get("/v1.0/organization")
        orgs = body.get("value") if isinstance(body, Mapping) else None
        if not orgs or not isinstance(orgs[0], Mapping) or "id" not in orgs[0]:
            raise ParseError("GET /v1.0/organization returned no organization")
        try:
            domains: list[dict[str, Any]] | None = list(
                self.client.paginate("/v1.0/domains", params={"$select": "id,authenticationType"})
            )
        except GraphError as exc:
            if exc.status_code not in (400, 403, 404):
                raise
            domains = None  # Domain.Read.All missing (or no /domains): the verified domains' type says it too
        self._tenant = to_tenant(orgs[0], domains)
        return self._tenant

    def _find_sps(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        def query(expression: str) -> Iterator[dict[str, Any]]:
            params = {"$filter": expression, "$select": _SP_SELECT}
            return self.client.paginate("/v1.0/servicePrincipals", params=params)

        return find_sps_by_app_id(app_ids, query)

    def find_service_principals(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        """Service principals by application id; absent ids are missing from the result."""
        return self._find_sps(list(dict.fromkeys(app_ids)))

    def create_service_principal(self, app_id: str) -> ServicePrincipal:
        """``POST /v1.0/servicePrincipals {"appId": …}``, idempotent: an existing one is returned."""

        def lookup() -> Mapping[str, Any] | None:
            sp = self._find_sps([app_id]).get(app_id)
            return None if sp is None else unstructure(sp)

        existing = lookup()
        if existing is None:
            try:
                existing = self.client.create("/v1.0/servicePrincipals", {"appId": app_id}, lookup=lookup)
            except GraphError as exc:
                # Directory writes report a duplicate key as 400 Request_MultipleObjectsWithSameKeyValue.
                if exc.code != "Request_MultipleObjectsWithSameKeyValue":
                    raise
                existing = lookup()
                if existing is None:
                    raise
        return structure(existing, ServicePrincipal)

    # -- groups ---------------------------------------------------------------------------------------------------

    def find_groups(self, names: Sequence[str]) -> dict[str, Group]:
        """Groups by exact display name (one query per name, the name quoted).

        Raises:
            ConfigurationError: when two groups share one of the names (assigning to either would be a guess).
        """

        def query(expression: str) -> Iterator[dict[str, Any]]:
            return self.client.paginate("/v1.0/groups", params={"$filter": expression, "$select": "id,displayName"})

        return find_groups_by_name(names, query)

    def get_group(self, group_id: str) -> Group:
        """One group by id (``NotFoundError`` when absent)."""
        raw = self.client.get(f"/v1.0/groups/{path_segment(group_id)}", params={"$select": "id,displayName"})
        return structure(raw, Group)

    def list_group_member_ids(self, group_id: str) -> Iterator[str]:
        """User object ids of the group's members, nested groups included (each id once).

        Uses ``transitiveMembers/microsoft.graph.user`` (one paged query); where that segment is not available
        (400/404 on the first page) it walks ``members`` and expands nested groups itself.
        """
        pages = self.client.paginate(
            f"/v1.0/groups/{path_segment(group_id)}/transitiveMembers/microsoft.graph.user", params={"$select": "id"}
        )
        try:
            first = next(pages)
        except StopIteration:
            return
        except GraphError as exc:
            if exc.status_code not in (400, 404):
                raise
            yield from self._walk_members(group_id)
            return
        seen: set[str] = set()
        for raw in _chain(first, pages):
            member_id = str(raw.get("id") or "")
            if member_id and member_id not in seen:
                seen.add(member_id)
                yield member_id

    def _walk_members(self, group_id: str) -> Iterator[str]:
        seen_groups = {group_id}
        pending = [group_id]
        seen_members: set[str] = set()
        while pending:
            current = pending.pop()
            for raw in self.client.paginate(f"/v1.0/groups/{path_segment(current)}/members", params={"$select": "id"}):
                member_id = str(raw.get("id") or "")
                if not member_id:
                    continue
                odata_type = str(raw.get("@odata.type") or "").lower()
                if odata_type == "#microsoft.graph.group":
                    if member_id not in seen_groups:
                        seen_groups.add(member_id)
                        pending.append(member_id)
                elif odata_type in ("", "#microsoft.graph.user") and member_id not in seen_members:
                    seen_members.add(member_id)
                    yield member_id

    # -- policies -------------------------------------------------------------------------------------------------

    def list_policies(self) -> Iterator[Policy]:
        """Settings catalog policies, identity protection and custom OMA-URI profiles, with settings and assignments."""
        return self._policies.list()

    def get_policy(self, ref: PolicyRef) -> Policy:
        """One policy (``NotFoundError`` when absent)."""
        return self._policies.get(ref)

    def create_policy(self, spec: PolicySpec) -> Policy:
        """Create a policy; never duplicated (an unclear outcome is looked up by name first)."""
        return self._policies.create(spec)

    def update_policy(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        """Make a policy match ``spec``."""
        return self._policies.update(ref, spec)

    def delete_policy(self, ref: PolicyRef) -> None:
        """Delete a policy (``NotFoundError`` when absent)."""
        self._policies.delete(ref)

    def assign_policy(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        """Replace the policy's assignments with ``targets``."""
        return self._policies.assign(ref, targets)

    def policy_device_statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        """Intune's per-device status of one policy."""
        return self._policies.statuses(ref)

    # -- devices --------------------------------------------------------------------------------------------------

    def list_managed_devices(self, device_filter: DeviceFilter | None = None) -> Iterator[ManagedDevice]:
        """Managed devices, streamed page by page with the filter applied by Graph (values quoted)."""
        return list_devices(self.client, device_filter)

    def run_device_action(
        self, action: DeviceAction, device_ids: Sequence[str], *, strategy: str = "auto"
    ) -> Iterator[DeviceActionResult]:
        """Send ``action`` to each device; one result per distinct id.

        Args:
            action: sync or restart.
            device_ids: Intune managed device ids.
            strategy: ``"auto"`` (``executeAction``, falling back to ``$batch``), ``"execute_action"`` or
                ``"batch"``.
        """
        return run_action(self.client, action, device_ids, strategy)

    def get_managed_device(self, device_id: str) -> ManagedDevice:
        """One managed device (``NotFoundError`` when absent)."""
        for device in list_devices(self.client, DeviceFilter(operating_system=None, device_ids=(device_id,))):
            return device
        raise NotFoundError(f"managed device {device_id} not found", status_code=404)

    # -- lifetime -------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def __enter__(self) -> GraphBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
