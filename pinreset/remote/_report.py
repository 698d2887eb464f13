"""Fleet totals and the ways results leave the library: records, JSON, CSV, a text table and a DataFrame."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from pinreset.exceptions import ConfigurationError
from pinreset.remote.models import RECORD_COLUMNS, DeviceCheck, Outcome, Readiness

__all__ = ["FleetReport", "format_table"]


@attrs.frozen
class FleetReport:
    """The results of a fleet check with totals by outcome and by readiness.

    Attributes:
        checks: one result per host, in the order they finished.
    """

    checks: tuple[DeviceCheck, ...] = ()

    @classmethod
    def collect(
        cls,
        results: Iterable[DeviceCheck],
        *,
        on_result: Callable[[DeviceCheck], None] | None = None,
        progress: bool = False,
        total: int | None = None,
    ) -> FleetReport:
        """Drain ``results`` (e.g. :func:`check_fleet`) into a report.

        Args:
            results: the results, as they arrive.
            on_result: called with each result as it arrives.
            progress: show a progress bar (``tqdm.auto``: a widget in Jupyter, text in a terminal); silently
                skipped when tqdm is not installed.
            total: the number of hosts, for the progress bar.

        Returns:
            The report, results in arrival order.
        """
        bar: Any = None
        if progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                bar = None
            else:
                bar = tqdm(total=total, unit="host")
        checks: list[DeviceCheck] = []
        try:
            for check in results:
                checks.append(check)
                if on_result is not None:
                    on_result(check)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        return cls(tuple(checks))

    @property
    def by_outcome(self) -> dict[Outcome, int]:
        """How many hosts ended in each outcome (every outcome listed, zero included)."""
        counts = Counter(check.outcome for check in self.checks)
        return {outcome: counts.get(outcome, 0) for outcome in Outcome}

    @property
    def by_readiness(self) -> dict[Readiness, int]:
        """How many hosts are ready, not ready or unknown."""
        counts = Counter(check.readiness for check in self.checks)
        return {readiness: counts.get(readiness, 0) for readiness in Readiness}

    @property
    def all_ready(self) -> bool:
        """True when there is at least one host and every host is ``ok`` and ``ready``."""
        return bool(self.checks) and all(
            c.outcome is Outcome.OK and c.readiness is Readiness.READY for c in self.checks
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per host with the keys of :data:`RECORD_COLUMNS`."""
        return [check.to_record() for check in self.checks]

    def summary(self) -> dict[str, Any]:
        """Totals as plain data: ``{"hosts": n, "outcomes": {...}, "readiness": {...}}``."""
        return {
            "hosts": len(self.checks),
            "outcomes": {k.value: v for k, v in self.by_outcome.items()},
            "readiness": {k.value: v for k, v in self.by_readiness.items()},
        }

    def to_json(self) -> str:
        """``{"summary": ..., "hosts": [records]}`` as indented JSON text."""
        return json.dumps({"summary": self.summary(), "hosts": self.to_records()}, indent=2, default=str)

    def write_json(self, target: str | Path | IO[str]) -> None:
        """Write :meth:`to_json` to a path or an open text file."""
        _write(target, self.to_json() + "\n")

    def to_csv(self, *, raw: bool = False) -> str:
        """The records as CSV text with a header row in :data:`RECORD_COLUMNS` order.

        Args:
            raw: write text exactly as it is. By default text starting with ``=``, ``+``, ``-``, ``@``, a tab
                or a carriage return (host, user and error texts come from devices) gets a leading ``'`` so
                that a spreadsheet does not run it as a formula.

        Returns:
            the CSV text.
        """
        from pinreset.reports._csvsafe import csv_safe

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(RECORD_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for record in self.to_records():
            cells = {k: _csv_value(v) for k, v in record.items()}
            writer.writerow(cells if raw else {k: csv_safe(v) for k, v in cells.items()})
        return buffer.getvalue()

    def write_csv(self, target: str | Path | IO[str], *, raw: bool = False) -> None:
        """Write :meth:`to_csv` to a path or an open text file (``raw`` as there)."""
        _write(target, self.to_csv(raw=raw))

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame (columns in :data:`RECORD_COLUMNS` order).

        Raises:
            ConfigurationError: when pandas is not installed (``pip install 'pinreset[notebook]'``).
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ConfigurationError("to_dataframe() needs pandas: pip install 'pinreset[notebook]'") from exc
        return pd.DataFrame.from_records(self.to_records(), columns=list(RECORD_COLUMNS))

    def plot(self, kind: str = "readiness") -> Any:
        """A matplotlib Figure: hosts by ``readiness`` and outcome, by the signed-in users' ``verdict``, or by
        ``join_build`` (OS build stacked by join type).

        Raises:
            ConfigurationError: matplotlib is not installed (``pip install 'pinreset[notebook]'``), or ``kind``
                is unknown.
        """
        from pinreset.reports import _charts

        records = self.to_records()
        if kind == "readiness":
            summary = self.summary()
            return _charts.counts_figure(
                [("readiness", {k: v for k, v in summary["readiness"].items() if v}),
                 ("outcome", {k: v for k, v in summary["outcomes"].items() if v})],
                ylabel="hosts",
            )
        if kind == "verdict":
            verdicts = Counter(r["user_verdict"] or "not_read" for r in records)
            return _charts.bar_figure(dict(verdicts.most_common()), title="Signed-in users' verdict", ylabel="hosts")
        if kind == "join_build":
            return _charts.join_build_figure((r["device_join_type"], r["device_os_build"]) for r in records)
        raise ConfigurationError(f"unknown chart {kind!r}: expected readiness, verdict or join_build")

    def __repr__(self) -> str:
        ready = self.by_readiness
        return (f"FleetReport(hosts={len(self.checks)}, ready={ready[Readiness.READY]}, "
                f"not_ready={ready[Readiness.NOT_READY]}, unknown={ready[Readiness.UNKNOWN]})")

    def __str__(self) -> str:
        summary = self.summary()
        outcomes = ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items() if v)
        readiness = ", ".join(f"{k} {v}" for k, v in summary["readiness"].items() if v)
        return f"{summary['hosts']} host(s): {outcomes or 'none'}; readiness: {readiness or 'none'}"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: totals, then one row per host (the first 50)."""
        from pinreset.reports._html import fleet_html

        return fleet_html(self.to_records(), self.summary())


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write(target: str | Path | IO[str], text: str) -> None:
    if isinstance(target, (str, Path)):
        Path(target).write_text(text, encoding="utf-8")
    else:
        target.write(text)


_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("host", "HOST"),
    ("outcome", "OUTCOME"),
    ("readiness", "READY"),
    ("device_join_type", "JOIN"),
    ("device_os_build", "BUILD"),
    ("device_policy_enabled", "POLICY"),
    ("device_policy_source", "SOURCE"),
    ("user_name", "SIGNED-IN USER"),
    ("user_can_reset", "USER CanReset"),
    ("error", "ERROR"),
)


def format_table(records: Iterable[Mapping[str, Any]]) -> str:
    """A fixed-width text table of the most telling record columns (``CanReset`` is the signed-in user's)."""
    rows = [[_cell(record.get(key), key) for key, _ in _TABLE_COLUMNS] for record in records]
    headers = [title for _, title in _TABLE_COLUMNS]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines)


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value)
    limit = 60 if key == "error" else 40
    return text if len(text) <= limit else text[: limit - 3] + "..."
