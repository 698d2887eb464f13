"""``pinreset sync``: sync the targeted Windows devices, and restart them only with ``--restart``."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._progress import Progress
from pinreset.cli._tenant_opts import (
    add_desired_options,
    add_output_option,
    add_tenant_options,
    desired_from_args,
    open_backend,
)
from pinreset.cli._views import show_sync
from pinreset.exceptions import ConfigurationError

__all__ = ["register"]


def _timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def register(subparsers: Any) -> None:
    """Add the ``sync`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sync",
        help="sync (and with --restart, restart) the targeted devices",
        description="Send a sync to the Windows devices the policy targets (devices whose primary user is in "
        "the assignment, minus exclusions), or to one group's or named devices. Devices create their PIN "
        "recovery protector after a restart; --restart sends one (users lose unsaved work). One result per "
        "device.",
        epilog="Exit codes: 0 every device succeeded, 1 some failed or were not found, 2 usage, 3 error, "
        "4 authentication failed.",
    )
    parser.add_argument("--restart", action="store_true", help="also restart each synced device")
    parser.add_argument("--group", metavar="NAME", help="only devices of this group's members")
    parser.add_argument("--device", action="append", metavar="NAME", help="only this device; repeatable")
    parser.add_argument(
        "--skip-synced-since", type=_timestamp, metavar="TIME",
        help="leave out devices that checked in at or after TIME (ISO 8601; resume a long run)",
    )
    add_desired_options(parser)
    add_tenant_options(parser)
    add_output_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Select devices, sync, optionally restart, show one row per device."""
    from pinreset.deploy import sync_devices

    if args.group and args.device:
        raise ConfigurationError("--group and --device cannot be combined")
    desired = desired_from_args(args)
    with open_backend(args) as backend, Progress("devices") as progress:
        result = sync_devices(
            backend,
            desired,
            restart=args.restart,
            device_names=args.device,
            group=args.group,
            skip_synced_since=args.skip_synced_since,
            progress=progress,
        )
    show_sync(result, args.output)
    return ExitCode.OK if result.complete else ExitCode.NOT_READY
