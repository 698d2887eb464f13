"""PIN-recovery policies through the Microsoft Graph PowerShell SDK (Microsoft.Graph.Beta.DeviceManagement).

The same bodies (:mod:`pinreset.policy_body`) and readers (:mod:`pinreset.backends._views`) as the Graph
backend; only the transport differs. Settings catalog assignment and settings updates have no cmdlet, so they
go through ``Invoke-MgGraphRequest`` (as the SDK's own documentation and Microsoft365DSC do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pinreset.backends._ps_graph import MgClient
from pinreset.backends._ps_session import Cmd
from pinreset.backends._views import (
    assigned_targets,
    assignment_body,
    legacy_status,
    path_segment,
    read_report,
    read_targets,
    to_policy,
)
from pinreset.exceptions import ConfigurationError, NotFoundError, ParseError, TransportError
from pinreset.models import AssignmentTarget, DevicePolicyStatus, Policy, PolicyKind, PolicyRef, PolicySpec
from pinreset.policy_body import build_policy_body, kind_of_device_configuration

__all__ = ["PSPolicyOps"]

_CATALOG_URI = "/beta/deviceManagement/configurationPolicies"
_REPORT_URI = "/beta/deviceManagement/reports/getConfigurationPolicyDevicesReport"
_POLICY_ID = "DeviceManagementConfigurationPolicyId"
_CONFIG_ID = "DeviceConfigurationId"


def _check_kind(kind: PolicyKind) -> None:
    if kind not in (PolicyKind.SETTINGS_CATALOG, PolicyKind.IDENTITY_PROTECTION, PolicyKind.CUSTOM_OMA_URI,
                    PolicyKind.OTHER):
        raise ConfigurationError(f"unknown policy kind {kind!r}")


class PSPolicyOps:
    """Policy operations on one admin host.

    Args:
        mg: the SDK client.
        tenant_id: a callable giving the tenant id (OMA-URI nodes name it).
    """

    def __init__(self, mg: MgClient, tenant_id: Callable[[], str]) -> None:
        self.mg = mg
        self._tenant_id = tenant_id

    # -- reading --------------------------------------------------------------------------------------------------

    def _catalog_parts(self, policy_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        settings = self.mg.objects(
            Cmd("Get-MgBetaDeviceManagementConfigurationPolicySetting", (_POLICY_ID, policy_id), ("All", True))
        )
        assignments = self.mg.objects(
            Cmd("Get-MgBetaDeviceManagementConfigurationPolicyAssignment", (_POLICY_ID, policy_id), ("All", True))
        )
        return settings, assignments

    def _config_assignments(self, config_id: str) -> list[dict[str, Any]]:
        return self.mg.objects(
            Cmd("Get-MgBetaDeviceManagementDeviceConfigurationAssignment", (_CONFIG_ID, config_id), ("All", True))
        )

    def _catalog_policy(self, raw: Mapping[str, Any], tenant_id: str) -> Policy:
        settings, assignments = self._catalog_parts(str(raw["id"]))
        return to_policy(PolicyKind.SETTINGS_CATALOG, {**raw, "assignments": assignments}, settings, tenant_id)

    def _config_policy(self, raw: Mapping[str, Any], tenant_id: str) -> Policy:
        assignments = self._config_assignments(str(raw["id"]))
        return to_policy(kind_of_device_configuration(raw), {**raw, "assignments": assignments}, None, tenant_id)

    def list(self) -> Iterator[Policy]:
        """Every Windows policy that can configure Windows Hello for Business (see the protocol)."""
        tenant_id = self._tenant_id()
        for raw in self.mg.objects(Cmd("Get-MgBetaDeviceManagementConfigurationPolicy", ("All", True))):
            if "id" not in raw or "windows10" not in str(raw.get("platforms") or "windows10").lower():
                continue
            try:
                yield self._catalog_policy(raw, tenant_id)
            except NotFoundError:
                continue  # deleted between listing and reading: it is gone
        for raw in self.mg.objects(Cmd("Get-MgBetaDeviceManagementDeviceConfiguration", ("All", True))):
            if "id" not in raw or kind_of_device_configuration(raw) is PolicyKind.OTHER:
                continue
            try:
                yield self._config_policy(raw, tenant_id)
            except NotFoundError:
                continue

    def get(self, ref: PolicyRef) -> Policy:
        """One policy with settings and assignments (``NotFoundError`` when absent)."""
        _check_kind(ref.kind)
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            raw = self.mg.first(Cmd("Get-MgBetaDeviceManagementConfigurationPolicy", (_POLICY_ID, ref.id)))
            return self._catalog_policy(raw, self._tenant_id())
        raw = self.mg.first(Cmd("Get-MgBetaDeviceManagementDeviceConfiguration", (_CONFIG_ID, ref.id)))
        return self._config_policy(raw, self._tenant_id())

    def _find_by_name(self, kind: PolicyKind, name: str) -> Mapping[str, Any] | None:
        if kind is PolicyKind.SETTINGS_CATALOG:
            listing = self.mg.objects(Cmd("Get-MgBetaDeviceManagementConfigurationPolicy", ("All", True)))
            return next((r for r in listing if r.get("name") == name), None)
        listing = self.mg.objects(Cmd("Get-MgBetaDeviceManagementDeviceConfiguration", ("All", True)))
        return next(
            (r for r in listing if r.get("displayName") == name and kind_of_device_configuration(r) is kind), None
        )

    # -- writing --------------------------------------------------------------------------------------------------

    def create(self, spec: PolicySpec) -> Policy:
        """Create the policy; an unclear outcome is resolved by looking it up by name (never a duplicate)."""
        body = build_policy_body(spec, self._tenant_id())
        cmdlet = (
            "New-MgBetaDeviceManagementConfigurationPolicy"
            if spec.kind is PolicyKind.SETTINGS_CATALOG
            else "New-MgBetaDeviceManagementDeviceConfiguration"
        )
        try:
            created: Mapping[str, Any] = self.mg.first(Cmd(cmdlet, ("BodyParameter", body)))
        except (TransportError, ParseError):
            # The host may have created it before the answer was lost: look before anything else.
            found = self._find_by_name(spec.kind, spec.name)
            if found is None:
                raise
            created = found
        if "id" not in created:
            raise ParseError(f"{cmdlet} returned no id")
        return self.get(PolicyRef(kind=spec.kind, id=str(created["id"])))

    def update(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        """Make the policy match ``spec``: PUT the whole settings catalog policy, update a profile."""
        if spec.kind is not ref.kind:
            raise ConfigurationError(f"cannot turn a {ref.kind.value} policy into a {spec.kind.value} policy")
        body = build_policy_body(spec, self._tenant_id())
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            self.mg.request("PUT", f"{_CATALOG_URI}/{path_segment(ref.id)}", body)
        else:
            self.mg.run(
                Cmd("Update-MgBetaDeviceManagementDeviceConfiguration", (_CONFIG_ID, ref.id), ("BodyParameter", body))
            )
        return self.get(ref)

    def delete(self, ref: PolicyRef) -> None:
        """Delete the policy (``NotFoundError`` when absent)."""
        _check_kind(ref.kind)
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            self.mg.run(Cmd("Remove-MgBetaDeviceManagementConfigurationPolicy", (_POLICY_ID, ref.id)))
        else:
            self.mg.run(Cmd("Remove-MgBetaDeviceManagementDeviceConfiguration", (_CONFIG_ID, ref.id)))

    def assign(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        """Replace the whole assignment set: ``assign`` (``Set-MgBeta…DeviceConfiguration`` for profiles)."""
        body = assignment_body(ref.kind, targets)
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            answer = self.mg.request("POST", f"{_CATALOG_URI}/{path_segment(ref.id)}/assign", body)
            return assigned_targets(answer, targets)
        returned = self.mg.objects(
            Cmd("Set-MgBetaDeviceManagementDeviceConfiguration", (_CONFIG_ID, ref.id), ("BodyParameter", body))
        )
        if returned:
            return read_targets({"assignments": returned})
        return tuple(targets)

    # -- status ---------------------------------------------------------------------------------------------------

    def statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        """Per-device status: ``deviceStatuses`` for profiles, the devices report for settings catalog."""
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            yield from read_report(ref.id, lambda body: self.mg.request("POST", _REPORT_URI, body))
            return
        rows = self.mg.objects(
            Cmd("Get-MgBetaDeviceManagementDeviceConfigurationDeviceStatus", (_CONFIG_ID, ref.id), ("All", True))
        )
        for row in rows:
            yield legacy_status(row)
