"""Flat records, CSV, JSON and DataFrames: stable column names, plain values, every object exported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import pinreset
from pinreset.reports import (
    APP_COLUMNS,
    CHANGE_COLUMNS,
    DEVICE_COLUMNS,
    DEVICE_COUNT_COLUMNS,
    HISTORY_COLUMNS,
    OUTCOME_COLUMNS,
    POLICY_COLUMNS,
)

pytestmark = pytest.mark.slow

_PLAIN = (str, int, float, bool, type(None))


def _plain(records: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    for record in records:
        assert tuple(record) == columns
        assert all(isinstance(v, _PLAIN) for v in record.values()), record


def test_column_names_are_stable() -> None:
    """The documented column names, in order; renaming one breaks every spreadsheet built on it."""
    assert APP_COLUMNS == ("app_id", "display_name", "state", "service_principal_id", "fix")
    assert POLICY_COLUMNS == (
        "role", "policy_id", "name", "kind", "state", "assigned_to", "expected_assignment", "detail",
    )
    assert DEVICE_COUNT_COLUMNS == ("dimension", "value", "devices")
    assert CHANGE_COLUMNS == ("step", "type", "description", "policy_id", "fields")
    assert OUTCOME_COLUMNS == ("step", "status", "type", "description", "object_id", "error")
    assert DEVICE_COLUMNS == (
        "device_name", "device_id", "azure_ad_device_id", "user_principal_name", "join_type", "os_version",
        "os_build", "eligibility", "policy_state", "last_sync", "verdict", "reason",
    )
    assert HISTORY_COLUMNS == ("time", "source", "total", "category", "devices")


def test_tenant_report_tables(deployed: Any) -> None:
    """apps, policies and device counts before and after apply: plain values, the right states and totals."""
    before = deployed.before
    apps = before.to_records("apps")
    _plain(apps, APP_COLUMNS)
    assert {a["state"] for a in apps} == {"missing"}
    assert all("consent" in a["fix"] for a in apps)
    after = deployed.after
    assert {a["state"] for a in after.to_records("apps")} == {"present"}
    policies = after.to_records("policies")
    _plain(policies, POLICY_COLUMNS)
    assert policies[0]["role"] == "managed"
    assert policies[0]["state"] == "in_sync"
    assert policies[0]["assigned_to"] == "all users"
    counts = after.to_records()
    _plain(counts, DEVICE_COUNT_COLUMNS)
    assert counts[0] == {"dimension": "total", "value": "windows", "devices": 25}
    eligibility = [c for c in counts if c["dimension"] == "eligibility"]
    assert sum(c["devices"] for c in eligibility) == 25
    assert any(c["dimension"] == "policy_state" and c["value"] == "succeeded" for c in counts)
    with pytest.raises(pinreset.ConfigurationError, match="unknown table 'users'"):
        after.to_records("users")


def test_plan_and_apply_records(deployed: Any) -> None:
    """One row per change, numbered in execution order; apply's rows carry status and object id."""
    changes = deployed.plan.to_records()
    _plain(changes, CHANGE_COLUMNS)
    assert [c["type"] for c in changes] == [
        "CreateServicePrincipal", "CreateServicePrincipal", "CreatePolicy", "AssignPolicy",
    ]
    assert [c["step"] for c in changes] == [1, 2, 3, 4]
    outcomes = deployed.applied.to_records()
    _plain(outcomes, OUTCOME_COLUMNS)
    assert {o["status"] for o in outcomes} == {"applied"}
    assert all(o["object_id"] for o in outcomes)
    assert [o["description"] for o in outcomes] == [c["description"] for c in changes]


def test_device_readiness_records_match_the_dsregcmd_verdicts(deployed: Any) -> None:
    """Every device gets a row; its verdict is assess() of its own dsregcmd output; registered ones are not eligible."""
    records = deployed.devices.to_records()
    _plain(records, DEVICE_COLUMNS)
    assert len(records) == 25
    tenant = deployed.emu.tenant
    for record in records[:8]:
        expected = pinreset.assess(pinreset.parse_dsregcmd(tenant.render_dsregcmd(record["device_name"])))
        assert record["verdict"] == expected.verdict.value
        assert record["reason"] == expected.reasons[0]
    registered = [r for r in records if r["join_type"] == "azureADRegistered"]
    assert registered
    assert {r["eligibility"] for r in registered} == {"not_joined"}
    assert {r["verdict"] for r in registered} == {"not_eligible"}
    assert sum(deployed.devices.by_verdict().values()) == 25


