"""Flat records of pinreset's results, and the ways they leave the library: CSV, JSON and pandas DataFrames.

Records are plain dicts of plain values (str, int, float, bool, None) whose keys are the column tuples below,
in order. Column names are stable: new columns are only ever appended (documented in ``docs/reports.md``).
pandas is imported only by :func:`to_dataframe`.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pinreset.exceptions import ConfigurationError
from pinreset.reports._csvsafe import csv_safe

if TYPE_CHECKING:
    from pinreset.deploy import ApplyResult, Plan, TenantReport

__all__ = [
    "APP_COLUMNS",
    "CHANGE_COLUMNS",
    "DEVICE_COUNT_COLUMNS",
    "INSTALL_HINT",
    "OUTCOME_COLUMNS",
    "POLICY_COLUMNS",
    "apply_records",
    "plan_records",
    "tenant_records",
    "to_csv",
    "to_dataframe",
    "to_json",
    "write_csv",
    "write_json",
]

#: What to install for DataFrames and charts.
INSTALL_HINT = "pip install 'pinreset[notebook]'"

#: ``TenantReport.to_records("apps")``: one row per PIN reset app.
APP_COLUMNS: tuple[str, ...] = ("app_id", "display_name", "state", "service_principal_id", "fix")
#: ``TenantReport.to_records("policies")``: pinreset's policy, its duplicates and conflicting policies.
POLICY_COLUMNS: tuple[str, ...] = (
    "role", "policy_id", "name", "kind", "state", "assigned_to", "expected_assignment", "detail",
)
#: ``TenantReport.to_records("devices")``: device counts by Intune policy state and by eligibility.
DEVICE_COUNT_COLUMNS: tuple[str, ...] = ("dimension", "value", "devices")
#: ``Plan.to_records()``: one row per change, in execution order.
CHANGE_COLUMNS: tuple[str, ...] = ("step", "type", "description", "policy_id", "fields")
#: ``ApplyResult.to_records()``: one row per change executed.
OUTCOME_COLUMNS: tuple[str, ...] = ("step", "status", "type", "description", "object_id", "error")

_TENANT_TABLES = ("apps", "policies", "devices")


def plain(value: Any) -> Any:
    """A record value as plain data: enums by value, datetimes as ISO 8601 text, tuples as ``; ``-joined text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return "; ".join(str(plain(v)) for v in value)
    return value


def tenant_records(report: TenantReport, table: str = "devices") -> list[dict[str, Any]]:
    """Rows of one table of a status report.

    Args:
        report: the report.
        table: ``apps`` (:data:`APP_COLUMNS`), ``policies`` (:data:`POLICY_COLUMNS`) or ``devices``
            (:data:`DEVICE_COUNT_COLUMNS`; empty when the report was made without devices).

    Returns:
        plain dicts, keys in column order.

    Raises:
        ConfigurationError: ``table`` is not one of the three.
    """
    if table == "apps":
        return [
            {"app_id": a.app.app_id, "display_name": a.app.display_name, "state": a.state.value,
             "service_principal_id": a.service_principal_id, "fix": a.fix}
            for a in report.apps
        ]
    if table == "policies":
        p = report.policy
        rows: list[dict[str, Any]] = [{
            "role": "managed",
            "policy_id": p.policy.id if p.policy else None,
            "name": p.policy.name if p.policy else None,
            "kind": p.policy.kind.value if p.policy else None,
            "state": p.state.value,
            "assigned_to": p.assigned_to,
            "expected_assignment": p.expected_assignment,
            "detail": "; ".join(d.message for d in p.drift) or None,
        }]
        rows.extend(
            {"role": "duplicate", "policy_id": d.id, "name": d.name, "kind": d.kind.value, "state": "duplicate",
             "assigned_to": None, "expected_assignment": None, "detail": "pinreset apply removes it"}
            for d in p.duplicates
        )
        rows.extend(
            {"role": "conflict", "policy_id": c.policy.id, "name": c.policy.name, "kind": c.policy.kind.value,
             "state": "conflict", "assigned_to": c.overlap, "expected_assignment": None, "detail": c.description}
            for c in report.conflicts
        )
        return rows
    if table == "devices":
        devices = report.devices
        if devices is None:
            return []
        out = [{"dimension": "total", "value": "windows", "devices": devices.total}]
        out.extend({"dimension": "eligibility", "value": k, "devices": v} for k, v in devices.by_eligibility.items())
        out.extend(
            {"dimension": "policy_state", "value": k, "devices": v} for k, v in devices.by_policy_state.items()
        )
        return out
    raise ConfigurationError(f"unknown table {table!r}: expected one of {', '.join(_TENANT_TABLES)}")


