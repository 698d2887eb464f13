"""CSV exports neutralise spreadsheet formulas in tenant and device values, and leave everything else alone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import attrs
import pytest

import pinreset
from pinreset.cli import main
from pinreset.cli._render import write_csv as cli_write_csv
from pinreset.cli._tenant_opts import BACKENDS
from pinreset.deploy import MARKER, ApplyResult, DesiredState, Plan
from pinreset.deploy._apply import ChangeOutcome, ChangeStatus
from pinreset.deploy._changes import DeletePolicy
from pinreset.exceptions import PinresetError
from pinreset.models import AllUsersTarget, PolicyKind, PolicyRef
from pinreset.remote import FleetReport
from pinreset.remote.models import DeviceCheck, Outcome
from pinreset.reports import DeviceReadiness, DeviceReadinessReport, to_csv, write_csv
from pinreset.reports._csvsafe import csv_safe
from tests.deploy.fakes import FakeTenantBackend, foreign_policy

HOSTILE = '=HYPERLINK("http://evil.example","x")'
GUID = "5c2d8a3e-9b1f-4c6a-8e0d-2f7a1b3c4d5e"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTenantBackend:
    """Route --backend graph to one shared fake tenant."""
    backend = FakeTenantBackend()
    monkeypatch.setitem(BACKENDS, "graph", lambda _args: backend)
    return backend


@pytest.mark.parametrize("value", [HOSTILE, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1", "\r=1"])
def test_formula_like_text_gets_a_leading_quote(value: str) -> None:
    """Text starting with =, +, -, @, tab or carriage return is prefixed with a single quote."""
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", [-3, -0.5, 0, 7, GUID, "PC-00001", "Contoso PIN reset", "a=b", "", None, True])
def test_ordinary_values_are_unchanged(value: object) -> None:
    """Numbers (negative ones too), GUIDs, names, empty text, None and booleans are returned as they are."""
    assert csv_safe(value) is value


def test_record_writer_neutralises_by_default_and_raw_opts_out(tmp_path: Path) -> None:
    """reports.to_csv/write_csv quote a hostile cell, keep a negative number and a GUID; raw=True writes it as is."""
    records = [{"name": HOSTILE, "count": -4, "id": GUID, "error": "@SUM(A1:A9)"}]
    columns = ("name", "count", "id", "error")
    row = _rows(to_csv(records, columns))[0]
    assert row == {"name": "'" + HOSTILE, "count": "-4", "id": GUID, "error": "'@SUM(A1:A9)"}
    target = tmp_path / "out.csv"
    write_csv(records, columns, target, raw=True)
    assert _rows(target.read_text(encoding="utf-8"))[0] == {"name": HOSTILE, "count": "-4", "id": GUID,
                                                             "error": "@SUM(A1:A9)"}


def test_fleet_report_csv_neutralises_device_values() -> None:
    """FleetReport.to_csv/write_csv quote a hostile host and error text; raw=True keeps them."""
    report = FleetReport(checks=(
        DeviceCheck(host=HOSTILE, outcome=Outcome.COMMAND_FAILED, error="-1+1 failed", elapsed=-0.0),
        DeviceCheck(host="pc-01.corp.example", outcome=Outcome.OK, elapsed=1.5),
    ))
    rows = _rows(report.to_csv())
    assert (rows[0]["host"], rows[0]["error"]) == ("'" + HOSTILE, "'-1+1 failed")
    assert rows[1]["host"] == "pc-01.corp.example"
    out = io.StringIO()
    report.write_csv(out)
    assert out.getvalue() == report.to_csv()
    assert _rows(report.to_csv(raw=True))[0]["host"] == HOSTILE


def _plan(fake: FakeTenantBackend) -> Plan:
    return Plan(
        desired=DesiredState(),
        tenant=fake.tenant_info(),
        changes=(DeletePolicy(ref=PolicyRef(kind=PolicyKind.IDENTITY_PROTECTION, id="@SUM(1,1)"), name=HOSTILE,
                              reason="duplicate"),),
    )


def test_plan_and_apply_result_csv_neutralise(fake: FakeTenantBackend) -> None:
    """Plan/ApplyResult.write_csv quote hostile ids and error texts, keep ordinary ones, and honour raw=True."""
    plan = _plan(fake)
    out = io.StringIO()
    plan.write_csv(out)
    assert _rows(out.getvalue())[0]["policy_id"] == "'@SUM(1,1)"
    result = ApplyResult(plan=plan, outcomes=(
        ChangeOutcome(change=plan.changes[0], status=ChangeStatus.FAILED, object_id=GUID, error=HOSTILE),
    ))
    out = io.StringIO()
    result.write_csv(out)
    row = _rows(out.getvalue())[0]
    assert (row["object_id"], row["error"], row["step"]) == (GUID, "'" + HOSTILE, "1")
    out = io.StringIO()
    result.write_csv(out, raw=True)
    assert _rows(out.getvalue())[0]["error"] == HOSTILE


def test_tenant_report_csv_neutralises_policy_names(fake: FakeTenantBackend) -> None:
    """TenantReport.write_csv('policies') quotes a conflicting policy's hostile name; raw=True keeps it."""
    fake.add_policy(foreign_policy(HOSTILE, pin_recovery=False, assignments=(AllUsersTarget(),), pid=GUID))
    report = pinreset.status(fake, DesiredState())
    out = io.StringIO()
    report.write_csv(out, "policies")
    conflict = next(r for r in _rows(out.getvalue()) if r["role"] == "conflict")
    assert (conflict["name"], conflict["policy_id"]) == ("'" + HOSTILE, GUID)
    out = io.StringIO()
    report.write_csv(out, "policies", raw=True)
    assert next(r for r in _rows(out.getvalue()) if r["role"] == "conflict")["name"] == HOSTILE


