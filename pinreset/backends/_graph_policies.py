"""PIN-recovery policies over Graph: list, read, create, update, delete, assign, per-device status.

Settings catalog policies live in ``/beta/deviceManagement/configurationPolicies`` (their settings are a
separate collection, fetched in ``$batch``); Identity protection and custom OMA-URI profiles in
``/beta/deviceManagement/deviceConfigurations`` (beta, because the identity protection type is beta-only).
Bodies and the reading of settings come from :mod:`pinreset.policy_body`, shared with other backends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pinreset.backends._views import (
    assigned_targets,
    assignment_body,
    legacy_status,
    path_segment,
    read_report,
    to_policy,
)
from pinreset.exceptions import ConfigurationError, NotFoundError, ParseError
from pinreset.graph import BatchRequest, GraphClient, run_batch
from pinreset.models import AssignmentTarget, DevicePolicyStatus, Policy, PolicyKind, PolicyRef, PolicySpec
from pinreset.policy_body import build_policy_body, kind_of_device_configuration

__all__ = ["PolicyOps"]

_CATALOG = "/beta/deviceManagement/configurationPolicies"
_CONFIGS = "/beta/deviceManagement/deviceConfigurations"
_CATALOG_BATCH = "/deviceManagement/configurationPolicies"  # $batch URLs carry no version
_REPORT = "/beta/deviceManagement/reports/getConfigurationPolicyDevicesReport"


def _collection(kind: PolicyKind) -> str:
    if kind is PolicyKind.SETTINGS_CATALOG:
        return _CATALOG
    if kind in (PolicyKind.IDENTITY_PROTECTION, PolicyKind.CUSTOM_OMA_URI, PolicyKind.OTHER):
        return _CONFIGS
    raise ConfigurationError(f"unknown policy kind {kind!r}")


class PolicyOps:
    """Policy operations bound to one client and tenant.

    Args:
        client: the Graph client.
        tenant_id: a callable giving the tenant id (OMA-URI nodes name it); called only when needed.
    """

    def __init__(self, client: GraphClient, tenant_id: Any) -> None:
        self.client = client
        self._tenant_id = tenant_id

    # -- reading --------------------------------------------------------------------------------------------------

    def _settings_of(self, policy_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each settings catalog policy's settings, 20 policies per ``$batch``."""
        requests = [
            BatchRequest(id=str(n), method="GET", url=f"{_CATALOG_BATCH}/{path_segment(pid)}/settings")
            for n, pid in enumerate(policy_ids)
        ]
        found: dict[str, list[dict[str, Any]]] = {}
        for pid, result in zip(policy_ids, run_batch(self.client, requests, version="beta"), strict=True):
            error = result.error()
            if error is not None:
                if isinstance(error, NotFoundError):
                    continue  # deleted between listing and reading: it is gone, skip it
                raise error
            body = result.body if isinstance(result.body, Mapping) else {}
            items = list(body.get("value") or [])
            next_link = body.get("@odata.nextLink")
            if next_link:
                items.extend(self.client.paginate(str(next_link)))
            found[pid] = items
        return found

    def list(self) -> Iterator[Policy]:
        """Every Windows policy that can configure Windows Hello for Business (see the protocol)."""
        tenant_id = self._tenant_id()
        catalog = [
            raw for raw in self.client.paginate(_CATALOG, params={"$expand": "assignments"})
            if "windows10" in str(raw.get("platforms") or "windows10").lower()
        ]
        for start in range(0, len(catalog), 100):
            page = catalog[start : start + 100]
            settings = self._settings_of([str(raw["id"]) for raw in page])
            for raw in page:
                if str(raw["id"]) in settings:
                    yield to_policy(PolicyKind.SETTINGS_CATALOG, raw, settings[str(raw["id"])], tenant_id)
        for raw in self.client.paginate(_CONFIGS, params={"$expand": "assignments"}):
            kind = kind_of_device_configuration(raw)
            if kind is not PolicyKind.OTHER:
                yield to_policy(kind, raw, None, tenant_id)

    def get(self, ref: PolicyRef) -> Policy:
        """One policy with settings and assignments (``NotFoundError`` when absent)."""
        url = f"{_collection(ref.kind)}/{path_segment(ref.id)}"
        raw = self.client.get(url, params={"$expand": "assignments"})
        if not isinstance(raw, Mapping):
            raise ParseError(f"GET {url} did not return an object")
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            settings = list(self.client.paginate(f"{url}/settings"))
            return to_policy(PolicyKind.SETTINGS_CATALOG, raw, settings, self._tenant_id())
        return to_policy(kind_of_device_configuration(raw), raw, None, self._tenant_id())

    def _find_by_name(self, kind: PolicyKind, name: str) -> Mapping[str, Any] | None:
        key = "name" if kind is PolicyKind.SETTINGS_CATALOG else "displayName"
        for raw in self.client.paginate(_collection(kind)):
            if raw.get(key) == name and (
                kind is PolicyKind.SETTINGS_CATALOG or kind_of_device_configuration(raw) is kind
            ):
                return raw
        return None

    # -- writing --------------------------------------------------------------------------------------------------

    def create(self, spec: PolicySpec) -> Policy:
        """POST the policy; an unclear outcome is resolved by looking it up by name (never a duplicate)."""
        body = build_policy_body(spec, self._tenant_id())
        created = self.client.create(
            _collection(spec.kind), body, lookup=lambda: self._find_by_name(spec.kind, spec.name)
        )
        if "id" not in created:
            raise ParseError("Graph created a policy but returned no id")
        return self.get(PolicyRef(kind=spec.kind, id=str(created["id"])))

    def update(self, ref: PolicyRef, spec: PolicySpec) -> Policy:
        """Make the policy match ``spec``: PUT the whole settings catalog policy, PATCH a profile."""
        if spec.kind is not ref.kind:
            raise ConfigurationError(f"cannot turn a {ref.kind.value} policy into a {spec.kind.value} policy")
        body = build_policy_body(spec, self._tenant_id())
        url = f"{_collection(ref.kind)}/{path_segment(ref.id)}"
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            self.client.request("PUT", url, json_body=body)
        else:
            # The body carries every property pinreset owns, so repeating the PATCH is harmless.
            self.client.request("PATCH", url, json_body=body, idempotent=True)
        return self.get(ref)

    def delete(self, ref: PolicyRef) -> None:
        """DELETE the policy (``NotFoundError`` when absent)."""
        self.client.request("DELETE", f"{_collection(ref.kind)}/{path_segment(ref.id)}")

    def assign(self, ref: PolicyRef, targets: Sequence[AssignmentTarget]) -> tuple[AssignmentTarget, ...]:
        """POST ``…/assign`` with the complete list: it replaces the whole assignment set."""
        body = assignment_body(ref.kind, targets)
        answer = self.client.request(
            "POST", f"{_collection(ref.kind)}/{path_segment(ref.id)}/assign", json_body=body, idempotent=True
        )
        return assigned_targets(answer.body, targets)

    # -- status ---------------------------------------------------------------------------------------------------

    def statuses(self, ref: PolicyRef) -> Iterator[DevicePolicyStatus]:
        """Per-device status: ``deviceStatuses`` for profiles, the devices report for settings catalog."""
        if ref.kind is PolicyKind.SETTINGS_CATALOG:
            yield from read_report(
                ref.id, lambda body: self.client.request("POST", _REPORT, json_body=body, idempotent=True).body
            )
            return
        for row in self.client.paginate(f"{_collection(ref.kind)}/{path_segment(ref.id)}/deviceStatuses"):
            yield legacy_status(row)