def test_csv_and_json_writers(deployed: Any, tmp_path: Path) -> None:
    """CSV headers are the columns; JSON arrays have exactly those keys; both files read back equal to records."""
    report = deployed.devices
    report.write_csv(tmp_path / "devices.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "devices.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == DEVICE_COLUMNS
    assert [r["device_name"] for r in rows] == [r["device_name"] for r in report.to_records()]
    report.write_json(tmp_path / "devices.json")
    assert json.loads((tmp_path / "devices.json").read_text(encoding="utf-8")) == report.to_records()
    buffer = io.StringIO()
    deployed.applied.write_csv(buffer)
    header, *lines = buffer.getvalue().splitlines()
    assert header == ",".join(OUTCOME_COLUMNS)
    assert len(lines) == 4
    buffer = io.StringIO()
    deployed.plan.write_json(buffer)
    assert [list(r) for r in json.loads(buffer.getvalue())] == [list(CHANGE_COLUMNS)] * 4
    deployed.after.write_csv(tmp_path / "apps.csv", table="apps")
    assert (tmp_path / "apps.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(APP_COLUMNS)


def test_dataframes_have_the_columns_in_order(deployed: Any) -> None:
    """to_dataframe() keeps the record columns, also for an empty table."""
    frame = deployed.devices.to_dataframe()
    assert tuple(frame.columns) == DEVICE_COLUMNS
    assert len(frame) == 25
    assert tuple(deployed.plan.to_dataframe().columns) == CHANGE_COLUMNS
    assert tuple(deployed.applied.to_dataframe().columns) == OUTCOME_COLUMNS
    assert tuple(deployed.after.to_dataframe("policies").columns) == POLICY_COLUMNS
    empty = pinreset.DeviceReadinessReport().to_dataframe()
    assert tuple(empty.columns) == DEVICE_COLUMNS
    assert len(empty) == 0


def test_history_appends_and_reads_back(deployed: Any, tmp_path: Path) -> None:
    """Each run appends one JSON line; entries come back oldest first with their counts; bad lines are named."""
    from datetime import datetime, timezone

    history = pinreset.ReadinessHistory(tmp_path / "sub" / "history.jsonl")
    assert history.entries() == []
    history.append({"ready": 3, "not_ready": 5}, source="fleet", when=datetime(2026, 1, 2, tzinfo=timezone.utc))
    history.append({"ready": 6, "not_ready": 2}, source="fleet", when=datetime(2026, 1, 1, tzinfo=timezone.utc))
    entry = history.record(deployed.devices)
    assert entry.source == "tenant"
    assert entry.counts == deployed.devices.by_verdict()
    lines = history.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    fleet = history.entries("fleet")
    assert [e.counts["ready"] for e in fleet] == [6, 3]
    records = history.to_records("fleet")
    _plain(records, HISTORY_COLUMNS)
    assert len(records) == 4
    with pytest.raises(pinreset.ConfigurationError, match="non-negative"):
        history.append({"ready": -1})
    with history.path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(pinreset.ParseError, match="line 4"):
        history.entries()


def test_verdicts_from_a_folder_of_collected_outputs(deployed: Any, tmp_path: Path) -> None:
    """Collected files (UTF-16, FQDN device names) give those devices a verdict; the rest are not_collected."""
    tenant = deployed.emu.tenant
    names = [r["device_name"] for r in deployed.devices.to_records()[:3]]
    for name in names:
        text = tenant.render_dsregcmd(name)
        (tmp_path / f"{name.lower()}.corp.example.txt").write_bytes(text.encode("utf-16"))
    outputs = pinreset.read_dsregcmd_folder(tmp_path)
    assert sorted(o.device_name for o in outputs) == sorted(names)
    assert all(o.error is None for o in outputs)
    from pinreset.reports import statuses_by_device

    report = pinreset.DeviceReadinessReport.collect(deployed.backend, dsregcmd=statuses_by_device(outputs))
    by_name = {r["device_name"]: r for r in report.to_records()}
    for name in names:
        assert by_name[name]["verdict"] == deployed.devices.to_records()[names.index(name)]["verdict"]
    assert report.by_verdict()["not_collected"] == 25 - 3
    assert report.readiness_counts() == report.by_verdict()
    bare = pinreset.DeviceReadinessReport.collect(deployed.backend)
    assert bare.readiness_counts() == bare.by_eligibility()
    assert {r["policy_state"] for r in bare.to_records()} >= {"succeeded"}


def test_unwritable_path_is_a_configuration_error(tmp_path: Path) -> None:
    """Writing records where no file can be made raises ConfigurationError naming the path, not an OSError."""
    from pinreset.reports import COLLECTED_COLUMNS, write_csv, write_json

    target = tmp_path / "missing-folder" / "out.csv"
    for writer in (write_csv, write_json):
        with pytest.raises(pinreset.ConfigurationError, match="missing-folder"):
            writer([], COLLECTED_COLUMNS, target)
    assert not target.parent.exists()
