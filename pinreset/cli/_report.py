"""``pinreset report --html FILE``: a self-contained HTML report (tables and embedded charts) of a tenant or a
fleet check.

Sources: the tenant the environment or the connection options name (``pinreset emulator serve``'s exported
``env`` included), ``--demo`` (an in-process emulated tenant taken through apply, sync and restart first, as
``pinreset demo`` does), or ``--fleet-json FILE`` (the output of ``pinreset verify --output json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._progress import Progress
from pinreset.cli._tenant_opts import add_tenant_options, open_backend
from pinreset.exceptions import ConfigurationError, ParseError

if TYPE_CHECKING:
    from pinreset.deploy import TenantReport
    from pinreset.reports import DeviceReadinessReport, ReadinessHistory

__all__ = ["register"]

# Simulated seconds between the demo's steps: devices act on a sync or restart at their next tick.
_SETTLE_SECONDS = 300.0


def register(subparsers: Any) -> None:
    """Add the ``report`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report of a tenant or a fleet check",
        description="Write one HTML file with tables and embedded PNG charts (no external assets, no script): "
        "a tenant's status and per-device readiness, or a fleet check's results. Charts need matplotlib "
        "(pip install 'pinreset[notebook]').",
        epilog="Exit codes: 0 written, 2 usage, 3 error (unreadable input, tenant error), 4 authentication failed.",
    )
    parser.add_argument("--html", required=True, metavar="FILE", help="where to write the report")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--demo", action="store_true",
        help="report on an in-process emulated tenant after applying the policy, syncing and restarting",
    )
    source.add_argument(
        "--fleet-json", metavar="FILE", help="report on `pinreset verify --output json` output (- for stdin)"
    )
    parser.add_argument("--devices", type=int, default=25, metavar="N", help="with --demo: simulated devices")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="with --demo: tenant seed")
    parser.add_argument(
        "--dsregcmd-dir", metavar="DIR",
        help="collected dsregcmd /status files (*.txt), matched to devices by name for each device's verdict",
    )
    parser.add_argument(
        "--history", metavar="FILE",
        help="append this run's readiness counts to a JSON-lines history and chart readiness over time",
    )
    parser.add_argument("--title", metavar="TEXT", help="page title")
    add_tenant_options(parser)
    parser.set_defaults(handler=run, parser=parser)


def _history(args: argparse.Namespace) -> ReadinessHistory | None:
    from pinreset.reports import ReadinessHistory

    return ReadinessHistory(args.history) if args.history else None


def _tenant_page(
    report: TenantReport, devices: DeviceReadinessReport, args: argparse.Namespace
) -> tuple[str, int]:
    from pinreset.reports import tenant_html_report

    history = _history(args)
    if history is not None:
        history.record(devices)
    return tenant_html_report(report, devices, history=history, title=args.title), len(devices.devices)


def _demo_page(args: argparse.Namespace) -> tuple[str, int]:
    from pinreset.cli._demo import open_emulator_backend
    from pinreset.deploy import DesiredState, apply, restart_devices, status, sync_devices
    from pinreset.emulator import Emulator
    from pinreset.reports import DeviceReadinessReport

    if not 1 <= args.devices <= 100_000:
        args.parser.error("--devices must be between 1 and 100000")
    desired = DesiredState()
    with Emulator(devices=args.devices, seed=args.seed) as emu, open_emulator_backend(emu) as backend:
        apply(backend, desired)
        sync_devices(backend, desired)
        emu.advance(_SETTLE_SECONDS)
        restart_devices(backend, desired)
        emu.advance(_SETTLE_SECONDS)
        report = status(backend, desired)
        devices = DeviceReadinessReport.collect(
            backend,
            policy=report.policy.policy.ref if report.policy.policy else None,
            dsregcmd=emu.tenant.render_dsregcmd,
        )
    return _tenant_page(report, devices, args)


def _env_tenant_page(args: argparse.Namespace) -> tuple[str, int]:
    from pinreset.deploy import status
    from pinreset.reports import DeviceReadinessReport, read_dsregcmd_folder, statuses_by_device

    collected = statuses_by_device(read_dsregcmd_folder(args.dsregcmd_dir)) if args.dsregcmd_dir else None
    with open_backend(args) as backend, Progress("reading devices") as progress:
        report = status(backend, None, progress=progress)
        devices = DeviceReadinessReport.collect(
            backend,
            policy=report.policy.policy.ref if report.policy.policy else None,
            dsregcmd=collected,
        )
    return _tenant_page(report, devices, args)


def _fleet_page(args: argparse.Namespace) -> tuple[str, int]:
    from pinreset.reports import fleet_html_report

    try:
        text = sys.stdin.read() if args.fleet_json == "-" else Path(args.fleet_json).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {args.fleet_json!r}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ParseError(f"{args.fleet_json!r} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list) or not isinstance(
        data.get("summary"), dict
    ):
        raise ParseError(f"{args.fleet_json!r} is not `pinreset verify --output json` output (summary, hosts)")
    records = [r for r in data["hosts"] if isinstance(r, dict)]
    history = _history(args)
    if history is not None:
        counts = {str(k): int(v) for k, v in dict(data["summary"].get("readiness", {})).items()}
        history.append(counts, source="fleet")
    title = args.title or "PIN reset readiness: fleet check"
    return fleet_html_report(records, data["summary"], history=history, title=title), len(records)


def run(args: argparse.Namespace) -> int:
    """Build the report from the chosen source and write it."""
    if args.dsregcmd_dir and (args.demo or args.fleet_json):
        args.parser.error("--dsregcmd-dir applies to a tenant report only (not with --demo or --fleet-json)")
    if args.fleet_json:
        page, count = _fleet_page(args)
        what = "host(s)"
    elif args.demo:
        page, count = _demo_page(args)
        what = "device(s)"
    else:
        page, count = _env_tenant_page(args)
        what = "device(s)"
    try:
        Path(args.html).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot write {args.html!r}: {exc.strerror or exc}") from exc
    print(f"wrote {args.html} ({count} {what})", file=sys.stderr)
    return ExitCode.OK
