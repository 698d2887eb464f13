"""``pinreset dsregcmd``: read a ``dsregcmd /status`` capture and say whether non-destructive PIN reset is ready.

Reads the bytes of a file (or standard input), detects the encoding, prints every section as printed and the
verdict of :func:`pinreset.assess` (``--format table``), or one JSON object
``{"status": {...}, "readiness": {"verdict": ..., "reasons": [...]}}`` (``--format json``).

Exit codes: 0 ready, 1 any other verdict, 2 usage, 3 missing or unreadable file, or text that is not dsregcmd
output (one line on standard error).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pinreset.cli._exit import ExitCode
from pinreset.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pinreset.dsreg import DsregStatus, Readiness

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``dsregcmd`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "dsregcmd",
        help="read a dsregcmd /status capture and judge PIN reset readiness",
        description=(
            "Read the output of 'dsregcmd /status' (a file, a paste, or standard input; UTF-16 or UTF-8 or the "
            "OEM code page), print its sections and whether the user's Windows Hello container supports "
            "non-destructive PIN reset."
        ),
        epilog="Exit codes: 0 ready, 1 not ready (any other verdict), 2 usage, 3 unreadable or not dsregcmd output.",
    )
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="the captured output; '-' or none for standard input"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table", help="default: table")
    parser.add_argument("--encoding", metavar="CODEC", help="decode with CODEC instead of detecting it")
    parser.set_defaults(handler=run)


def _read(name: str) -> bytes:
    if name == "-":
        if sys.stdin is None:  # started with standard input closed (e.g. by a service manager)
            raise ConfigurationError("no standard input to read: name a FILE")
        if sys.stdin.isatty():
            # Pasting into the terminal is a fine way to use this command; say how to finish.
            print("Paste the dsregcmd /status output, then press Ctrl-D (Ctrl-Z, Enter on Windows).", file=sys.stderr)
        try:
            return sys.stdin.buffer.read()
        except OSError as exc:
            raise ConfigurationError(f"cannot read standard input: {exc.strerror or exc}; name a FILE") from exc
    path = Path(name)
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ConfigurationError(f"cannot read {name}: {reason}") from exc


def run(args: argparse.Namespace) -> int:
    """Parse, assess and print; the exit code says ready (0) or not (1)."""
    from pinreset.dsreg import assess, parse_dsregcmd_bytes

    status = parse_dsregcmd_bytes(_read(args.file), encoding=args.encoding)
    readiness = assess(status)
    if args.format == "json":
        document = {
            "status": status.to_dict(),
            "readiness": {"verdict": readiness.verdict.value, "reasons": list(readiness.reasons)},
        }
        json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_table(status, readiness, sys.stdout)
    return ExitCode.OK if readiness.ready else ExitCode.NOT_READY


def _print_table(status: DsregStatus, readiness: Readiness, out: IO[str]) -> None:
    for title, items in status.sections.items():
        out.write(f"{title}\n")
        width = max((len(key) for key in items), default=0)
        for key, value in items.items():
            out.write(f"  {key:<{width}}  {value}\n".rstrip() + "\n")
        out.write("\n")
    user = status.user_state
    can_reset = user.can_reset.value if user is not None and user.can_reset is not None else "not printed"
    out.write(f"Join type:  {status.join_type.value}\n")
    out.write(f"CanReset:   {can_reset}\n")
    out.write(f"Verdict:    {readiness.verdict.value}\n")
    for reason in readiness.reasons:
        out.write(f"  - {reason}\n")
