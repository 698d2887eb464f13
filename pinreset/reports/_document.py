"""A self-contained HTML report page: tables plus charts embedded as base64 PNG, nothing fetched from elsewhere.

The page carries a Content-Security-Policy that allows only inline styles and ``data:`` images, so a report
opened from a ticket or a mail cannot load anything or run script.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pinreset._version import __version__
from pinreset.reports import _html

if TYPE_CHECKING:
    from pinreset.deploy import TenantReport
    from pinreset.reports._devices import DeviceReadinessReport
    from pinreset.reports._history import ReadinessHistory

__all__ = ["CSP", "fleet_document", "tenant_document"]

#: The page's policy: no script, no network; inline styles and data: images only.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'"


def _chart(fig: Any, alt: str) -> str:
    from pinreset.reports._charts import png_data_uri

    return (
        f'<figure style="display:inline-block;margin:6px 12px 6px 0"><img alt="{_html.esc(alt)}" '
        f'src="{png_data_uri(fig)}"><figcaption style="font-size:12px;color:#57606a">{_html.esc(alt)}'
        "</figcaption></figure>"
    )


def _page(title: str, parts: Sequence[str]) -> str:
    made = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_html.esc(title)}</title>"
        "<style>body{margin:16px;background:#fff;color:#1f2328;font-family:system-ui,sans-serif}section{margin-bottom:18px}</style>"
        f"</head><body><h1 style=\"font-family:system-ui,sans-serif;font-size:20px\">{_html.esc(title)}</h1>"
        f'<p style="font-family:system-ui,sans-serif;font-size:12px;color:#57606a">Generated {_html.esc(made)} by '
        f"pinreset {_html.esc(__version__)}.</p>"
        + "".join(f"<section>{p}</section>" for p in parts if p)
        + "</body></html>\n"
    )


def tenant_document(
    report: TenantReport,
    devices: DeviceReadinessReport | None = None,
    *,
    history: ReadinessHistory | None = None,
    title: str | None = None,
) -> str:
    """The HTML report of a tenant: status, device readiness with charts, and readiness over time.

    Args:
        report: ``pinreset.status(...)``.
        devices: per-device readiness (charts by verdict, eligibility, join type and OS build).
        history: runs to chart over time (two or more entries make a line).
        title: the page title (default: the tenant's name).

    Returns:
        the whole page.

    Raises:
        ConfigurationError: matplotlib is not installed (charts).
    """
    from pinreset.reports._charts import counts_figure

    name = report.tenant.display_name or report.tenant.id
    charts: list[str] = []
    if report.devices is not None:
        fig = counts_figure([
            ("eligibility (Intune inventory)", dict(report.devices.by_eligibility)),
            ("policy state (Intune)", dict(report.devices.by_policy_state)),
        ])
        charts.append(_chart(fig, "Devices by eligibility and policy state"))
    table = ""
    if devices is not None and devices.devices:
        if any(d.verdict for d in devices.devices):
            charts.append(_chart(devices.plot("verdict"), "Devices by readiness verdict (dsregcmd)"))
        charts.append(_chart(devices.plot("join_build"), "Devices by OS build and join type"))
        table = _html.card(
            "device readiness",
            _html.table(
                ("device_name", "user_principal_name", "join_type", "os_build", "eligibility", "policy_state",
                 "verdict", "reason"),
                ([r[c] for c in ("device_name", "user_principal_name", "join_type", "os_build", "eligibility",
                                 "policy_state", "verdict", "reason")] for r in devices.to_records()),
                limit=None,
            ),
        )
    if history is not None and len(history.entries()) > 1:
        charts.append(_chart(history.plot(), "Readiness over time"))
    return _page(title or f"PIN reset readiness: {name}", [_html.tenant_report_html(report), "".join(charts), table])


def fleet_document(
    records: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    history: ReadinessHistory | None = None,
    title: str = "PIN reset readiness: fleet check",
) -> str:
    """The HTML report of a fleet check, from its records (``FleetReport.to_records()`` or the ``hosts`` of
    ``pinreset verify --output json``) and summary.

    Raises:
        ConfigurationError: matplotlib is not installed (charts).
    """
    from collections import Counter

    from pinreset.reports._charts import bar_figure, counts_figure, join_build_figure

    readiness = {k: v for k, v in dict(summary.get("readiness", {})).items() if v}
    outcomes = {k: v for k, v in dict(summary.get("outcomes", {})).items() if v}
    verdicts = dict(Counter(r.get("user_verdict") or "not_read" for r in records).most_common())
    charts = [
        _chart(counts_figure([("readiness", readiness), ("outcome", outcomes)], ylabel="hosts"),
               "Hosts by readiness and outcome"),
        _chart(bar_figure(verdicts, title="Signed-in users' verdict (dsregcmd)", ylabel="hosts"),
               "Hosts by the signed-in user's readiness verdict"),
        _chart(join_build_figure((r.get("device_join_type"), r.get("device_os_build")) for r in records),
               "Hosts by OS build and join type"),
    ]
    if history is not None and len(history.entries()) > 1:
        charts.append(_chart(history.plot(), "Readiness over time"))
    head = _html.card("summary", _html.fleet_summary_html(summary))
    return _page(title, [head, "".join(charts), _html.fleet_html(records, summary, limit=None)])
