"""``pinreset apply``: bring the tenant to the desired state, after showing the plan and asking.

Unattended runs pass ``--yes``; without it and without a terminal to ask on, apply refuses (exit 2) rather
than change a tenant nobody confirmed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._tenant_opts import (
    add_desired_options,
    add_output_option,
    add_tenant_options,
    desired_with_defaults,
    open_backend,
)
from pinreset.cli._views import show_apply, show_plan
from pinreset.exceptions import ApplyError

__all__ = ["confirm", "register"]


def register(subparsers: Any) -> None:
    """Add the ``apply`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "apply",
        help="create or fix the PIN reset apps and policy",
        description="Plan, show the plan, ask, then apply it: create missing PIN reset service principals, "
        "create or fix pinreset's policy and its assignment. Idempotent: a second run changes nothing; after a "
        "failure, run it again to resume.",
        epilog="Exit codes: 0 applied or nothing to do, 1 declined, 2 usage (or no terminal and no --yes), "
        "3 error (partial result shown), 4 authentication failed.",
    )
    add_desired_options(parser)
    add_tenant_options(parser)
    add_output_option(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="apply without asking (for unattended runs)")
    parser.set_defaults(handler=run)


def confirm(question: str) -> bool | None:
    """Ask on the terminal; ``None`` when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    """Plan, confirm, apply, show the outcome."""
    from pinreset.deploy import apply, plan

    desired = desired_with_defaults(args)
    with open_backend(args) as backend:
        planned = plan(backend, desired)
        if planned.changes and not args.yes:
            show_plan(planned, "table", sys.stderr)
            answer = confirm(f"Apply {len(planned.changes)} change(s)?")
            if answer is None:
                print("pinreset: apply needs confirmation: no terminal to ask on; pass --yes for unattended runs",
                      file=sys.stderr)
                return ExitCode.USAGE
            if not answer:
                print("pinreset: apply declined; nothing changed", file=sys.stderr)
                return ExitCode.NOT_READY
        try:
            result = apply(backend, planned)
        except ApplyError as exc:
            if exc.result is not None:
                show_apply(exc.result, args.output)  # type: ignore[arg-type]
            print(f"pinreset: error: {exc}", file=sys.stderr)
            return ExitCode.ERROR
    show_apply(result, args.output)
    return ExitCode.OK