def test_device_readiness_report_csv_neutralises_device_names() -> None:
    """DeviceReadinessReport.to_csv/write_csv quote hostile device and user names; raw=True keeps them."""
    report = DeviceReadinessReport(devices=(
        DeviceReadiness(device_name=HOSTILE, device_id=GUID, user_principal_name="+cmd@contoso.com", os_build=-1),
    ))
    row = _rows(report.to_csv())[0]
    assert (row["device_name"], row["device_id"], row["user_principal_name"], row["os_build"]) == (
        "'" + HOSTILE, GUID, "'+cmd@contoso.com", "-1")
    out = io.StringIO()
    report.write_csv(out)
    assert out.getvalue() == report.to_csv()
    assert _rows(report.to_csv(raw=True))[0]["device_name"] == HOSTILE


def test_cli_status_and_remove_csv_neutralise_policy_names(
    fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """status and remove --output csv quote hostile policy names and keep GUIDs."""
    fake.add_policy(foreign_policy(HOSTILE, pin_recovery=False, assignments=(AllUsersTarget(),), pid=GUID))
    assert main(["status", "--output", "csv"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert {"section": "conflict", "item": "'" + HOSTILE} in [{k: r[k] for k in ("section", "item")} for r in rows]
    assert HOSTILE not in [r["item"] for r in rows]
    marked = attrs.evolve(foreign_policy("@SUM(1,1)", pid=GUID), description=MARKER)
    fake.policies = {marked.id: marked}
    assert main(["remove", "--dry-run", "--output", "csv"]) == 0
    row = _rows(capsys.readouterr().out)[0]
    assert (row["id"], row["name"], row["status"]) == (GUID, "'@SUM(1,1)", "would delete")


def test_cli_sync_csv_neutralises_device_names(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """sync --output csv quotes a hostile device name and leaves the other devices' names alone."""
    first, second = fake.add_devices(2)
    fake.devices[first.id] = attrs.evolve(first, device_name=HOSTILE)
    assert main(["sync", "--assign-to", "all-users", "--output", "csv"]) == 0
    names = {r["device_id"]: r["device_name"] for r in _rows(capsys.readouterr().out)}
    assert names == {first.id: "'" + HOSTILE, second.id: second.device_name}


def test_cli_plan_and_apply_csv_neutralise(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """plan --output csv keeps its step numbers; apply --output csv quotes a hostile error text from the tenant."""
    assert main(["plan", "--output", "csv"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [r["step"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    fake.fail["create_policy"] = PinresetError(HOSTILE)
    assert main(["apply", "--yes", "--output", "csv"]) == 3
    failed = next(r for r in _rows(capsys.readouterr().out) if r["status"] == "failed")
    assert failed["error"] == "'" + HOSTILE


def test_cli_write_csv_keeps_numbers_and_quotes_text() -> None:
    """The CLI's row writer quotes hostile text, keeps negative numbers and GUIDs, and writes None as empty."""
    out = io.StringIO()
    cli_write_csv(("a", "b", "c", "d"), [(HOSTILE, -7, GUID, None)], out)
    assert out.getvalue().splitlines()[1] == f'"\'{HOSTILE.replace(chr(34), chr(34) * 2)}",-7,{GUID},'
