"""Pure HTML rendering of pinreset's results for Jupyter (``_repr_html_``) and the HTML report.

Every value goes through :func:`esc` (``html.escape`` with quotes), styles are inline so that notebook viewers
which drop ``<style>`` blocks still show the tables, and nothing refers to an external asset. Fields that a
class keeps out of its repr (``attrs.field(repr=False)``: raw Graph bodies, captured text, secrets) are never
read here, and keys that name a secret are masked.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pinreset.deploy import ApplyResult, Plan, TenantReport
    from pinreset.dsreg import DsregStatus, Readiness
    from pinreset.remote import DeviceCheck

__all__ = [
    "ROW_LIMIT",
    "apply_html",
    "badge",
    "card",
    "device_check_html",
    "device_readiness_html",
    "dsreg_status_html",
    "esc",
    "fleet_html",
    "kv_table",
    "plan_html",
    "readiness_html",
    "table",
    "tenant_report_html",
]

#: Rows shown per table in a notebook; the rest is summarised in one line (exports have everything).
ROW_LIMIT = 50

_SECRET_KEY = re.compile(r"password|secret|passwd|token$|credential", re.IGNORECASE)
_MASK = "•••"

_BOX = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.35;max-width:1100px"
_TABLE = "border-collapse:collapse;margin:4px 0 8px 0"
_CELL = "border:1px solid #d0d7de;padding:2px 8px;text-align:left;vertical-align:top"
_HEAD = _CELL + ";background:#f6f8fa;font-weight:600"
_TONES = {
    "ok": "#1a7f37",
    "warn": "#9a6700",
    "bad": "#cf222e",
    "muted": "#57606a",
}
# Verdicts, outcomes and states -> tone, so a badge's colour says good/bad at a glance.
_TONE_OF = {
    "ready": "ok", "ok": "ok", "in_sync": "ok", "present": "ok", "applied": "ok", "already_done": "ok",
    "succeeded": "ok", "eligible": "ok", "true": "ok",
    "destructive_only": "warn", "not_ready": "bad", "no_windows_hello": "warn", "drifted": "bad",
    "missing": "bad", "disabled": "bad", "failed": "bad", "not_run": "warn", "retried": "warn",
    "unassigned": "bad", "assigned_elsewhere": "warn", "not_eligible": "bad", "false": "bad",
    "unreachable": "bad", "auth_failed": "bad", "timeout": "bad", "command_failed": "bad", "unparseable": "bad",
    "no_interactive_user": "warn", "pending": "warn", "error": "bad", "conflict": "bad",
    "not_joined": "bad", "os_too_old": "bad", "join_unknown": "warn", "os_unknown": "warn",
}


def esc(value: Any) -> str:
    """One value as escaped HTML text: ``None`` as a dash, booleans as yes/no, enums by their value."""
    if value is None:
        return "&#8212;"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        value = value.isoformat(timespec="seconds")
    return html.escape(str(value), quote=True)


def tone(value: Any) -> str:
    """``ok``, ``warn``, ``bad`` or ``muted`` for a verdict, outcome or state value."""
    key = value.value if isinstance(value, enum.Enum) else value
    if isinstance(key, bool):
        key = "true" if key else "false"
    return _TONE_OF.get(str(key).lower(), "muted")


def badge(value: Any, label: str | None = None) -> str:
    """A small coloured label for a verdict/outcome/state (colour from :func:`tone`)."""
    colour = _TONES[tone(value)]
    text = esc(value) if label is None else esc(label)
    return (
        f'<span style="display:inline-block;padding:0 6px;border-radius:8px;border:1px solid {colour};'
        f'color:{colour};font-weight:600">{text}</span>'
    )


def _cell_html(value: Any, column: str) -> str:
    if _SECRET_KEY.search(column) and value not in (None, ""):
        return _MASK
    if column in ("verdict", "readiness", "outcome", "state", "status", "eligibility", "policy_state",
                  "user_verdict") and value not in (None, ""):
        return badge(value)
    return esc(value)


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, limit: int | None = ROW_LIMIT, raw: bool = False
) -> str:
    """An HTML table; cells are escaped (``raw=True``: cells are trusted HTML made by this module).

    Args:
        headers: column titles (also used to pick badges and masks by name).
        rows: one sequence of values per row.
        limit: rows shown; a last line says how many more there were. ``None`` shows all.
        raw: the cells are already HTML.

    Returns:
        the table's HTML.
    """
    out = [f'<table style="{_TABLE}"><thead><tr>']
    out.extend(f'<th style="{_HEAD}">{esc(h)}</th>' for h in headers)
    out.append("</tr></thead><tbody>")
    shown = 0
    extra = 0
    for row in rows:
        if limit is not None and shown >= limit:
            extra += 1
            continue
        cells = (c if raw else _cell_html(c, h) for c, h in zip(row, headers, strict=False))
        out.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
        shown += 1
    out.append("</tbody></table>")
    if extra:
        out.append(f'<div style="color:{_TONES["muted"]}">&#8230; and {extra} more row(s)</div>')
    return "".join(out)


def kv_table(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column key/value table (values escaped, secret-looking keys masked)."""
    rows = []
    for key, value in pairs:
        shown = _cell_html(value, key)
        rows.append(f'<tr><th style="{_HEAD}">{esc(key)}</th><td style="{_CELL}">{shown}</td></tr>')
    return f'<table style="{_TABLE}">' + "".join(rows) + "</table>"


