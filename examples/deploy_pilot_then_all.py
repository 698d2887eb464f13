"""Roll non-destructive PIN reset out in two stages: a pilot group first, then all users.

Stage ``pilot`` assigns pinreset's policy to the pilot group (minus exclusions) and syncs the pilot's devices.
Stage ``all`` first checks the pilot: when fewer than ``--min-succeeded`` of the devices Intune reports on show
``succeeded`` for the policy (``not_applicable`` ones left out), it stops with exit code 1 (run it again later, or
pass ``--force``); otherwise it widens the assignment to all users and syncs every targeted device.

Credentials come from the environment, as pinreset's default credential reads them: ``AZURE_TENANT_ID``,
``AZURE_CLIENT_ID`` and ``AZURE_CLIENT_SECRET`` (or ``AZURE_CLIENT_CERTIFICATE_PATH``) for a real tenant, or the
``env`` object that ``pinreset emulator serve`` prints, to try it without one::

    pinreset emulator serve > /tmp/emulator.json &
    eval "$(jq -r '.env | to_entries[] | "export \\(.key)=\\(.value)"' /tmp/emulator.json)"
    python examples/deploy_pilot_then_all.py --pilot-group "PIN Reset Pilot" --stage pilot
    python examples/deploy_pilot_then_all.py --pilot-group "PIN Reset Pilot" --stage all

Exit codes: 0 the stage is done (or, with ``--dry-run``, planned), 1 the pilot is not healthy yet, 3 error.
"""

from __future__ import annotations

import argparse
import sys

import pinreset
from pinreset.backends.graph import GraphBackend


def _desired(args: argparse.Namespace, *, everyone: bool) -> pinreset.DesiredState:
    exclude = pinreset.Groups(*args.exclude) if args.exclude else None
    assign_to = pinreset.AllUsers() if everyone else pinreset.Groups(args.pilot_group)
    return pinreset.DesiredState(assign_to=assign_to, exclude=exclude)


def _pilot_health(backend: GraphBackend, args: argparse.Namespace) -> tuple[float, str]:
    """The share of reported pilot devices whose policy state is ``succeeded``, and the counts in words."""
    report = pinreset.status(backend, _desired(args, everyone=False))
    states = dict(report.devices.by_policy_state) if report.devices else {}
    # Devices the policy does not apply to (an old build, say) can never succeed: leave them out of the share.
    reported = sum(v for k, v in states.items() if k != "not_applicable")
    share = states.get("succeeded", 0) / reported if reported else 0.0
    words = ", ".join(f"{k} {v}" for k, v in states.items()) or "no device reported yet"
    return share, words


def _deploy(backend: GraphBackend, desired: pinreset.DesiredState, dry_run: bool) -> None:
    planned = pinreset.plan(backend, desired)
    print(planned)
    if dry_run:
        return
    result = pinreset.apply(backend, planned)
    print(result)
    synced = pinreset.sync_devices(backend, desired)
    counts = ", ".join(f"{k} {v}" for k, v in synced.counts().items()) or "no device targeted"
    print(f"synced {len(synced.sync)} device(s): {counts}")


def main(argv: list[str] | None = None) -> int:
    """Run one stage of the roll-out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pilot-group", required=True, metavar="NAME", help="the pilot group's display name")
    parser.add_argument("--exclude", action="append", metavar="NAME", help="a group to exclude; repeatable")
    parser.add_argument("--stage", choices=("pilot", "all"), default="pilot", help="default: pilot")
    parser.add_argument(
        "--min-succeeded", type=float, default=0.9, metavar="F",
        help="stage all: share of the pilot's reported devices that must show succeeded (default 0.9)",
    )
    parser.add_argument("--force", action="store_true", help="stage all: skip the pilot health check")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    args = parser.parse_args(argv)
    try:
        with GraphBackend.from_environment() as backend:
            if args.stage == "pilot":
                print(f"Stage pilot: assign to group {args.pilot_group!r}")
                _deploy(backend, _desired(args, everyone=False), args.dry_run)
                return 0
            share, words = _pilot_health(backend, args)
            print(f"Pilot health: {share:.0%} succeeded ({words})")
            if share < args.min_succeeded and not args.force:
                print(f"The pilot is below {args.min_succeeded:.0%}: not widening yet (run again later, or --force)")
                return 1
            print("Stage all: assign to all users")
            _deploy(backend, _desired(args, everyone=True), args.dry_run)
            return 0
    except pinreset.PinresetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
