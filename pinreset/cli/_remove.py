"""``pinreset remove``: delete what pinreset created (its marked policies), nothing else."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pinreset.cli._apply import confirm
from pinreset.cli._exit import ExitCode
from pinreset.cli._tenant_opts import add_output_option, add_tenant_options, open_backend
from pinreset.cli._views import show_remove
from pinreset.exceptions import ApplyError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``remove`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "remove",
        help="delete pinreset's policies (marked objects only)",
        description="Delete every policy whose description carries pinreset's marker. Hand-made policies and the "
        "Microsoft PIN reset service principals are left alone.",
        epilog="Exit codes: 0 removed (or nothing to remove), 1 declined, 2 usage (or no terminal and no --yes), "
        "3 error, 4 authentication failed.",
    )
    add_tenant_options(parser)
    add_output_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    parser.add_argument("--yes", "-y", action="store_true", help="delete without asking")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List, confirm, delete."""
    from pinreset.deploy import RemoveResult, remove

    with open_backend(args) as backend:
        preview = remove(backend, dry_run=True)
        if args.dry_run or not preview.policies:
            show_remove(preview, args.output)
            return ExitCode.OK
        if not args.yes:
            show_remove(preview, "table", sys.stderr)
            answer = confirm(f"Delete {len(preview.policies)} policy(ies)?")
            if answer is None:
                print("pinreset: remove needs confirmation: no terminal to ask on; pass --yes", file=sys.stderr)
                return ExitCode.USAGE
            if not answer:
                print("pinreset: remove declined; nothing deleted", file=sys.stderr)
                return ExitCode.NOT_READY
        try:
            result = remove(backend)
        except ApplyError as exc:
            if isinstance(exc.result, RemoveResult):
                show_remove(exc.result, args.output)
            print(f"pinreset: error: {exc}", file=sys.stderr)
            return ExitCode.ERROR
    show_remove(result, args.output)
    return ExitCode.OK
