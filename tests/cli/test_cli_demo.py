"""`pinreset demo`: every step against the in-process emulator, one JSON object, deterministic for a seed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pinreset.cli import main

pytestmark = pytest.mark.slow


def test_demo_json_is_one_object_with_a_readiness_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON output is a single object whose summary counts every device, and the same seed repeats it."""
    assert main(["demo", "--devices", "8", "--seed", "4", "--output", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    summary = first["summary"]
    assert summary["tenant_ready"] is True
    assert summary["devices"] == 8
    assert sum(summary[k] for k in ("ready", "destructive_only", "no_windows_hello", "not_eligible", "unknown")) == 8
    assert summary["ready"] >= 1
    assert first["steps"]["plan_after_apply"] == {"changes": 0}
    assert [c["type"] for c in first["steps"]["plan"]["changes"]] == [
        "CreateServicePrincipal", "CreateServicePrincipal", "CreatePolicy", "AssignPolicy",
    ]
    assert main(["demo", "--devices", "8", "--seed", "4", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == first


def test_demo_table_shows_each_step() -> None:
    """The table output walks through the seven steps and ends with the summary."""
    result = subprocess.run(
        [sys.executable, "-m", "pinreset", "demo", "--devices", "4"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    for heading in ("1. status", "2. plan", "3. apply", "4. sync", "5. restart", "6. device readiness", "7. verify"):
        assert f"== {heading}" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("Summary: tenant_ready True, devices 4")


def test_demo_rejects_a_bad_device_count(capsys: pytest.CaptureFixture[str]) -> None:
    """--devices 0 is a usage error with one line."""
    assert main(["demo", "--devices", "0"]) == 2
    assert "--devices" in capsys.readouterr().err


def test_demo_verifies_hybrid_devices_over_winrm(capsys: pytest.CaptureFixture[str]) -> None:
    """The remote step checks exactly the hybrid joined devices, and agrees with each device's own dsregcmd."""
    assert main(["demo", "--devices", "12", "--seed", "3", "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    remote = doc["steps"]["remote_verify"]
    local = {row["device"]: row["verdict"] for row in doc["steps"]["readiness"]}
    assert remote, "seed 3 has hybrid joined devices"
    assert {row["device"] for row in remote} <= set(local)
    assert doc["summary"]["remote_verified"] == len(remote)
    for row in remote:
        assert row["outcome"] in ("ok", "no_interactive_user"), row
        if row["outcome"] == "ok":
            # Read in the user's own session over WinRM, the verdict matches the simulated user's dsregcmd view.
            assert (row["readiness"] == "ready") == (local[row["device"]] == "ready"), row
            assert row["user_can_reset"] is not None
        else:
            assert row["readiness"] == "unknown"
    assert doc["summary"]["remote_ready"] == sum(row["readiness"] == "ready" for row in remote)


def test_powershell_backend_needs_an_emulated_admin_host() -> None:
    """Asking for the PowerShell backend of an emulator without an admin host is a typed EmulatorError."""
    from pinreset.cli._demo import open_emulator_backend
    from pinreset.emulator import Emulator
    from pinreset.exceptions import EmulatorError

    with Emulator(devices=1) as emu, pytest.raises(EmulatorError, match="admin_host=True"):
        open_emulator_backend(emu, "powershell")