def bullets(items: Iterable[Any]) -> str:
    """An escaped bullet list ('' when empty)."""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f'<ul style="margin:2px 0 6px 18px;padding:0">{lis}</ul>' if lis else ""


def card(title: str, *parts: str) -> str:
    """A titled block holding HTML parts made by this module (the title is escaped)."""
    return (
        f'<div class="pinreset" style="{_BOX}"><div style="font-weight:700;font-size:14px;margin:2px 0">'
        f"{esc(title)}</div>{''.join(parts)}</div>"
    )


def heading(text: str) -> str:
    """A small section heading."""
    return f'<div style="font-weight:600;margin-top:6px">{esc(text)}</div>'


def counts_table(title: str, counts: Mapping[str, int]) -> str:
    """A value -> count table under a heading ('' when there is nothing to count)."""
    if not counts:
        return ""
    return heading(title) + table((title, "devices"), sorted(counts.items(), key=lambda kv: -kv[1]), limit=None)


def readiness_html(readiness: Readiness) -> str:
    """A :class:`~pinreset.dsreg.Readiness`: the verdict and its reasons."""
    return card("PIN reset readiness", badge(readiness.verdict), bullets(readiness.reasons))


def dsreg_status_html(status: DsregStatus) -> str:
    """A parsed ``dsregcmd /status``: the telling fields, the verdict, then every printed section folded."""
    from pinreset.dsreg.readiness import assess

    user = status.user_state
    device = status.device_state
    tenant = status.tenant_details
    verdict = assess(status)
    summary = kv_table([
        ("device name", device.device_name if device else None),
        ("join type", status.join_type.value),
        ("tenant", tenant.tenant_name if tenant else None),
        ("NgcSet", user.ngc_set if user else None),
        ("CanReset", user.can_reset.value if user and user.can_reset else None),
        ("verdict", verdict.verdict.value),
    ])
    sections = "".join(
        f"<details><summary>{esc(title)} ({len(items)})</summary>{kv_table(items.items())}</details>"
        for title, items in status.sections.items()
    )
    layout = " (Windows 10 1607 layout)" if status.legacy_layout else ""
    return card(f"dsregcmd /status{layout}", summary, bullets(verdict.reasons), sections)


def _policy_id(change: Any) -> str | None:
    ref = getattr(change, "ref", None)
    return getattr(ref, "id", None)


def plan_html(plan: Plan) -> str:
    """A :class:`~pinreset.deploy.Plan`: its changes in order, warnings and conflicts."""
    tenant = plan.tenant.display_name or plan.tenant.id
    if plan.is_empty:
        head = f"<div>{badge('in_sync', 'no changes')} tenant {esc(tenant)} is in the desired state</div>"
    else:
        head = f"<div>{esc(len(plan.changes))} change(s) for tenant {esc(tenant)}</div>"
    changes = table(
        ("step", "type", "description"),
        ((n, type(c).__name__, c.description) for n, c in enumerate(plan.changes, 1)),
    ) if plan.changes else ""
    warnings = (heading("warnings") + bullets(w.message for w in plan.warnings)) if plan.warnings else ""
    return card("pinreset plan", head, changes, warnings)


def apply_html(result: ApplyResult) -> str:
    """An :class:`~pinreset.deploy.ApplyResult`: one row per change executed."""
    state = "complete" if result.complete else "incomplete"
    head = (
        f"<div>{badge('ok' if result.complete else 'failed', state)} "
        f"{'changed the tenant' if result.changed else 'no change made'}; policy "
        f"{esc(result.policy.id if result.policy else None)}</div>"
    )
    rows = (
        (n, o.status.value, type(o.change).__name__, o.change.description, o.object_id, o.error)
        for n, o in enumerate(result.outcomes, 1)
    )
    body = table(("step", "status", "type", "description", "object_id", "error"), rows) if result.outcomes else ""
    return card("pinreset apply", head, body)


