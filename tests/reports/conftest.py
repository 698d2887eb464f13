"""Shared tenants for the report tests: one deployed in-process emulator, and ``pinreset emulator serve`` runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import pinreset


@attrs.frozen
class Deployed:
    """An emulated tenant taken through status, plan, apply, sync and restart, with every result kept."""

    emu: Any
    backend: Any
    before: pinreset.TenantReport
    plan: pinreset.Plan
    applied: pinreset.ApplyResult
    after: pinreset.TenantReport
    devices: pinreset.DeviceReadinessReport


@pytest.fixture(scope="module")
def deployed() -> Iterator[Deployed]:
    """Emulator (25 devices, seed 1) before and after the policy is applied and the devices restarted."""
    from pinreset.backends.graph import GraphBackend
    from pinreset.deploy import restart_devices
    from pinreset.emulator import Emulator

    with Emulator(devices=25, seed=1) as emu, GraphBackend.from_environment(environ=emu.env) as backend:
        desired = pinreset.DesiredState()
        before = pinreset.status(backend, desired)
        planned = pinreset.plan(backend, desired)
        applied = pinreset.apply(backend, planned)
        pinreset.sync_devices(backend, desired)
        emu.advance(300)
        restart_devices(backend, desired)
        emu.advance(300)
        after = pinreset.status(backend, desired)
        devices = pinreset.DeviceReadinessReport.collect(backend, dsregcmd=emu.tenant.render_dsregcmd)
        yield Deployed(emu, backend, before, planned, applied, after, devices)


class Served:
    """A running ``pinreset emulator serve`` (its own process) and its ready line."""

    def __init__(self, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pinreset", "emulator", "serve", "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.kill()
            pytest.fail(f"no ready line; stderr: {self.process.communicate()[1]}")
        self.line: dict[str, Any] = json.loads(line)

    @property
    def env(self) -> dict[str, str]:
        """This process's environment plus the emulator's ``env`` object, as a user would export it."""
        return {**os.environ, **self.line["env"]}

    @property
    def hosts(self) -> list[str]:
        """``address:https_port`` of every simulated WinRM host."""
        return [f"{h['address']}:{h['https_port']}" for h in self.line["winrm"]["hosts"]]

    def stop(self) -> None:
        """SIGINT, as Ctrl+C would; the serve process exits 0."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()  # fail, but leave no server running behind the next test
            self.process.communicate()
            raise


@pytest.fixture
def served() -> Iterator[Served]:
    """A fresh served tenant (25 devices, seed 1) with 4 simulated WinRM hosts."""
    server = Served("--devices", "25", "--seed", "1", "--winrm-hosts", "4")
    try:
        yield server
    finally:
        server.stop()
