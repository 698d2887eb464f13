"""How the deploy commands show their results: one function per result type, for table, JSON and CSV."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from pinreset.cli._render import jsonable, print_json, write_csv, write_table

if TYPE_CHECKING:
    from pinreset.deploy import ApplyResult, Plan, RemoveResult, SyncResult, TenantReport

__all__ = ["plan_data", "show_apply", "show_plan", "show_remove", "show_status", "show_sync"]


def _out(stream: IO[str] | None) -> IO[str]:
    return stream or sys.stdout


def plan_data(plan: Plan) -> dict[str, Any]:
    """The JSON form of a plan: ``changes`` (empty when in the desired state), ``warnings``, ``conflicts``."""
    return {
        "tenant": {"id": plan.tenant.id, "display_name": plan.tenant.display_name},
        "changes": [jsonable(c) for c in plan.changes],
        "warnings": [jsonable(w) for w in plan.warnings],
        "conflicts": [{"description": c.description, "policy_id": c.policy.id, "policy_name": c.policy.name}
                      for c in plan.conflicts],
    }


def show_plan(plan: Plan, output: str, stream: IO[str] | None = None) -> None:
    """Show a plan."""
    out = _out(stream)
    if output == "json":
        print_json(plan_data(plan), out)
        return
    if output == "csv":
        # The documented columns of Plan.to_records (docs/reports.md); warnings are not rows of that table.
        plan.write_csv(out)
        for warning in plan.warnings:
            sys.stderr.write(f"! {warning.message}\n")
        return
    tenant = plan.tenant.display_name or plan.tenant.id
    if plan.is_empty:
        out.write(f"No changes: tenant {tenant} is in the desired state.\n")
    else:
        out.write(f"Plan for tenant {tenant}: {len(plan.changes)} change(s)\n")
        for n, change in enumerate(plan.changes, 1):
            out.write(f"  {n}. {change.description}\n")
    for warning in plan.warnings:
        out.write(f"  ! {warning.message}\n")


def show_apply(result: ApplyResult, output: str, stream: IO[str] | None = None) -> None:
    """Show what apply did (also for a partial result)."""
    out = _out(stream)
    rows = [(o.status.value, type(o.change).__name__, o.change.description, o.object_id, o.error)
            for o in result.outcomes]
    if output == "json":
        print_json({
            "changed": result.changed,
            "complete": result.complete,
            "policy_id": result.policy.id if result.policy else None,
            "changes": [{"status": r[0], "type": r[1], "description": r[2], "object_id": r[3], "error": r[4]}
                        for r in rows],
            "warnings": [jsonable(w) for w in result.plan.warnings],
        }, out)
        return
    if output == "csv":
        result.write_csv(out)  # the documented columns of ApplyResult.to_records (docs/reports.md)
        return
    if not result.outcomes:
        out.write("No changes: the tenant is in the desired state.\n")
    for status, _kind, description, _oid, error in rows:
        out.write(f"  [{status}] {description}" + (f": {error}" if error else "") + "\n")
    for warning in result.plan.warnings:
        out.write(f"  ! {warning.message}\n")


def status_data(report: TenantReport) -> dict[str, Any]:
    """The JSON form of a status report, with ``ready`` and ``problems`` first."""
    policy = report.policy
    return {
        "ready": report.ready,
        "problems": list(report.problems),
        "tenant": {"id": report.tenant.id, "display_name": report.tenant.display_name,
                   "federated_domains": list(report.tenant.federated_domains)},
        "apps": [jsonable(a) | {"display_name": a.app.display_name, "app_id": a.app.app_id} for a in report.apps],
        "policy": {
            "state": policy.state.value,
            "id": policy.policy.id if policy.policy else None,
            "name": policy.policy.name if policy.policy else None,
            "kind": policy.policy.kind.value if policy.policy else None,
            "drift": [jsonable(d) for d in policy.drift],
            "assigned_to": policy.assigned_to,
            "expected_assignment": policy.expected_assignment,
            "duplicates": [p.id for p in policy.duplicates],
        },
        "conflicts": [{"description": c.description, "policy_id": c.policy.id, "policy_name": c.policy.name,
                       "kind": c.policy.kind.value, "reasons": list(c.reasons), "overlap": c.overlap}
                      for c in report.conflicts],
        "warnings": [jsonable(w) for w in report.warnings],
        "devices": jsonable(report.devices),
    }


def show_status(report: TenantReport, output: str, stream: IO[str] | None = None) -> None:
    """Show a status report."""
    out = _out(stream)
    if output == "json":
        print_json(status_data(report), out)
        return
    if output == "csv":
        rows: list[tuple[str, str, str]] = [("app", a.app.display_name, a.state.value) for a in report.apps]
        rows.append(("policy", report.policy.policy.name if report.policy.policy else "", report.policy.state.value))
        rows.extend(("drift", d.field, d.message) for d in report.policy.drift)
        rows.extend(("conflict", c.policy.name, c.description) for c in report.conflicts)
        if report.devices is not None:
            rows.extend(("devices_policy_state", k, str(v)) for k, v in report.devices.by_policy_state.items())
            rows.extend(("devices_eligibility", k, str(v)) for k, v in report.devices.by_eligibility.items())
        write_csv(("section", "item", "value"), rows, out)
        return
    out.write(f"Tenant {report.tenant.display_name or ''} ({report.tenant.id})\n")
    out.write("Apps:\n")
    for a in report.apps:
        out.write(f"  {a.app.display_name}: {a.state.value}" + (f" — fix: {a.fix}" if a.fix else "") + "\n")
    p = report.policy
    name = f" {p.policy.name!r}" if p.policy else ""
    out.write(f"Policy{name}: {p.state.value.replace('_', ' ')}; assigned to {p.assigned_to}\n")
    for d in p.drift:
        out.write(f"  drift: {d.message}\n")
    for c in report.conflicts:
        out.write(f"Conflict: {c.description}\n")
    for w in report.warnings:
        out.write(f"! {w.message}\n")
    devices = report.devices
    if devices is not None:
        out.write(f"Devices: {devices.total} Windows\n")
        if devices.by_policy_state:
            states = ", ".join(f"{k} {v}" for k, v in devices.by_policy_state.items())
            out.write(f"  policy state: {states}\n")
        if devices.by_eligibility:
            out.write("  eligibility:  " + ", ".join(f"{k} {v}" for k, v in devices.by_eligibility.items()) + "\n")
    verdict = "READY" if report.ready else f"NOT READY ({len(report.problems)} problem(s))"
    out.write(f"Tenant: {verdict}\n")


def show_sync(result: SyncResult, output: str, stream: IO[str] | None = None) -> None:
    """Show the device step: one row per device and action."""
    out = _out(stream)
    rows = [(r.device_id, result.devices.get(r.device_id, ""), r.action.value, r.outcome.value, r.error)
            for r in (*result.sync, *result.restart)]
    if output == "json":
        print_json({
            "complete": result.complete,
            "started": result.started.isoformat(),
            "sync": result.counts(),
            "restart": result.counts(result.restart[0].action) if result.restart else {},
            "skipped": list(result.skipped),
            "missing_names": list(result.missing_names),
            "results": [{"device_id": r[0], "device_name": r[1], "action": r[2], "outcome": r[3], "error": r[4]}
                        for r in rows],
        }, out)
        return
    if output == "csv":
        write_csv(("device_id", "device_name", "action", "outcome", "error"), rows, out)
        return
    failed = [r for r in rows if r[3] != "succeeded"]
    if result.sync or not result.restart:
        counts = ", ".join(f"{k} {v}" for k, v in result.counts().items()) or "none targeted"
        out.write(f"Synced {len(result.sync)} device(s): {counts}\n")
    if result.restart:
        from pinreset.models import DeviceAction

        restarts = ", ".join(f"{k} {v}" for k, v in result.counts(DeviceAction.RESTART).items())
        out.write(f"Restarted {len(result.restart)} device(s): {restarts}\n")
    if result.skipped:
        out.write(f"Skipped {len(result.skipped)} device(s) that checked in since the given time\n")
    for name in result.missing_names:
        out.write(f"  ! no managed Windows device named {name!r}\n")
    if failed:
        write_table(("device", "action", "outcome", "error"), [(r[1] or r[0], r[2], r[3], r[4]) for r in failed[:50]],
                    out)
        if len(failed) > 50:
            out.write(f"  … and {len(failed) - 50} more (use --output csv for all)\n")


def show_remove(result: RemoveResult, output: str, stream: IO[str] | None = None) -> None:
    """Show what remove deleted (or would delete)."""
    out = _out(stream)
    failed = dict(result.failed)
    rows = [(p.id, p.name, p.kind.value,
             "would delete" if result.dry_run else ("failed" if p.id in failed else "deleted"), failed.get(p.id))
            for p in result.policies]
    if output == "json":
        print_json({"dry_run": result.dry_run, "note": result.note,
                    "policies": [{"id": r[0], "name": r[1], "kind": r[2], "status": r[3], "error": r[4]}
                                 for r in rows]}, out)
        return
    if output == "csv":
        write_csv(("id", "name", "kind", "status", "error"), rows, out)
        return
    if not rows:
        out.write("Nothing to remove: no policy carries pinreset's marker.\n")
    for r in rows:
        out.write(f"  [{r[3]}] {r[2].replace('_', ' ')} policy {r[1]!r} ({r[0]})" + (f": {r[4]}" if r[4] else "")
                  + "\n")
    out.write(f"Note: {result.note}.\n")
