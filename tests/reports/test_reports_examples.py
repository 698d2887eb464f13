"""Every script in examples/ runs as a user runs it: a subprocess with the env of `pinreset emulator serve`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = ("deploy_pilot_then_all.py", "nightly_drift_check.py", "fleet_readiness_csv.py",
           "parse_collected_dsregcmd.py")


def _run(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_every_example_has_help_and_a_docstring() -> None:
    """`--help` exits 0 and each script's docstring says how to run it."""
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(SCRIPTS)
    for script in SCRIPTS:
        result = _run(script, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage:" in result.stdout
        source = (EXAMPLES / script).read_text(encoding="utf-8")
        assert source.startswith('"""')
        assert "python examples/" + script in source


def test_drift_check_bad_option_is_one_line_exit_3() -> None:
    """A group both assigned and excluded ends the drift check with exit 3 and one line, as its docstring says."""
    result = _run("nightly_drift_check.py", "--group", "Pilot", "--exclude", "Pilot")
    assert result.returncode == 3
    assert result.stderr == "error: group 'Pilot' is both assigned and excluded\n"


def test_drift_check_then_pilot_then_all(served: Any, tmp_path: Path) -> None:
    """Drift before deploying (exit 1); pilot; the gate holds at an impossible bar; all users; no drift after."""
    env = served.env
    drift = _run("nightly_drift_check.py", "--json", env=env)
    assert drift.returncode == 1, drift.stderr
    assert "the PIN recovery policy is missing" in json.loads(drift.stdout)["problems"]

    pilot = _run("deploy_pilot_then_all.py", "--pilot-group", "PIN Reset Pilot", "--exclude", "Kiosk Exclusions",
                 env=env)
    assert pilot.returncode == 0, pilot.stderr
    assert "[applied] Assign the new policy to group 'PIN Reset Pilot'" in pilot.stdout
    pilot_only = _run("nightly_drift_check.py", "--group", "PIN Reset Pilot", "--exclude", "Kiosk Exclusions",
                      env=env)
    assert pilot_only.returncode == 0, pilot_only.stdout + pilot_only.stderr

    gated = _run("deploy_pilot_then_all.py", "--pilot-group", "PIN Reset Pilot", "--exclude", "Kiosk Exclusions",
                 "--stage", "all", "--min-succeeded", "1.01", env=env)
    assert gated.returncode == 1
    assert "not widening yet" in gated.stdout

    widened = _run("deploy_pilot_then_all.py", "--pilot-group", "PIN Reset Pilot", "--exclude", "Kiosk Exclusions",
                   "--stage", "all", env=env)
    assert widened.returncode == 0, widened.stdout + widened.stderr
    assert "[applied] Assign the policy to all users" in widened.stdout

    history = tmp_path / "nightly.jsonl"
    nightly = _run("nightly_drift_check.py", "--exclude", "Kiosk Exclusions", "--history", str(history), env=env)
    assert nightly.returncode == 0, nightly.stdout + nightly.stderr
    assert nightly.stdout.strip().endswith(": ready")
    entry = json.loads(history.read_text(encoding="utf-8"))
    assert entry["total"] == 25
    assert entry["source"] == "tenant"


def test_drift_check_errors_are_exit_3(served: Any) -> None:
    """An unknown group is an error (3) with one line on stderr, not drift (1)."""
    result = _run("nightly_drift_check.py", "--group", "No Such Group", env=served.env)
    assert result.returncode == 3
    assert "No Such Group" in result.stderr
    assert "Traceback" not in result.stderr


def test_fleet_readiness_csv(served: Any, tmp_path: Path) -> None:
    """One CSV row per host with the documented columns; exit 1 because not every host is ready."""
    from pinreset.remote import RECORD_COLUMNS

    out = tmp_path / "fleet.csv"
    result = _run("fleet_readiness_csv.py", *served.hosts, "--auth", "ntlm", "--output", str(out), env=served.env)
    assert result.returncode in (0, 1), result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == RECORD_COLUMNS
    assert sorted(r["host"] for r in rows) == sorted(served.hosts)
    assert {r["outcome"] for r in rows} <= {"ok", "no_interactive_user"}
    all_ready = all(r["outcome"] == "ok" and r["readiness"] == "ready" for r in rows)
    assert result.returncode == (0 if all_ready else 1)
    assert "4 host(s)" in result.stderr


def test_parse_collected_dsregcmd(tmp_path: Path) -> None:
    """UTF-16 and UTF-8 captures become one row each with the verdict assess() gives; a bad file is exit 1."""
    import pinreset
    from pinreset.emulator._tenant import Tenant
    from pinreset.reports import COLLECTED_COLUMNS

    tenant = Tenant.generate(seed=3, devices=6)
    expected = {}
    for index, device in enumerate(tenant.devices):
        text = tenant.render_dsregcmd(device)
        name = tenant.device_facts(device).device_name
        encoding = ("utf-16", "utf-8", "utf-8-sig")[index % 3]
        (tmp_path / f"{name}.txt").write_bytes(text.replace("\n", "\r\n").encode(encoding))
        expected[name] = pinreset.assess(pinreset.parse_dsregcmd(text)).verdict.value
    clean = _run("parse_collected_dsregcmd.py", str(tmp_path))
    assert clean.returncode == 0, clean.stderr
    rows = list(csv.DictReader(io.StringIO(clean.stdout)))
    assert tuple(rows[0]) == COLLECTED_COLUMNS
    assert {r["device_name"]: r["verdict"] for r in rows} == expected
    assert f"{len(expected)} file(s)" in clean.stderr

    (tmp_path / "notes.txt").write_text("collected on Monday\n", encoding="utf-8")
    out = tmp_path / "summary.csv"
    broken = _run("parse_collected_dsregcmd.py", str(tmp_path), "--output", str(out))
    assert broken.returncode == 1
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    bad = [r for r in rows if r["error"]]
    assert [r["file"] for r in bad] == ["notes.txt"]
    assert "not dsregcmd /status output" in bad[0]["error"]
    missing = _run("parse_collected_dsregcmd.py", str(tmp_path / "nope"))
    assert missing.returncode == 3
    assert "is not a directory" in missing.stderr
