"""``pinreset status``: is the tenant ready for non-destructive PIN reset; ``--check`` for schedulers."""

from __future__ import annotations

import argparse
from typing import Any

from pinreset.cli._exit import ExitCode, UsageError
from pinreset.cli._progress import Progress
from pinreset.cli._tenant_opts import (
    add_desired_options,
    add_output_option,
    add_tenant_options,
    desired_from_args,
    open_backend,
)
from pinreset.cli._views import show_status

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``status`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "status",
        help="report apps, policy, drift, conflicts and devices",
        description="Report both PIN reset apps, pinreset's policy (drift, assignment), conflicting policies "
        "elsewhere, federation without web sign-in URLs, and devices by Intune policy state and eligibility. "
        "Desired-state options, when given, are judged too (assignment, name, URLs).",
        epilog="Exit codes: 0 reported (with --check: ready), 1 with --check: drift or not ready, 2 usage, "
        "3 error, 4 authentication failed.",
    )
    add_desired_options(parser, defaults=False)
    add_tenant_options(parser)
    add_output_option(parser)
    parser.add_argument("--check", action="store_true", help="exit 1 when not ready or drifted (for schedulers)")
    parser.add_argument("--no-devices", action="store_true", help="skip the device inventory pass")
    parser.add_argument(
        "--chart", metavar="FILE.png", help="also write a PNG chart of devices by eligibility and policy state"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the tenant and show the report."""
    from pinreset.deploy import status

    if args.chart and args.no_devices:
        raise UsageError("--chart needs the device pass: drop --no-devices")
    desired = desired_from_args(args)
    with open_backend(args) as backend, Progress("reading devices") as progress:
        report = status(backend, desired, devices=not args.no_devices, progress=progress)
    show_status(report, args.output)
    if args.chart:
        from pinreset.reports._charts import save

        save(report.plot(), args.chart)
    return ExitCode.NOT_READY if args.check and not report.ready else ExitCode.OK
