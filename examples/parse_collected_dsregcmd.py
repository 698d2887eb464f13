"""Summarise a folder of collected ``dsregcmd /status`` outputs as CSV: one row per file, with its verdict.

Outputs collected from devices (``dsregcmd /status > %COMPUTERNAME%.txt`` in a logon script, an Intune
remediation, a support ticket) arrive in UTF-16 (PowerShell's ``>``), UTF-8 or the OEM code page; each is read
with ``pinreset.parse_dsregcmd_bytes`` and judged with ``pinreset.assess``. Columns:
``pinreset.reports.COLLECTED_COLUMNS`` (file, device_name, join_type, ngc_set, can_reset, verdict, reason, error;
see docs/reports.md). Reads local files only: no tenant or credentials needed::

    python examples/parse_collected_dsregcmd.py \\\\fileserver\\dsreg$ --output summary.csv
    python examples/parse_collected_dsregcmd.py ./collected --pattern "*.log"

Exit codes: 0 every file was read; 1 some file could not be read (its row has the error); 2 usage; 3 error.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import pinreset
from pinreset.reports import COLLECTED_COLUMNS, write_csv


def main(argv: list[str] | None = None) -> int:
    """Read the folder and write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="directory holding the collected outputs")
    parser.add_argument("--pattern", default="*.txt", help="which files (default: *.txt)")
    parser.add_argument("--output", "-o", default="-", metavar="FILE.csv", help="default: standard output")
    args = parser.parse_args(argv)
    try:
        outputs = pinreset.read_dsregcmd_folder(args.folder, args.pattern)
        records = [o.to_record() for o in outputs]
        write_csv(records, COLLECTED_COLUMNS, sys.stdout if args.output == "-" else args.output)
    except pinreset.PinresetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    verdicts = Counter(r["verdict"] or "unreadable" for r in records)
    print(f"{len(records)} file(s): " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()), file=sys.stderr)
    return 1 if any(o.error for o in outputs) else 0


if __name__ == "__main__":
    sys.exit(main())
