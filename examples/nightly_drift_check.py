"""Nightly check for a scheduler: is the tenant still ready for non-destructive PIN reset?

Reads the tenant (apps, pinreset's policy and its assignment, conflicting policies, federation) and exits 1 when
anything drifted or stands in the way, so cron, Task Scheduler or a CI job can alert on it. It only reads.
With ``--history FILE`` it also counts devices by eligibility and appends the counts to a JSON-lines history
(chart it with ``pinreset.ReadinessHistory(FILE).plot()`` or ``pinreset report --history FILE``).

Credentials come from the environment, as pinreset's default credential reads them: ``AZURE_TENANT_ID``,
``AZURE_CLIENT_ID`` and ``AZURE_CLIENT_SECRET`` (or ``AZURE_CLIENT_CERTIFICATE_PATH``) for a real tenant, or the
``env`` object that ``pinreset emulator serve`` prints::

    python examples/nightly_drift_check.py --group "PIN Reset Pilot" --json
    # crontab: 0 2 * * *  cd /opt/pinreset && .venv/bin/python examples/nightly_drift_check.py || notify-admins

Exit codes: 0 ready, no drift; 1 drift or not ready; 3 error (tenant unreadable, bad option); 4 sign-in refused.
"""

from __future__ import annotations

import argparse
import json
import sys

import pinreset
from pinreset.backends.graph import GraphBackend


def main(argv: list[str] | None = None) -> int:
    """Check once and return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--group", action="append", metavar="NAME",
        help="the policy should be assigned to this group; repeatable (default: all users)",
    )
    parser.add_argument("--exclude", action="append", metavar="NAME", help="an excluded group; repeatable")
    parser.add_argument("--history", metavar="FILE", help="also count devices and append them to this JSON-lines file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    try:
        desired = pinreset.DesiredState(
            assign_to=pinreset.Groups(*args.group) if args.group else pinreset.AllUsers(),
            exclude=pinreset.Groups(*args.exclude) if args.exclude else None,
        )
        with GraphBackend.from_environment() as backend:
            report = pinreset.status(backend, desired, devices=bool(args.history))
        if args.history:
            pinreset.ReadinessHistory(args.history).record(report)
    except pinreset.AuthenticationError as exc:
        print(f"sign-in refused: {exc}", file=sys.stderr)
        return 4
    except pinreset.PinresetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps({"ready": report.ready, "problems": list(report.problems),
                          "policy_state": report.policy.state.value}))
    else:
        print(report)
    return 0 if report.ready else 1


if __name__ == "__main__":
    sys.exit(main())
