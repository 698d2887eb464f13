"""Records, readiness and the fleet report's JSON, CSV, table and DataFrame forms."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.remote import (
    RECORD_COLUMNS,
    ConnectingAccountView,
    DeviceCheck,
    DeviceFacts,
    DsregView,
    EffectivePolicy,
    FleetReport,
    Outcome,
    PolicySource,
    Readiness,
    UserState,
    format_table,
)

SID = "S-1-12-1-1-2-3-4"
ON = EffectivePolicy(enabled=True, source=PolicySource.MDM_DEVICE, mdm_wins=True)


def _check(
    host: str, can_reset: str | None, *, outcome: Outcome = Outcome.OK, policy: EffectivePolicy = ON
) -> DeviceCheck:
    dsreg = DsregView(can_reset=can_reset, ngc_set=True)
    users = () if can_reset is None else (UserState(sid=SID, name="AzureAD\\alice", dsreg=dsreg),)
    return DeviceCheck(
        host=host,
        outcome=outcome,
        device=DeviceFacts(os_build=22631, join_type="hybrid", policy=policy),
        users=users,
        connecting_account=ConnectingAccountView(dsreg=DsregView(can_reset="DestructiveOnly", ngc_set=False)),
    )


def test_readiness_uses_the_users_own_can_reset_never_the_admins() -> None:
    """Ready only from the signed-in user's CanReset; the admin's DestructiveOnly view is ignored."""
    assert _check("a", "DestructiveAndNonDestructive").readiness is Readiness.READY
    assert _check("b", "DestructiveOnly").readiness is Readiness.NOT_READY
    assert _check("c", None, outcome=Outcome.NO_INTERACTIVE_USER).readiness is Readiness.UNKNOWN
    off = EffectivePolicy(enabled=False, source=PolicySource.GPO)
    assert _check("d", "DestructiveAndNonDestructive", policy=off).readiness is Readiness.NOT_READY
    assert DeviceCheck(host="e", outcome=Outcome.TIMEOUT, error="t").readiness is Readiness.UNKNOWN
    not_found = EffectivePolicy(enabled=None, source=PolicySource.NOT_CONFIGURED)
    assert _check("f", "DestructiveAndNonDestructive", policy=not_found).readiness is Readiness.READY


def test_record_labels_whose_state_each_column_is() -> None:
    """The record keeps device, user and connecting-account columns apart, with stable keys."""
    record = _check("pc-01", "DestructiveAndNonDestructive").to_record()
    assert tuple(record) == RECORD_COLUMNS
    assert record["user_scope"] == "signed_in_user"
    assert record["user_sid"] == SID
    assert record["user_can_reset"] == "DestructiveAndNonDestructive"
    assert record["connecting_account_can_reset"] == "DestructiveOnly"
    assert record["device_policy_source"] == "mdm_device"
    none = _check("pc-02", None, outcome=Outcome.NO_INTERACTIVE_USER).to_record()
    assert none["user_scope"] == "no user signed in"
    assert none["user_can_reset"] is None


def test_report_totals_json_and_csv() -> None:
    """Totals count every outcome and readiness; JSON and CSV carry one row per host."""
    report = FleetReport.collect(
        [
            _check("a", "DestructiveAndNonDestructive"),
            _check("b", "DestructiveOnly"),
            DeviceCheck(host="c", outcome=Outcome.UNREACHABLE, error="cannot connect"),
        ]
    )
    assert report.by_outcome[Outcome.OK] == 2
    assert report.by_outcome[Outcome.UNREACHABLE] == 1
    assert report.by_outcome[Outcome.TIMEOUT] == 0
    assert report.by_readiness == {Readiness.READY: 1, Readiness.NOT_READY: 1, Readiness.UNKNOWN: 1}
    assert not report.all_ready
    data = json.loads(report.to_json())
    assert data["summary"]["outcomes"]["unreachable"] == 1
    assert [h["host"] for h in data["hosts"]] == ["a", "b", "c"]
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert [r["host"] for r in rows] == ["a", "b", "c"]
    assert rows[2]["error"] == "cannot connect"
    assert rows[0]["device_policy_enabled"] == "true"
    buffer = io.StringIO()
    report.write_csv(buffer)
    assert buffer.getvalue() == report.to_csv()


def test_table_shows_the_signed_in_users_can_reset() -> None:
    """The text table has a header and one line per host."""
    table = format_table(FleetReport((_check("pc-01", "DestructiveAndNonDestructive"),)).to_records())
    lines = table.splitlines()
    assert "USER CanReset" in lines[0]
    assert "pc-01" in lines[1]
    assert "DestructiveAndNonDestructive" in lines[1]


def test_dataframe_or_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """to_dataframe gives the record columns; without pandas it names the extra to install."""
    report = FleetReport((_check("a", "DestructiveOnly"),))
    frame = report.to_dataframe()
    assert list(frame.columns) == list(RECORD_COLUMNS)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ConfigurationError, match="notebook"):
        report.to_dataframe()


def test_collect_reports_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """collect(progress=True) draws a bar (tqdm) and still keeps every result in order."""
    checks = [_check(str(i), "DestructiveOnly") for i in range(3)]
    seen: list[str] = []
    report = FleetReport.collect(iter(checks), on_result=lambda c: seen.append(c.host), progress=True, total=3)
    assert [c.host for c in report.checks] == ["0", "1", "2"]
    assert seen == ["0", "1", "2"]
    assert "3/3" in capsys.readouterr().err


def test_failed_host_has_no_device_facts_in_its_record() -> None:
    """A host that failed before anything was read reports empty device columns, not 'not configured'."""
    record = DeviceCheck(host="x", outcome=Outcome.UNREACHABLE, error="refused").to_record()
    assert record["device_policy_source"] is None
    assert record["device_policy_mdm_wins"] is None
    assert record["user_scope"] == "not read"
