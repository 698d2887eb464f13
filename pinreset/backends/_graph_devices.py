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
from urllib.parse import quote

from pinreset._converter import structure
from pinreset.backends._views import (
    DEVICE_SELECT,
    EXECUTE_ACTION_CHUNK,
    action_result,
    device_filter_clauses,
    device_matches,
    read_bulk_result,
)
from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    ConfigurationError,
    DeadlineExceededError,
    GraphError,
    PermissionDeniedError,
)
from pinreset.graph import BatchRequest, GraphClient, run_batch
from pinreset.models import ActionOutcome, DeviceAction, DeviceActionResult, DeviceFilter, ManagedDevice

__all__ = ["DEVICE_SELECT", "EXECUTE_ACTION_CHUNK", "STRATEGIES", "device_filter_clauses", "list_devices", "run_action"]

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
            device = structure(raw, ManagedDevice)
            if _matches(device, device_filter):
                yield device


_result = action_result
_matches = device_matches
_read_bulk_result = read_bulk_result


class _ExecuteActionRefused(Exception):  # noqa: N818 - internal signal, never escapes this module
    """executeAction itself is not available; the caller falls back to $batch."""


def _execute_action(
    client: GraphClient, action: DeviceAction, ids: Sequence[str], *, first: bool
) -> Iterator[DeviceActionResult]:
    for start in range(0, len(ids), EXECUTE_ACTION_CHUNK):
        chunk = list(ids[start : start + EXECUTE_ACTION_CHUNK])
        body = {"actionName": action.value, "deviceIds": chunk}
        try:
            # A repeated sync is harmless; a repeated restart is not, so a restart of unknown outcome is
            # reported as failed instead of being sent again.
            answer = client.request(
                "POST", f"{_DEVICES}/executeAction", json_body=body, idempotent=action is DeviceAction.SYNC
            )
        except (AuthenticationError, PermissionDeniedError, DeadlineExceededError):
            raise
        except GraphError as exc:
            if first and start == 0 and exc.status_code in (400, 404, 405, 501):
                raise _ExecuteActionRefused(str(exc)) from exc
            yield from (_result(i, action, ActionOutcome.FAILED, str(exc)) for i in chunk)
            continue
        except BackendError as exc:
            yield from (_result(i, action, ActionOutcome.FAILED, str(exc)) for i in chunk)
            continue
        yield from _read_bulk_result(answer.body, chunk, action)


def _batch(client: GraphClient, action: DeviceAction, ids: Sequence[str]) -> Iterator[DeviceActionResult]:
    # Per-device actions are v1.0 and beta alike; one $batch run per 20 x 25 devices keeps memory flat.
    window = 500
    for start in range(0, len(ids), window):
        chunk = ids[start : start + window]
        requests = [
            BatchRequest(
                id=str(n),
                method="POST",
                url=f"/deviceManagement/managedDevices/{quote(device_id, safe='')}/{action.value}",
                idempotent=action is DeviceAction.SYNC,
            )
            for n, device_id in enumerate(chunk)
        ]
        for device_id, result in zip(chunk, run_batch(client, requests, version="v1.0"), strict=True):
            if result.ok:
                yield _result(device_id, action, ActionOutcome.SUCCEEDED)
            elif result.status == 404:
                yield _result(device_id, action, ActionOutcome.NOT_FOUND, str(result.error()))
            else:
                yield _result(device_id, action, ActionOutcome.FAILED, str(result.error()))


def run_action(
    client: GraphClient, action: DeviceAction, device_ids: Sequence[str], strategy: str = "auto"
) -> Iterator[DeviceActionResult]:
    """Send ``action`` to every device; exactly one result per distinct device id (see the module docstring).

    Raises:
        ConfigurationError: for an unknown strategy or action.
        AuthenticationError, PermissionDeniedError: when the credential cannot run device actions at all.
    """
    if strategy not in STRATEGIES:
        raise ConfigurationError(f"unknown device action strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if not isinstance(action, DeviceAction):
        raise ConfigurationError(f"unknown device action {action!r}")
    ids = list(dict.fromkeys(str(i) for i in device_ids))
    if not ids:
        return
    if strategy == "batch":
        yield from _batch(client, action, ids)
        return
    produced = 0
    try:
        for result in _execute_action(client, action, ids, first=True):
            produced += 1
            yield result
    except _ExecuteActionRefused as exc:
        if strategy == "execute_action":
            raise BackendError(f"executeAction was refused: {exc}") from exc.__cause__
        log.info("executeAction refused (%s); sending per-device requests in $batch", exc)
        yield from _batch(client, action, ids[produced:])