def tenant_report_html(report: TenantReport) -> str:
    """A :class:`~pinreset.deploy.TenantReport`: readiness, problems, apps, policy, conflicts, device counts."""
    tenant = report.tenant
    head = (
        f"<div>{badge('ready' if report.ready else 'not_ready')} tenant {esc(tenant.display_name)} "
        f"({esc(tenant.id)})</div>"
    )
    problems = (heading("problems") + bullets(report.problems)) if report.problems else ""
    apps = heading("apps") + table(
        ("app", "state", "fix"), ((a.app.display_name, a.state.value, a.fix) for a in report.apps), limit=None
    )
    p = report.policy
    policy = heading("policy") + kv_table([
        ("name", p.policy.name if p.policy else None),
        ("kind", p.policy.kind.value if p.policy else None),
        ("state", p.state.value),
        ("assigned to", p.assigned_to),
        ("expected assignment", p.expected_assignment),
        ("drift", "; ".join(d.message for d in p.drift) or None),
    ])
    conflicts = (heading("conflicts") + table(
        ("policy", "kind", "sets", "for"),
        ((c.policy.name, c.policy.kind.value, " and ".join(c.reasons), c.overlap) for c in report.conflicts),
    )) if report.conflicts else ""
    warnings = (heading("warnings") + bullets(w.message for w in report.warnings)) if report.warnings else ""
    devices = ""
    if report.devices is not None:
        devices = (
            f"{heading('devices')}<div>{esc(report.devices.total)} Windows managed device(s)</div>"
            + counts_table("eligibility", report.devices.by_eligibility)
            + counts_table("policy_state", report.devices.by_policy_state)
        )
    return card("pinreset status", head, problems, apps, policy, conflicts, warnings, devices)


#: The record columns a fleet table shows in a notebook or report (every column is in the exports).
FLEET_COLUMNS: tuple[str, ...] = (
    "host", "outcome", "readiness", "device_join_type", "device_os_build", "device_policy_enabled",
    "device_policy_source", "user_name", "user_can_reset", "user_verdict", "error",
)


def fleet_summary_html(summary: Mapping[str, Any]) -> str:
    """One line: hosts, then a badge per readiness and per outcome that occurred."""
    outcomes = {k: v for k, v in dict(summary.get("outcomes", {})).items() if v}
    readiness = {k: v for k, v in dict(summary.get("readiness", {})).items() if v}
    return "<div>" + esc(summary.get("hosts", 0)) + " host(s): " + " ".join(
        badge(k, f"{k} {v}") for k, v in readiness.items()
    ) + " &#183; " + " ".join(badge(k, f"{k} {v}") for k, v in outcomes.items()) + "</div>"


def fleet_html(
    records: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *, limit: int | None = ROW_LIMIT
) -> str:
    """A fleet run from its flat records (``FleetReport.to_records()`` or ``verify --output json``'s ``hosts``)."""
    rows = ([r.get(c) for c in FLEET_COLUMNS] for r in records)
    return card("pinreset fleet check", fleet_summary_html(summary), table(FLEET_COLUMNS, rows, limit=limit))


def device_check_html(check: DeviceCheck) -> str:
    """One host's :class:`~pinreset.remote.DeviceCheck`: outcome, readiness, device facts, signed-in users."""
    head = f"<div>{badge(check.outcome)} {badge(check.readiness)} {esc(check.host)}</div>"
    error = f'<div style="color:{_TONES["bad"]}">{esc(check.error)}</div>' if check.error else ""
    device = ""
    if check.device is not None:
        d = check.device
        device = heading("device") + kv_table([
            ("computer name", d.computer_name),
            ("OS", d.os_caption),
            ("OS build", d.os_build),
            ("join type", d.join_type),
            ("EnablePinRecovery", d.policy.enabled),
            ("policy source", d.policy.source.value),
            ("Intune's value in force", d.policy.mdm_wins),
            ("sources disagree", d.policy.conflict),
        ])
    users = ""
    if check.users:
        users = heading("signed-in users (their own dsregcmd)") + table(
            ("sid", "name", "CanReset", "NgcSet", "user_verdict", "error"),
            ((u.sid, u.name, u.can_reset, u.ngc_set, u.dsreg.verdict if u.dsreg else None, u.error)
             for u in check.users),
        )
    return card("pinreset device check", head, error, device, users)


def device_readiness_html(report: Any) -> str:
    """A :class:`~pinreset.reports.DeviceReadinessReport`: counts, then one row per device."""
    counts = " ".join(badge(k, f"{k} {v}") for k, v in report.readiness_counts().items())
    shown = ("device_name", "join_type", "os_build", "eligibility", "policy_state", "verdict", "reason")
    rows = ([r[c] for c in shown] for r in report.to_records())
    return card("device readiness", f"<div>{esc(len(report.devices))} device(s): {counts}</div>", table(shown, rows))
