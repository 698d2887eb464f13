"""The ``pinreset`` command line: parse arguments, call the library, render the result.

Each subcommand lives in its own module ``pinreset.cli._<name>`` with a ``register(subparsers)`` function
that adds its parser and sets ``handler`` to a function taking the parsed namespace and returning an exit
code. Modules are imported only when the command line is built, so ``import pinreset`` stays cheap.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pinreset._version import __version__
from pinreset.cli._exit import ExitCode, UsageError
from pinreset.exceptions import AuthenticationError, PinresetError

__all__ = ["ExitCode", "build_parser", "main"]

# Subcommand modules, in the order ``pinreset --help`` lists them.
_COMMANDS: tuple[str, ...] = (
    "dsregcmd",
    "verify",
    "status",
    "plan",
    "apply",
    "sync",
    "remove",
    "consent-urls",
    "demo",
    "report",
    "emulator",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="pinreset",
        description="Deploy and verify Windows Hello for Business non-destructive PIN reset.",
        epilog="Exit codes: 0 ok/ready, 1 not ready or drift, 2 usage, 3 error, 4 authentication failed.",
    )
    parser.add_argument("--version", action="version", version=f"pinreset {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in _COMMANDS:
        importlib.import_module(f"pinreset.cli._{name.replace('-', '_')}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (see :mod:`pinreset.cli._exit`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("pinreset: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except UsageError as exc:
        print(f"pinreset {args.command}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except AuthenticationError as exc:
        print(f"pinreset: authentication failed: {exc}", file=sys.stderr)
        return ExitCode.AUTH
    except PinresetError as exc:
        print(f"pinreset: error: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    except BrokenPipeError:
        # `pinreset … | head` closes stdout early; that is not an error worth a traceback.
        return ExitCode.OK
