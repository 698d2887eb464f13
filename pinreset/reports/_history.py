"""Readiness over time: one summary line per run, appended to a JSON-lines file.

Each scheduled run (``pinreset report --history``, a nightly script) appends ``{"time", "source", "total",
"counts"}``; :meth:`ReadinessHistory.plot` draws the counts across runs. Appending one line per run keeps the
file safe to share between runs: nothing is ever rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs

from pinreset.exceptions import ConfigurationError, ParseError
from pinreset.reports import _tabular

__all__ = ["HISTORY_COLUMNS", "HistoryEntry", "ReadinessHistory"]

#: ``ReadinessHistory.to_records()``: one row per run and category (long format).
HISTORY_COLUMNS: tuple[str, ...] = ("time", "source", "total", "category", "devices")


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One run's summary.

    Attributes:
        time: when the run happened (aware UTC).
        source: what was counted (``fleet``, ``tenant``, or your own label).
        total: devices or hosts counted.
        counts: category (``ready``, ``not_ready``, ``destructive_only``, …) -> count.
    """

    time: datetime
    source: str
    total: int
    counts: Mapping[str, int] = attrs.field(factory=dict)

    def to_json(self) -> str:
        """The entry as one JSON line (no newline)."""
        return json.dumps(
            {"time": self.time.isoformat(), "source": self.source, "total": self.total, "counts": dict(self.counts)},
            separators=(",", ":"),
        )


def _counts_of(report: Any) -> tuple[str, dict[str, int]]:
    """(source, counts) of a FleetReport, DeviceReadinessReport or TenantReport."""
    from pinreset.deploy import TenantReport
    from pinreset.remote import FleetReport
    from pinreset.reports._devices import DeviceReadinessReport

    if isinstance(report, FleetReport):
        return "fleet", dict(report.summary()["readiness"])
    if isinstance(report, DeviceReadinessReport):
        return "tenant", report.readiness_counts()
    if isinstance(report, TenantReport):
        return "tenant", dict(report.devices.by_eligibility) if report.devices is not None else {}
    raise ConfigurationError(f"cannot record a {type(report).__name__}: pass a report or counts")


class ReadinessHistory:
    """A JSON-lines file of run summaries.

    Args:
        path: the file; created on the first :meth:`append`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"ReadinessHistory({str(self.path)!r})"

    def append(
        self, counts: Mapping[str, int], *, source: str = "", when: datetime | None = None
    ) -> HistoryEntry:
        """Append one run's counts.

        Args:
            counts: category -> count.
            source: a label for what was counted.
            when: the run's time (default: now, UTC).

        Returns:
            the entry written.

        Raises:
            ConfigurationError: a count is not a non-negative integer, or the file cannot be written.
        """
        clean: dict[str, int] = {}
        for key, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigurationError(f"count for {key!r} must be a non-negative integer, got {value!r}")
            clean[str(key)] = value
        entry = HistoryEntry(
            time=(when or datetime.now(timezone.utc)).astimezone(timezone.utc),
            source=source,
            total=sum(clean.values()),
            counts=clean,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(entry.to_json() + "\n")
        except OSError as exc:
            raise ConfigurationError(f"cannot write history {str(self.path)!r}: {exc.strerror or exc}") from exc
        return entry

    def record(self, report: Any, *, when: datetime | None = None) -> HistoryEntry:
        """Append a report's readiness counts: a FleetReport by readiness, a DeviceReadinessReport by verdict
        (or eligibility when no verdict was collected), a TenantReport by eligibility.

        Raises:
            ConfigurationError: ``report`` is none of those, or the file cannot be written.
        """
        source, counts = _counts_of(report)
        return self.append(counts, source=source, when=when)

    def entries(self, source: str | None = None) -> list[HistoryEntry]:
        """Every run, oldest first (only ``source``'s when given); empty when the file does not exist.

        Raises:
            ParseError: a line is not an entry (names the line).
        """
        if not self.path.exists():
            return []
        out: list[HistoryEntry] = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                entry = HistoryEntry(
                    time=datetime.fromisoformat(data["time"]),
                    source=str(data.get("source", "")),
                    total=int(data["total"]),
                    counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ParseError(f"{self.path}: line {number} is not a history entry ({exc})") from exc
            if source is None or entry.source == source:
                out.append(entry)
        return sorted(out, key=lambda e: e.time)

    def to_records(self, source: str | None = None) -> list[dict[str, Any]]:
        """One row per run and category (:data:`HISTORY_COLUMNS`)."""
        return [
            {"time": e.time.isoformat(), "source": e.source, "total": e.total, "category": k, "devices": v}
            for e in self.entries(source) for k, v in e.counts.items()
        ]

    def to_dataframe(self, source: str | None = None) -> Any:
        """:meth:`to_records` as a pandas DataFrame.

        Raises:
            ConfigurationError: pandas is not installed.
        """
        return _tabular.to_dataframe(self.to_records(source), HISTORY_COLUMNS)

    def plot(self, source: str | None = None) -> Any:
        """A matplotlib Figure: one line per category across runs.

        Raises:
            ConfigurationError: matplotlib is not installed.
        """
        from pinreset.reports._charts import history_figure

        return history_figure(self.entries(source))
