"""The contract every tenant backend fulfils.

``pinreset.deploy`` and the CLI speak only to this protocol, so a script or notebook switches between the
Graph backend (msal + httpx) and the PowerShell backend (Microsoft.Graph cmdlets over PSRP) with one
argument. ``tests/contract/`` holds the one test suite every backend must pass.

Errors: every method raises only :class:`pinreset.PinresetError` subclasses — ``NotFoundError`` for a missing
object, ``PermissionDeniedError`` for a missing permission, ``AuthenticationError`` for sign-in failures,
``TransportError``/``DeadlineExceededError`` for the network — whatever the backend's own library raised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Protocol

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


class TenantBackend(Protocol):
    """Operations on one tenant that pinreset needs; implemented by GraphBackend and PowerShellBackend."""

    #: ``"graph"`` or ``"powershell"``; also the ``backend`` attribute of errors it raises.
    name: str

    def tenant_info(self) -> TenantInfo:
        """The organization: id, name, verified and federated domains."""
        ...

    def find_service_principals(self, app_ids: Sequence[str]) -> dict[str, ServicePrincipal]:
        """Look up service principals by application id; ids with no service principal are absent from the result."""
        ...

    def create_service_principal(self, app_id: str) -> ServicePrincipal:
        """Instantiate a multi-tenant app in this tenant by its app id.

        Idempotent: when it exists already (also after a retried request that did succeed), the existing one
        is returned; never creates a duplicate.
        """
        ...

    def find_groups(self, names: Sequence[str]) -> dict[str, Group]:
        """Look up groups by exact display name; names with no group are absent from the result."""
        ...

    def get_group(self, group_id: str) -> Group:
        """One group by object id (``NotFoundError`` when absent)."""
        ...

    def list_group_member_ids(self, group_id: str) -> Iterator[str]:
        """Object ids of the group's members (transitive: members of nested groups too)."""
        ...

    def list_policies(self) -> Iterator[Policy]:
        """Every Windows policy that can configure Windows Hello for Business, with settings and assignments.

        Covers settings catalog policies (incl. Account protection), Identity protection profiles, custom
        OMA-URI profiles, streamed page by page.
        """
        ...

    def get_policy(self, ref: PolicyRef) -> Policy:
        """One policy with its settings and assignments (``NotFoundError`` when absent)."""
        ...

    def create_policy(self, spec: PolicySpec) -> Policy:
        """Create a policy from ``spec``. Never blindly retried: a failed create is looked up by name first."""
        ...

    def update_policy(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        """Make an existing policy match ``spec``."""
        ...

    def delete_policy(self, ref: PolicyRef) -> None:
        """Delete a policy (``NotFoundError`` when absent)."""
        ...

    def assign_policy(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        """Replace the policy's whole assignment set with ``targets``; returns the set now in force."""
        ...

    def list_managed_devices(self, device_filter: DeviceFilter | None = None) -> Iterator[ManagedDevice]:
        """Intune managed devices, streamed page by page (constant memory for any tenant size)."""
        ...

    def run_device_action(self, action: DeviceAction, device_ids: Sequence[str]) -> Iterator[DeviceActionResult]:
        """Send ``action`` to every device in bulk, within Intune's throttling limits.

        Yields exactly one result per requested device id (in any order), none silently dropped.
        """
        ...

    def policy_device_statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        """Intune's per-device status of one policy."""
        ...

    def close(self) -> None:
        """Release connections; the backend is unusable afterwards."""
        ...

    def __enter__(self) -> TenantBackend: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
