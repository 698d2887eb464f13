"""``pinreset plan``: show what ``apply`` would change, without changing anything."""

from __future__ import annotations

import argparse
from typing import Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._tenant_opts import (
    add_desired_options,
    add_output_option,
    add_tenant_options,
    desired_with_defaults,
    open_backend,
)
from pinreset.cli._views import show_plan

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``plan`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "plan",
        help="show the changes apply would make (reads only)",
        description="Compare the tenant with the desired state and list the changes `pinreset apply` would make. "
        "Reads only. With --output json, prints an object whose `changes` list is empty when the tenant is in "
        "the desired state.",
        epilog="Exit codes: 0 planned (with --check: no changes pending), 1 with --check: changes pending, "
        "2 usage, 3 error, 4 authentication failed.",
    )
    add_desired_options(parser)
    add_tenant_options(parser)
    add_output_option(parser)
    parser.add_argument("--check", action="store_true", help="exit 1 when changes are pending")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Plan and show the plan."""
    from pinreset.deploy import plan

    desired = desired_with_defaults(args)
    with open_backend(args) as backend:
        result = plan(backend, desired)
    show_plan(result, args.output)
    return ExitCode.NOT_READY if args.check and result.changes else ExitCode.OK
