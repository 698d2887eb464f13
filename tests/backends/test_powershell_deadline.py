"""The PowerShell backend's per-operation deadline, against the emulator's admin host (real PSRP over loopback)."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.backends.powershell import DEFAULT_DEADLINE, CertificateSignIn, PowerShellBackend
from pinreset.emulator import Emulator
from pinreset.emulator._throttle import Limits, ThrottleConfig
from pinreset.exceptions import ConfigurationError, DeadlineExceededError
from pinreset.models import ActionOutcome, DeviceAction, DeviceFilter
from pinreset.remote import WinRMConnection


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator serving an admin host (small tenant)."""
    with Emulator(devices=12, seed=5, admin_host=True) as emulator:
        yield emulator


def _admin(emulator: Emulator) -> Any:
    admin = emulator.admin_host
    assert admin is not None
    return admin


def _connection(emulator: Emulator) -> WinRMConnection:
    admin = _admin(emulator)
    return WinRMConnection(username=admin.username, password=admin.password, ca_bundle=admin.ca_bundle,
                           auth="ntlm", no_proxy=True)


def _backend(emulator: Emulator, **kwargs: Any) -> PowerShellBackend:
    admin = _admin(emulator)
    sign_in = CertificateSignIn(
        tenant_id=emulator.tenant_id, client_id=admin.certificate_client_id, thumbprint=admin.certificate_thumbprint
    )
    return PowerShellBackend(f"{admin.address}:{admin.https_port}", connection=_connection(emulator),
                             sign_in=sign_in, **kwargs)


def _open_pipelines(emulator: Emulator) -> int:
    return sum(len(getattr(shell, "_pipes", {})) for shell in list(_admin(emulator).host.shells.values()))


def _throttle_device_writes(emulator: Emulator, *, clock: Any = time.monotonic, window: float = 60.0) -> None:
    emulator.set_throttling(ThrottleConfig(clock=clock, window_seconds=window, limits={
        "devices": Limits(tenant_writes=1, app_writes=1, tenant_all=1000, app_all=1000)
    }))


def test_deadline_shorter_than_retry_after_raises_quickly(emu: Emulator) -> None:
    """A 429 whose Retry-After outlasts the deadline is not slept: DeadlineExceededError names the operation."""
    waits: list[float] = []
    with _backend(emu, deadline=5.0, sleep=waits.append) as backend:
        ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
        _throttle_device_writes(emu)
        try:
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError) as raised:
                # Two bulk actions of 100 devices: the second one is throttled for most of a minute.
                list(backend.run_device_action(DeviceAction.SYNC, ids + [f"missing-{n}" for n in range(150)]))
            elapsed = time.monotonic() - started
        finally:
            emu.set_throttling(False)
        assert _open_pipelines(emu) == 0
        assert backend.tenant_info().id == emu.tenant_id  # the next operation has a budget of its own
    assert "run_device_action" in str(raised.value)
    assert "429" in str(raised.value)
    assert raised.value.backend == "powershell"
    assert waits == []
    assert backend.mg.throttled == 0
    assert elapsed < 30.0  # Retry-After was up to 60 s


def test_generous_deadline_changes_nothing(emu: Emulator) -> None:
    """With a deadline far beyond the waits, a throttled bulk action still answers every device as before."""
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    with _backend(emu, deadline=None) as unbounded:
        expected = sorted(d.id for d in unbounded.list_managed_devices(DeviceFilter(operating_system=None)))
        policies = sorted(p.id for p in unbounded.list_policies())
    _throttle_device_writes(emu, clock=lambda: now[0], window=20.0)
    try:
        with _backend(emu, deadline=3600.0, sleep=sleep) as backend:
            ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
            assert sorted(p.id for p in backend.list_policies()) == policies
            wanted = ids + [f"missing-{n}" for n in range(150)]
            results = list(backend.run_device_action(DeviceAction.SYNC, wanted))
            assert backend.mg.throttled >= 1
    finally:
        emu.set_throttling(False)
    assert sorted(ids) == expected
    assert len(results) == len(wanted)
    assert {r.device_id for r in results if r.outcome is ActionOutcome.SUCCEEDED} == set(ids)
    assert waits
    assert all(w > 0 for w in waits)


@pytest.mark.parametrize("listing", ["pages", "cmdlet"])
def test_pipeline_running_past_the_deadline_is_stopped_and_closed(emu: Emulator, listing: str) -> None:
    """On a slow host, a pipeline still running when the budget is spent is stopped, closed and reported."""
    admin = _admin(emu)
    with _backend(emu, deadline=0.5, device_listing=listing) as backend:
        assert backend.tenant_info().id == emu.tenant_id  # pool open and signed in before the host slows down
        admin.host.misbehave("slow", latency=0.8)
        try:
            with pytest.raises(DeadlineExceededError) as raised:
                list(backend.list_managed_devices(DeviceFilter(operating_system=None)))
        finally:
            admin.host.misbehave("slow", False)
        assert "list_managed_devices" in str(raised.value)
        assert "stopped" in str(raised.value)
        assert _open_pipelines(emu) == 0
        # The pool is still usable once the host answers quickly again.
        assert list(backend.list_managed_devices(DeviceFilter(operating_system=None)))


def test_deadline_default_and_from_environment(emu: Emulator) -> None:
    """The default deadline is the Graph backend's; from_environment passes one through; a bad one is refused."""
    from pinreset.graph import GraphClient

    assert inspect.signature(GraphClient).parameters["deadline"].default == DEFAULT_DEADLINE
    assert _backend(emu).deadline == DEFAULT_DEADLINE
    backend = PowerShellBackend.from_environment(environ=dict(emu.env), connection=_connection(emu), deadline=7.5)
    assert backend.deadline == 7.5
    assert backend.mg.operation_deadline == 7.5
    with pytest.raises(ConfigurationError, match="deadline"):
        _backend(emu, deadline=0)
