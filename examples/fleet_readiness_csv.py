"""Check Windows hosts over WinRM and write one CSV row per host: is each signed-in user's PIN reset ready?

Each host's device facts (join state, OS build, the effective PIN recovery policy and its source) and each
signed-in user's own ``dsregcmd /status`` (read in their session) become one row; the columns are
``pinreset.remote.RECORD_COLUMNS`` (docs/remote-verification.md). Hosts come from arguments, ``--hosts-file``, or
the tenant's managed Windows devices (``--from-intune``, which also needs the tenant credentials below).

The WinRM account comes from ``PINRESET_WINRM_USERNAME`` / ``PINRESET_WINRM_PASSWORD`` and the CA to trust from
``PINRESET_WINRM_CA_BUNDLE`` (or ``--ca-bundle``); ``pinreset emulator serve --winrm-hosts 5`` prints all three
in its ``env``, and the hosts' addresses under ``winrm.hosts``::

    python examples/fleet_readiness_csv.py 127.0.10.1:50001 127.0.10.2:50002 --output readiness.csv
    python examples/fleet_readiness_csv.py --hosts-file hosts.txt --dns-suffix corp.contoso.com -o readiness.csv

Exit codes: 0 every host is ok and ready; 1 some host is not (see the CSV); 2 usage; 3 error.
"""

from __future__ import annotations

import argparse
import os
import sys

import pinreset
from pinreset.remote import (
    FleetReport,
    HostSpec,
    WinRMConnection,
    check_fleet,
    hosts_from_file,
    hosts_from_intune,
    parse_hosts,
)


def _intune_hosts(dns_suffix: str | None) -> list[HostSpec]:
    from pinreset.backends.graph import GraphBackend

    with GraphBackend.from_environment() as backend:
        devices = list(backend.list_managed_devices(pinreset.DeviceFilter()))
    return list(hosts_from_intune(lambda: devices, dns_suffix=dns_suffix))


def main(argv: list[str] | None = None) -> int:
    """Check the hosts and write the CSV."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("hosts", nargs="*", metavar="HOST", help="host, host:port or [IPv6]:port")
    parser.add_argument("--hosts-file", metavar="F", help="one host per line")
    parser.add_argument("--from-intune", action="store_true", help="the tenant's managed Windows devices")
    parser.add_argument("--dns-suffix", metavar="S", help="with --from-intune: append .S to device names")
    parser.add_argument("--output", "-o", default="-", metavar="FILE.csv", help="default: standard output")
    parser.add_argument("--auth", default="negotiate", choices=("negotiate", "ntlm", "kerberos"))
    parser.add_argument("--ca-bundle", default=os.environ.get("PINRESET_WINRM_CA_BUNDLE"), metavar="F")
    parser.add_argument("--concurrency", type=int, default=16, metavar="N")
    parser.add_argument("--deadline", type=float, default=60.0, metavar="S", help="seconds per host")
    args = parser.parse_args(argv)
    try:
        hosts = parse_hosts(args.hosts)
        if args.hosts_file:
            hosts.extend(hosts_from_file(args.hosts_file))
        if args.from_intune:
            hosts.extend(_intune_hosts(args.dns_suffix))
        if not hosts:
            parser.error("no hosts: give HOST arguments, --hosts-file or --from-intune")
        connection = WinRMConnection(
            username=os.environ.get("PINRESET_WINRM_USERNAME"),
            password=os.environ.get("PINRESET_WINRM_PASSWORD"),
            auth=args.auth,
            ca_bundle=args.ca_bundle,
        )
        report = FleetReport.collect(
            check_fleet(hosts, connection=connection, concurrency=args.concurrency, deadline=args.deadline),
            progress=sys.stderr.isatty(), total=len(hosts),
        )
    except pinreset.PinresetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    report.write_csv(sys.stdout if args.output == "-" else args.output)
    print(report, file=sys.stderr)
    return 0 if report.all_ready else 1


if __name__ == "__main__":
    sys.exit(main())
