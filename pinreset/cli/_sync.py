"""``pinreset sync``: sync the targeted Windows devices, and restart them only with ``--restart``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinreset.cli._exit import ExitCode, UsageError
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

if TYPE_CHECKING:
    from pinreset.deploy import SyncResult

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
        description="Send a sync to the Windows devices pinreset's policy targets in the tenant (devices whose "
        "primary user is in its assignment, minus exclusions), or to those of the desired-state options, of one "
        "group, or named devices. Devices create their PIN "
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
    parser.add_argument(
        "--retry-failed", metavar="FILE",
        help="re-run only the devices that did not succeed in FILE (the output of `sync --output json`)",
    )
    # No default desired state: without options the targets come from pinreset's policy as assigned in the
    # tenant, so that `sync --restart` after a pilot roll-out restarts the pilot's devices only.
    add_desired_options(parser, defaults=False)
    add_tenant_options(parser)
    add_output_option(parser)
    parser.set_defaults(handler=run)


def _previous(path: str) -> SyncResult:
    """Read an earlier ``sync --output json`` back into a result that ``only_failed`` understands."""
    from pinreset.deploy import SyncResult
    from pinreset.models import ActionOutcome, DeviceAction, DeviceActionResult

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        rows = data["results"]
        results = tuple(
            DeviceActionResult(
                device_id=str(r["device_id"]), action=DeviceAction(r["action"]), outcome=ActionOutcome(r["outcome"]),
                error=r.get("error"),
            )
            for r in rows
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"--retry-failed {path}: not the JSON output of `pinreset sync` ({exc})") from None
    names = {str(r["device_id"]): str(r.get("device_name") or r["device_id"]) for r in rows}
    return SyncResult(devices=names, sync=results)


def run(args: argparse.Namespace) -> int:
    """Select devices, sync, optionally restart, show one row per device."""
    from pinreset.deploy import sync_devices

    if args.group and args.device:
        raise UsageError("--group and --device cannot be combined")
    desired = desired_from_args(args)
    with open_backend(args) as backend, Progress("devices") as progress:
        result = sync_devices(
            backend,
            desired,
            restart=args.restart,
            device_names=args.device,
            group=args.group,
            skip_synced_since=args.skip_synced_since,
            only_failed=_previous(args.retry_failed) if args.retry_failed else None,
            progress=progress,
        )
    show_sync(result, args.output)
    return ExitCode.OK if result.complete else ExitCode.NOT_READY
