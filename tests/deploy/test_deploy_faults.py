"""Reliability: apply converges and bulk sync records every device while 20% of requests fail.

The emulator serves HTTPS on loopback and injects 5xx answers, dropped connections (half of them after the
request was carried out) and truncated bodies into 20% of Graph requests, with Intune's throttling on — its limits
and window scaled down so that 429s with Retry-After happen within a short run.
"""

from __future__ import annotations

from collections import Counter

import attrs
import pytest

from pinreset.backends.graph import GraphBackend
from pinreset.deploy import DesiredState, apply, is_ours, plan, sync_devices
from pinreset.emulator import Emulator, FaultConfig
from pinreset.emulator._throttle import ThrottleConfig
from pinreset.exceptions import PinresetError
from pinreset.graph import RetryPolicy
from pinreset.models import PIN_RESET_APPS, ActionOutcome
from tests.deploy.emu import graph_backend

pytestmark = pytest.mark.slow

FAULTS = FaultConfig(rate=0.2, kinds={"error": 1.0, "drop": 1.0, "truncate": 1.0}, retry_after=None, seed=11)
# 1% of Intune's limits in a 0.5 s window: writes to one family beyond a handful in half a second get a 429.
THROTTLE = ThrottleConfig(window_seconds=0.5, scale=0.01)
FAST_RETRIES = RetryPolicy(base_delay=0.02, max_delay=0.3, jitter=0.5)


def _backend(emu: Emulator) -> GraphBackend:
    """Sign in with msal from the emulator's env, with short backoffs so the test stays fast."""
    return GraphBackend.from_environment(environ=emu.env, retry_policy=FAST_RETRIES, max_retries=8, deadline=60.0)


@pytest.mark.parametrize("fault_seed", [3, 7])
def test_apply_converges_without_duplicates_under_faults(fault_seed: int) -> None:
    """apply (re-run as a user would, if it ever stops) reaches the desired state with exactly one of each object."""
    faults = attrs.evolve(FAULTS, seed=fault_seed)
    with Emulator(devices=10, seed=3, faults=faults, throttling=THROTTLE) as emu:
        runs = 0
        for runs in range(1, 6):  # noqa: B007 - the count is asserted below
            try:
                with _backend(emu) as backend:
                    apply(backend, DesiredState())
                    if not plan(backend, DesiredState()).changes:
                        break
            except PinresetError:
                continue
        injected = sum(emu.fault_counts.values())
        emu.set_faults(None)
        emu.set_throttling(False)
        with graph_backend(emu) as backend:
            assert plan(backend, DesiredState()).changes == ()
            marked = [p for p in backend.list_policies() if is_ours(p)]
        app_ids = Counter(sp.get("appId") for sp in emu.tenant.list_service_principals())
    assert injected > 0
    assert runs <= 5
    assert len(marked) == 1
    assert all(app_ids[app.app_id] == 1 for app in PIN_RESET_APPS)


@pytest.mark.parametrize("fault_seed", [2, 4])
def test_bulk_sync_records_every_device_under_faults(fault_seed: int) -> None:
    """A bulk sync of 300 devices ends with exactly one recorded result per device; re-runs finish the failed."""
    faults = FaultConfig(rate=0.2, kinds={"error": 1.0, "drop": 1.0, "truncate": 1.0}, retry_after=None,
                         seed=fault_seed)
    with Emulator(devices=300, seed=4, faults=faults, throttling=THROTTLE) as emu, _backend(emu) as backend:
        result = sync_devices(backend, DesiredState())
        assert sum(emu.fault_counts.values()) > 0
        device_ids = set(emu.tenant.devices)
        assert set(result.devices) == device_ids
        assert sorted(r.device_id for r in result.sync) == sorted(device_ids)
        assert all(r.outcome is ActionOutcome.SUCCEEDED or r.error for r in result.sync)
        pending = result
        for _ in range(5):  # the user re-runs the failed devices until none is left
            if pending.complete:
                break
            pending = sync_devices(backend, only_failed=pending)
            assert len(pending.sync) == len({r.device_id for r in pending.sync})
        assert pending.complete
