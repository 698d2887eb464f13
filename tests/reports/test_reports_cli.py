"""`pinreset report --html`, `status --chart` and `verify --chart` as users run them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pinreset.cli import main

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


def _cli(served: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pinreset", *args], capture_output=True, text=True,
                          env=served.env, timeout=120, check=False)


def _images(page: str) -> list[str]:
    return re.findall(r'<img alt="[^"]*" src="(data:image/png;base64,[A-Za-z0-9+/=]+)"', page)


def test_report_demo_is_self_contained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--demo: status, every device's row, three embedded PNG charts, a CSP forbidding script and network."""
    out = tmp_path / "out.html"
    assert main(["report", "--demo", "--devices", "12", "--html", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "default-src 'none'; img-src data:" in page
    assert len(_images(page)) == 3
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert ">ready<" in page  # the tenant is ready after the demo's apply
    for verdict in ("Devices by readiness verdict", "Devices by OS build and join type"):
        assert verdict in page


def test_report_and_status_chart_against_served_emulator(served: Any, tmp_path: Path) -> None:
    """With the emulator's env exported, report reads the tenant and status --chart writes a PNG."""
    out = tmp_path / "tenant.html"
    result = _cli(served, "report", "--html", str(out), "--title", "Nightly <report>")
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "<title>Nightly &lt;report&gt;</title>" in page
    assert "the PIN recovery policy is missing" in page
    assert page.count("<tr>") >= 25
    assert len(_images(page)) == 2  # no verdicts collected: eligibility/state and join/build
    chart = tmp_path / "status.png"
    result = _cli(served, "status", "--chart", str(chart), "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["devices"]["total"] == 25
    assert chart.read_bytes().startswith(PNG)
    from pinreset.emulator._tenant import Tenant

    collected = tmp_path / "collected"
    collected.mkdir()
    same = Tenant.generate(seed=1, devices=25)  # the served tenant's twin: same seed, same devices
    for device in list(same.devices)[:5]:
        name = same.device_facts(device).device_name
        (collected / f"{name}.txt").write_bytes(same.render_dsregcmd(device).encode("utf-16"))
    result = _cli(served, "report", "--html", str(out), "--dsregcmd-dir", str(collected))
    assert result.returncode == 0, result.stderr
    assert len(_images(out.read_text(encoding="utf-8"))) == 3  # plus devices by verdict
    result = _cli(served, "status", "--no-devices", "--chart", str(chart))
    assert result.returncode == 2  # contradictory options: a usage error
    assert "drop --no-devices" in result.stderr


def test_verify_chart_then_fleet_report_with_history(served: Any, tmp_path: Path) -> None:
    """verify --output json --chart, then report --fleet-json twice: the history gains a line per run."""
    chart = tmp_path / "fleet.png"
    result = _cli(served, "verify", *served.hosts, "--auth", "ntlm", "--output", "json", "--chart", str(chart))
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["hosts"] == 4
    assert chart.read_bytes().startswith(PNG)
    fleet = tmp_path / "fleet.json"
    fleet.write_text(result.stdout, encoding="utf-8")
    history = tmp_path / "history.jsonl"
    out = tmp_path / "fleet.html"
    for _ in range(2):
        assert main(["report", "--fleet-json", str(fleet), "--history", str(history), "--html", str(out)]) == 0
    assert len(history.read_text(encoding="utf-8").splitlines()) == 2
    piped = subprocess.run([sys.executable, "-m", "pinreset", "report", "--fleet-json", "-", "--html",
                            str(tmp_path / "piped.html")], input=result.stdout, capture_output=True, text=True,
                           timeout=120, check=False)
    assert piped.returncode == 0, piped.stderr
    assert "wrote" in piped.stderr
    page = out.read_text(encoding="utf-8")
    assert len(_images(page)) == 4  # readiness/outcome, verdicts, join/build, over time
    for record in data["hosts"]:
        assert record["host"] in page


def test_report_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unreadable or foreign fleet JSON is one error line (exit 3); contradictory options are usage errors."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["report", "--fleet-json", str(bad), "--html", str(tmp_path / "x.html")]) == 3
    assert "is not JSON" in capsys.readouterr().err
    bad.write_text('{"changes": []}', encoding="utf-8")
    assert main(["report", "--fleet-json", str(bad), "--html", str(tmp_path / "x.html")]) == 3
    assert "pinreset verify --output json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["report", "--demo", "--dsregcmd-dir", str(tmp_path), "--html", str(tmp_path / "x.html")])
    assert usage.value.code == 2
    assert not (tmp_path / "x.html").exists()
