"""Charts return matplotlib Figures with the right bars; without pandas or matplotlib the error says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import pinreset
from pinreset.remote import DeviceCheck, DeviceFacts, EffectivePolicy, FleetReport, Outcome, PolicySource

pytestmark = pytest.mark.slow


def _bars(ax: Any) -> dict[str, float]:
    """Tick label -> bar height of a simple (unstacked) bar chart."""
    labels = [t.get_text() for t in ax.get_xticklabels()]
    return dict(zip(labels, [p.get_height() for p in ax.patches], strict=True))


def test_verdict_and_eligibility_bars(deployed: Any) -> None:
    """One bar per verdict (and per eligibility) with its device count, in the report's order."""
    from matplotlib.figure import Figure

    fig = deployed.devices.plot()
    assert isinstance(fig, Figure)
    assert _bars(fig.axes[0]) == deployed.devices.by_verdict()
    assert "verdict" in fig.axes[0].get_title()
    fig = deployed.devices.plot("eligibility")
    assert _bars(fig.axes[0]) == deployed.devices.by_eligibility()
    with pytest.raises(pinreset.ConfigurationError, match="unknown chart"):
        deployed.devices.plot("pie")


def test_join_type_and_build_bars_are_stacked(deployed: Any) -> None:
    """One bar series per join type; per OS build the stacked heights add up to that build's devices."""
    fig = deployed.devices.plot("join_build")
    ax = fig.axes[0]
    records = deployed.devices.to_records()
    builds = [t.get_text() for t in ax.get_xticklabels()]
    assert builds == sorted({str(r["os_build"]) for r in records}, key=int)
    assert [c.get_label() for c in ax.containers] == sorted({r["join_type"] for r in records})
    totals: Counter[str] = Counter()
    for container in ax.containers:
        for build, patch in zip(builds, container.patches, strict=True):
            totals[build] += int(patch.get_height())
    assert totals == Counter(str(r["os_build"]) for r in records)


def test_tenant_report_plot_has_eligibility_and_policy_state(deployed: Any) -> None:
    """status's chart: eligibility and Intune policy state, side by side, with the report's counts."""
    fig = deployed.after.plot()
    eligibility, states = fig.axes
    assert _bars(eligibility) == dict(deployed.after.devices.by_eligibility)
    assert _bars(states) == dict(deployed.after.devices.by_policy_state)
    no_devices = pinreset.TenantReport(tenant=deployed.after.tenant, apps=deployed.after.apps,
                                       policy=deployed.after.policy)
    with pytest.raises(pinreset.ConfigurationError, match="no device counts"):
        no_devices.plot()


def test_fleet_plot_counts_hosts() -> None:
    """A fleet's chart counts hosts by readiness and by outcome (zero counts left out)."""
    on = EffectivePolicy(enabled=False, source=PolicySource.GPO)
    checks = (
        DeviceCheck(host="a", outcome=Outcome.OK, device=DeviceFacts(os_build=22631, join_type="hybrid_joined",
                                                                      policy=on)),
        DeviceCheck(host="b", outcome=Outcome.UNREACHABLE, error="refused"),
        DeviceCheck(host="c", outcome=Outcome.TIMEOUT, error="deadline"),
    )
    fig = FleetReport(checks).plot()
    readiness, outcomes = fig.axes
    assert _bars(readiness) == {"not_ready": 1, "unknown": 2}
    assert _bars(outcomes) == {"ok": 1, "unreachable": 1, "timeout": 1}
    stacked = FleetReport(checks).plot("join_build").axes[0]
    assert sum(p.get_height() for p in stacked.patches) == 3


def test_history_plot_has_one_line_per_category(tmp_path: Path) -> None:
    """Readiness over time: a line per category, one point per run, oldest first."""
    history = pinreset.ReadinessHistory(tmp_path / "h.jsonl")
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for day, ready in enumerate((2, 5, 9)):
        history.append({"ready": ready, "not_ready": 10 - ready}, when=start + timedelta(days=day))
    ax = history.plot().axes[0]
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert lines == {"ready": [2, 5, 9], "not_ready": [8, 5, 1]}


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_missing_pandas_and_matplotlib_name_the_extra(tmp_path: Path) -> None:
    """Blocked pandas/matplotlib: DataFrames and charts raise ConfigurationError with the install hint."""
    result = _run("""
        import sys
        sys.modules["pandas"] = None
        sys.modules["matplotlib"] = None
        import pinreset
        from pinreset.remote import FleetReport
        from pinreset.reports import DeviceReadinessReport
        for call in (DeviceReadinessReport().to_dataframe, FleetReport().to_dataframe,
                     DeviceReadinessReport().plot, FleetReport().plot):
            try:
                call()
            except pinreset.ConfigurationError as exc:
                print(type(exc).__name__, exc)
        print(DeviceReadinessReport().to_records())
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5, result.stdout
    assert all("pip install 'pinreset[notebook]'" in line for line in lines[:4])
    assert lines[0].startswith("ConfigurationError to_dataframe() needs pandas")
    assert lines[2].startswith("ConfigurationError charts need matplotlib")
    assert lines[4] == "[]"


def test_cli_chart_without_matplotlib_is_one_line_error(tmp_path: Path) -> None:
    """`pinreset report --demo` without matplotlib: exit 3, one line naming the extra, no traceback."""
    out = tmp_path / "r.html"
    result = _run(f"""
        import sys
        sys.modules["matplotlib"] = None
        from pinreset.cli import main
        sys.exit(main(["report", "--demo", "--devices", "3", "--html", {str(out)!r}]))
    """)
    assert result.returncode == 3
    assert "pip install 'pinreset[notebook]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
