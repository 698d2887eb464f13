"""Managed devices over Graph: streaming listing with server-side filters, and bulk remote actions.

Bulk actions go one of two ways, both yielding exactly one result per device:

- ``executeAction`` (beta): one request per :data:`EXECUTE_ACTION_CHUNK` devices. The maximum number of
  ``deviceIds`` per call is not documented; 100 matches what the Intune admin center sends in one bulk action,
  so pinreset never relies on more.
- ``$batch`` of per-device ``syncDevice``/``rebootNow`` POSTs, 20 per batch. Intune counts every inner request
  against its devices write limit (200 per 20 s per app), so this needs one throttled request per device.

``auto`` therefore uses ``executeAction`` and falls back to ``$batch`` when the tenant refuses it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from pinreset.backends._actions import SendChunk, distinct_ids, execute_or_batch, run_batch_actions
from pinreset.backends._views import (
    DEVICE_SELECT,
    device_filter_clauses,
    device_matches,
    to_device,
)
from pinreset.graph import GraphClient
from pinreset.models import DeviceAction, DeviceActionResult, DeviceFilter, ManagedDevice

__all__ = ["DEVICE_SELECT", "STRATEGIES", "list_devices", "run_action"]

log = logging.getLogger("pinreset.graph")

STRATEGIES = ("auto", "execute_action", "batch")
_DEVICES = "/beta/deviceManagement/managedDevices"


def list_devices(client: GraphClient, device_filter: DeviceFilter | None) -> Iterator[ManagedDevice]:
    """Stream managed devices page by page (see ``TenantBackend.list_managed_devices``)."""
    device_filter = device_filter or DeviceFilter()
    for expression in device_filter_clauses(device_filter):
        params = {"$select": DEVICE_SELECT}
        if expression:
            params["$filter"] = expression
        # Prefetching overlaps Graph's work on the next page with reading this one (tens of thousands of devices).
        for raw in client.paginate(_DEVICES, params=params, prefetch=True):
            device = to_device(raw)
            if device_matches(device, device_filter):
                yield device


def _send(client: GraphClient, action: DeviceAction) -> SendChunk:
    def send(chunk: list[str]) -> Any:
        body = {"actionName": action.value, "deviceIds": chunk}
        # A repeated sync is harmless; a repeated restart is not, so a restart of unknown outcome is
        # reported as failed instead of being sent again.
        answer = client.request(
            "POST", f"{_DEVICES}/executeAction", json_body=body, idempotent=action is DeviceAction.SYNC
        )
        return answer.body

    return send


def run_action(
    client: GraphClient, action: DeviceAction, device_ids: Sequence[str], strategy: str = "auto"
) -> Iterator[DeviceActionResult]:
    """Send ``action`` to every device; exactly one result per distinct device id (see the module docstring).

    Raises:
        ConfigurationError: for an unknown strategy or action.
        AuthenticationError, PermissionDeniedError: when the credential cannot run device actions at all.
    """
    ids = distinct_ids(action, device_ids, strategy, STRATEGIES)
    if not ids:
        return
    if strategy == "batch":
        yield from run_batch_actions(client, action, ids)
        return
    yield from execute_or_batch(
        _send(client, action), client, action, ids,
        fallback=strategy == "auto", label="executeAction", backend="graph", log=log,
    )