def tenant_columns(table: str) -> tuple[str, ...]:
    """The columns of one :func:`tenant_records` table."""
    columns = {"apps": APP_COLUMNS, "policies": POLICY_COLUMNS, "devices": DEVICE_COUNT_COLUMNS}
    if table not in columns:
        raise ConfigurationError(f"unknown table {table!r}: expected one of {', '.join(_TENANT_TABLES)}")
    return columns[table]


def plan_records(plan: Plan) -> list[dict[str, Any]]:
    """One row per change of ``plan`` (:data:`CHANGE_COLUMNS`)."""
    rows = []
    for step, change in enumerate(plan.changes, 1):
        ref = getattr(change, "ref", None)
        rows.append({
            "step": step,
            "type": type(change).__name__,
            "description": change.description,
            "policy_id": getattr(ref, "id", None),
            "fields": plain(getattr(change, "fields", None)) or None,
        })
    return rows


def apply_records(result: ApplyResult) -> list[dict[str, Any]]:
    """One row per change ``apply`` executed (:data:`OUTCOME_COLUMNS`)."""
    return [
        {"step": step, "status": o.status.value, "type": type(o.change).__name__,
         "description": o.change.description, "object_id": o.object_id, "error": o.error}
        for step, o in enumerate(result.outcomes, 1)
    ]


def _csv_cell(value: Any, raw: bool) -> Any:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if raw else csv_safe(value)


def to_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str], *, raw: bool = False) -> str:
    """Records as CSV text: a header row of ``columns``, empty cells for ``None``, booleans as true/false.

    Args:
        records: the rows.
        columns: the header, in order; other keys of a record are ignored.
        raw: write text exactly as it is. By default text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
            carriage return gets a leading ``'`` so that a spreadsheet does not run it as a formula.

    Returns:
        the CSV text.
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({c: _csv_cell(record.get(c), raw) for c in columns})
    return buffer.getvalue()


def to_json(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Records as an indented JSON array of objects with exactly ``columns`` as keys, in order."""
    rows = [{c: plain(r.get(c)) for c in columns} for r in records]
    return json.dumps(rows, indent=2, ensure_ascii=False, default=str)


def _write(target: str | Path | IO[str], text: str) -> None:
    if isinstance(target, (str, Path)):
        try:
            Path(target).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
    else:
        target.write(text)


def write_csv(
    records: Iterable[Mapping[str, Any]], columns: Sequence[str], target: str | Path | IO[str], *, raw: bool = False,
) -> None:
    """Write :func:`to_csv` to a path (UTF-8) or an open text file.

    Args:
        records: the rows.
        columns: the header, in order.
        target: a path or an open text file.
        raw: write text exactly as it is instead of neutralising formula-like cells (see :func:`to_csv`).

    Raises:
        ConfigurationError: the path cannot be written.
    """
    _write(target, to_csv(records, columns, raw=raw))


def write_json(records: Iterable[Mapping[str, Any]], columns: Sequence[str], target: str | Path | IO[str]) -> None:
    """Write :func:`to_json` to a path (UTF-8) or an open text file.

    Raises:
        ConfigurationError: the path cannot be written.
    """
    _write(target, to_json(records, columns) + "\n")


def to_dataframe(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Any:
    """Records as a pandas DataFrame with ``columns`` in order (also when there are no rows).

    Raises:
        ConfigurationError: pandas is not installed (``pip install 'pinreset[notebook]'``).
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ConfigurationError(f"to_dataframe() needs pandas: {INSTALL_HINT}") from exc
    return pd.DataFrame.from_records([{c: plain(r.get(c)) for c in columns} for r in records], columns=list(columns))
