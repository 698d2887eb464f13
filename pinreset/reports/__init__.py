"""Reports people look at: per-device readiness, exports (records, CSV, JSON, DataFrames), charts, history, HTML.

The result classes of the other layers (``TenantReport``, ``Plan``, ``ApplyResult``, ``FleetReport``,
``DeviceCheck``, ``DsregStatus``, ``Readiness``) get their ``_repr_html_``, ``to_records`` and ``plot`` from the
pure helpers here. pandas and matplotlib (the ``notebook`` extra) are imported only when a DataFrame or a chart is
asked for. Column names are documented in ``docs/reports.md``.
"""

from __future__ import annotations

from pinreset.reports._devices import (
    COLLECTED_COLUMNS,
    DEVICE_COLUMNS,
    CollectedOutput,
    DeviceReadiness,
    DeviceReadinessReport,
    read_dsregcmd_folder,
    statuses_by_device,
)
from pinreset.reports._document import fleet_document as fleet_html_report
from pinreset.reports._document import tenant_document as tenant_html_report
from pinreset.reports._history import HISTORY_COLUMNS, HistoryEntry, ReadinessHistory
from pinreset.reports._tabular import (
    APP_COLUMNS,
    CHANGE_COLUMNS,
    DEVICE_COUNT_COLUMNS,
    OUTCOME_COLUMNS,
    POLICY_COLUMNS,
    to_csv,
    to_dataframe,
    to_json,
    write_csv,
    write_json,
)

__all__ = [
    "APP_COLUMNS",
    "CHANGE_COLUMNS",
    "COLLECTED_COLUMNS",
    "DEVICE_COLUMNS",
    "DEVICE_COUNT_COLUMNS",
    "HISTORY_COLUMNS",
    "OUTCOME_COLUMNS",
    "POLICY_COLUMNS",
    "CollectedOutput",
    "DeviceReadiness",
    "DeviceReadinessReport",
    "HistoryEntry",
    "ReadinessHistory",
    "fleet_html_report",
    "read_dsregcmd_folder",
    "statuses_by_device",
    "tenant_html_report",
    "to_csv",
    "to_dataframe",
    "to_json",
    "write_csv",
    "write_json",
]

