"""The deploy commands against `pinreset emulator serve` in a subprocess, its `env` exported, msal signing in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    """Start the emulator server; yield the environment under which `pinreset` talks to it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pinreset", "emulator", "serve", "--devices", "8", "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        info = json.loads(line)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "PINRESET_"))}
        env.update(info["env"])
        yield env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()  # fail, but leave no server running behind the next test
            proc.wait()
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pinreset", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_apply_then_plan_shows_no_changes(served: dict[str, str]) -> None:
    """`apply --assign-to all-users --yes` then `plan --output json` prints "changes": []; status --check passes."""
    before = _run(served, "status", "--check", "--no-devices")
    assert before.returncode == 1, before.stderr
    assert "NOT READY" in before.stdout
    applied = _run(served, "apply", "--assign-to", "all-users", "--yes")
    assert applied.returncode == 0, applied.stderr
    assert "[applied]" in applied.stdout
    planned = _run(served, "plan", "--output", "json")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["changes"] == []
    after = _run(served, "status", "--check", "--output", "json")
    assert after.returncode == 0, after.stdout
    report = json.loads(after.stdout)
    assert report["ready"] is True
    assert report["devices"]["total"] == 8


def test_sync_restart_csv_and_no_traceback_on_errors(served: dict[str, str]) -> None:
    """sync --restart lists every device twice; a bad group fails with one line and no traceback."""
    synced = _run(served, "sync", "--restart", "--output", "csv")
    assert synced.returncode == 0, synced.stderr
    rows = synced.stdout.strip().splitlines()[1:]
    assert sum(",syncDevice," in r for r in rows) == 8
    assert sum(",rebootNow," in r for r in rows) == 8
    bad = _run(served, "plan", "--assign-to", "group:No Such Group")
    assert bad.returncode == 3
    assert "'No Such Group'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_wrong_secret_is_an_authentication_error(served: dict[str, str]) -> None:
    """A wrong client secret exits 4 with one line naming the failure, and never prints the secret."""
    env = dict(served, AZURE_CLIENT_SECRET="not-the-secret")
    result = _run(env, "status", "--no-devices")
    assert result.returncode == 4
    assert "authentication failed" in result.stderr
    assert "not-the-secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_without_tty_refuses(served: dict[str, str]) -> None:
    """apply with pending changes, no terminal and no --yes exits 2 without changing anything."""
    result = _run(served, "apply", "--assign-to", "group:PIN Reset Pilot")
    assert result.returncode == 2
    assert "--yes" in result.stderr
    still = _run(served, "plan", "--output", "json")
    assert json.loads(still.stdout)["changes"] == []


def test_explicit_credential_options(served: dict[str, str]) -> None:
    """--client-secret-env and --device-code sign in with msal; the secret never appears in the output."""
    env = {k: v for k, v in served.items() if k != "AZURE_CLIENT_SECRET"}
    env["ADMIN_APP_SECRET"] = served["AZURE_CLIENT_SECRET"]
    ids = ["--tenant-id", served["AZURE_TENANT_ID"], "--client-id", served["AZURE_CLIENT_ID"]]
    by_secret = _run(env, "status", "--no-devices", *ids, "--client-secret-env", "ADMIN_APP_SECRET")
    assert by_secret.returncode == 0, by_secret.stderr
    assert served["AZURE_CLIENT_SECRET"] not in by_secret.stdout + by_secret.stderr
    by_code = _run(env, "status", "--no-devices", *ids, "--device-code")
    assert by_code.returncode == 0, by_code.stderr
    assert "enter the code" in by_code.stderr
