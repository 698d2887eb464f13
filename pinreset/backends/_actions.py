"""Bulk device actions shared by the backends: the ``executeAction`` chunks, the ``$batch`` fallback and the
checks on a request.

Each backend sends one ``executeAction`` chunk its own way (an HTTP POST, or the SDK's cmdlet); everything around
that call is the same, so it lives here once: which errors stop the run, which only fail a chunk, when the tenant
has refused the bulk action outright, and the per-device ``$batch`` that takes over then. Every path yields
exactly one result per device.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from pinreset.backends._views import EXECUTE_ACTION_CHUNK, action_result, read_bulk_result
from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    ConfigurationError,
    DeadlineExceededError,
    GraphError,
    PermissionDeniedError,
)
from pinreset.graph import BatchRequest, GraphClient, run_batch
from pinreset.models import ActionOutcome, DeviceAction, DeviceActionResult

__all__ = ["SendChunk", "distinct_ids", "execute_or_batch", "run_batch_actions"]

#: Sends one chunk of device ids to the bulk action and returns the answer's body.
SendChunk = Callable[[list[str]], Any]

#: Statuses of a first bulk call that mean the tenant does not offer the bulk action at all.
_REFUSED_STATUSES = (400, 404, 405, 501)
#: Devices per ``run_batch`` call: 25 ``$batch`` requests of 20, so memory stays flat for any number of ids.
_BATCH_WINDOW = 500


class _ExecuteActionRefused(Exception):  # noqa: N818 - internal signal, never escapes this module
    """The bulk action itself is not available; the caller falls back to $batch."""


def distinct_ids(
    action: DeviceAction, device_ids: Sequence[str], strategy: str, strategies: Sequence[str]
) -> list[str]:
    """Check a device action request; the ids as strings, each once, in their first order.

    Args:
        action: the action asked for.
        device_ids: the devices, perhaps repeated.
        strategy: the strategy asked for.
        strategies: the strategies the backend offers.

    Returns:
        The distinct ids.

    Raises:
        ConfigurationError: for an unknown strategy or action.
    """
    if strategy not in strategies:
        raise ConfigurationError(f"unknown device action strategy {strategy!r}; use one of {', '.join(strategies)}")
    if not isinstance(action, DeviceAction):
        raise ConfigurationError(f"unknown device action {action!r}")
    return list(dict.fromkeys(str(i) for i in device_ids))


def _execute_in_chunks(send: SendChunk, action: DeviceAction, ids: Sequence[str]) -> Iterator[DeviceActionResult]:
    for start in range(0, len(ids), EXECUTE_ACTION_CHUNK):
        chunk = list(ids[start : start + EXECUTE_ACTION_CHUNK])
        try:
            body = send(chunk)
        except (AuthenticationError, PermissionDeniedError, DeadlineExceededError):
            raise
        except GraphError as exc:
            if start == 0 and exc.status_code in _REFUSED_STATUSES:
                raise _ExecuteActionRefused(str(exc)) from exc
            yield from (action_result(i, action, ActionOutcome.FAILED, str(exc)) for i in chunk)
            continue
        except BackendError as exc:
            yield from (action_result(i, action, ActionOutcome.FAILED, str(exc)) for i in chunk)
            continue
        yield from read_bulk_result(body, chunk, action)


def run_batch_actions(client: GraphClient, action: DeviceAction, ids: Sequence[str]) -> Iterator[DeviceActionResult]:
    """Per-device ``syncDevice``/``rebootNow`` POSTs in ``$batch`` (v1.0 and beta alike); one result per id.

    Args:
        client: what sends the ``$batch`` requests (a :class:`GraphClient`, or anything offering what
            :func:`~pinreset.graph.run_batch` uses of one).
        action: sync or restart (a restart of unknown outcome is never sent again).
        ids: distinct device ids.
    """
    for start in range(0, len(ids), _BATCH_WINDOW):
        chunk = ids[start : start + _BATCH_WINDOW]
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
                yield action_result(device_id, action, ActionOutcome.SUCCEEDED)
            elif result.status == 404:
                yield action_result(device_id, action, ActionOutcome.NOT_FOUND, str(result.error()))
            else:
                yield action_result(device_id, action, ActionOutcome.FAILED, str(result.error()))


def execute_or_batch(
    send: SendChunk,
    client: GraphClient,
    action: DeviceAction,
    ids: Sequence[str],
    *,
    fallback: bool,
    label: str,
    backend: str,
    log: logging.Logger,
) -> Iterator[DeviceActionResult]:
    """The bulk action chunk by chunk; when the tenant refuses it, ``$batch`` for the devices not yet reported.

    Args:
        send: sends one chunk (at most :data:`~pinreset.backends._views.EXECUTE_ACTION_CHUNK` ids).
        client: sends the ``$batch`` fallback.
        action: sync or restart.
        ids: distinct device ids.
        fallback: whether a refusal falls back to ``$batch`` (``auto``) or is an error (``execute_action``).
        label: how messages name the bulk action.
        backend: the backend named by a :class:`BackendError`.
        log: where the fallback is noted.

    Raises:
        BackendError: the tenant refused the bulk action and ``fallback`` is false.
        AuthenticationError, PermissionDeniedError, DeadlineExceededError: as ``send`` raised them.
    """
    produced = 0
    try:
        for result in _execute_in_chunks(send, action, ids):
            produced += 1
            yield result
    except _ExecuteActionRefused as exc:
        if not fallback:
            raise BackendError(f"{label} was refused: {exc}", backend=backend) from exc.__cause__
        log.info("%s refused (%s); sending per-device requests in $batch", label, exc)
        yield from run_batch_actions(client, action, ids[produced:])
