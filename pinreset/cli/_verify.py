"""``pinreset verify``: check hosts over WinRM/PSRP and report each signed-in user's own PIN reset readiness.

The password comes from ``PINRESET_WINRM_PASSWORD`` or a prompt, never from the command line (where it would
show in process listings and shell history).
"""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pinreset.cli._exit import ExitCode
from pinreset.exceptions import ConfigurationError

if TYPE_CHECKING:
    from pinreset.remote import DeviceCheck, HostSpec, WinRMConnection

__all__ = ["register"]

_ENV_USERNAME = "PINRESET_WINRM_USERNAME"
_ENV_PASSWORD = "PINRESET_WINRM_PASSWORD"  # noqa: S105 - the variable's name, not a secret
_ENV_CA_BUNDLE = "PINRESET_WINRM_CA_BUNDLE"


def register(subparsers: Any) -> None:
    """Add the ``verify`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="check devices remotely over WinRM/PSRP",
        description=(
            "Check Windows hosts over WinRM/PSRP: device facts (join state, OS build, effective PIN recovery "
            "policy and its source, recovery-key events) and each signed-in user's own dsregcmd state, read "
            "in their session through a one-shot scheduled task. The password is read from "
            f"{_ENV_PASSWORD} or prompted for."
        ),
        epilog="Exit codes: 0 every host ok and ready, 1 otherwise, 2 usage, 3 error.",
    )
    parser.add_argument("hosts", nargs="*", metavar="HOST", help="host, host:port or [IPv6]:port")
    parser.add_argument("--hosts-file", metavar="F", help="file with one host per line (# comments allowed)")
    parser.add_argument("--hosts-csv", metavar="F", help="CSV with a host, address or device_name column")
    parser.add_argument("--from-intune", action="store_true", help="check the tenant's managed Windows devices")
    parser.add_argument("--group", metavar="G", help="with --from-intune: only devices (or users' devices) in G")
    parser.add_argument("--dns-suffix", metavar="S", help="with --from-intune: append .S to device names")
    parser.add_argument("--transport", choices=("https", "http"), default="https", help="default: https (5986)")
    parser.add_argument("--port", type=int, help="port for hosts that do not name one")
    parser.add_argument(
        "--auth",
        choices=("negotiate", "ntlm", "kerberos", "certificate", "credssp", "basic"),
        default="negotiate",
        help="default: negotiate; basic only over https; credssp needs --insecure-allow-credssp",
    )
    parser.add_argument(
        "--ca-bundle",
        metavar="F",
        default=os.environ.get(_ENV_CA_BUNDLE) or None,
        help=f"PEM file of CAs to trust (default: ${_ENV_CA_BUNDLE}, else the system store)",
    )
    parser.add_argument("--certificate", metavar="F", help="client certificate (PEM) for --auth certificate")
    parser.add_argument("--certificate-key", metavar="F", help="its private key (PEM)")
    parser.add_argument(
        "--insecure-allow-credssp",
        action="store_true",
        help="allow CredSSP, which hands your password to every host",
    )
    parser.add_argument("--username", default=None, help=f"account to connect as (default: ${_ENV_USERNAME})")
    parser.add_argument("--concurrency", type=int, default=16, metavar="N", help="hosts at a time (default 16)")
    parser.add_argument("--deadline", type=float, default=60.0, metavar="S", help="seconds per host (default 60)")
    parser.add_argument("--no-proxy", action="store_true", help="ignore HTTP(S)_PROXY from the environment")
    parser.add_argument(
        "--device-only",
        action="store_true",
        help="skip the signed-in users' own state (no scheduled task is created)",
    )
    parser.add_argument("--output", choices=("table", "json", "csv"), default="table", help="default: table")
    parser.add_argument(
        "--chart", metavar="FILE.png", help="also write a PNG chart of hosts by readiness and outcome"
    )
    parser.set_defaults(handler=_run, parser=parser)


def _password(username: str | None) -> str | None:
    password = os.environ.get(_ENV_PASSWORD)
    if password is not None or username is None:
        return password
    if not sys.stdin.isatty():
        raise ConfigurationError(f"no password: set {_ENV_PASSWORD} or run in a terminal to be prompted")
    return getpass.getpass(f"Password for {username}: ")


def _connection(args: argparse.Namespace) -> WinRMConnection:
    from pinreset.remote import WinRMConnection

    username = args.username or os.environ.get(_ENV_USERNAME) or None
    password = _password(username) if args.auth != "certificate" else None
    return WinRMConnection(
        username=username,
        password=password,
        transport=args.transport,
        port=args.port,
        auth=args.auth,
        ca_bundle=args.ca_bundle,
        allow_credssp=args.insecure_allow_credssp,
        certificate_pem=args.certificate,
        certificate_key_pem=args.certificate_key,
        no_proxy=args.no_proxy,
    )


def _intune_hosts(args: argparse.Namespace) -> Iterable[HostSpec]:
    """Host names of the tenant's managed Windows devices (optionally one group's), through the Graph backend.

    The tenant and credential come from the environment (``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``,
    ``AZURE_CLIENT_SECRET``, ...), as the library's default credential reads them.
    """
    from pinreset.backends.graph import GraphBackend
    from pinreset.models import DeviceFilter
    from pinreset.remote import hosts_from_intune

    with GraphBackend.from_environment() as backend:
        devices = list(backend.list_managed_devices(DeviceFilter()))
        if args.group:
            groups = backend.find_groups([args.group])
            if args.group not in groups:
                raise ConfigurationError(f"group {args.group!r} not found")
            # A device group lists Entra device objects; a user group lists users: take their primary devices.
            members = set(backend.list_group_member_ids(groups[args.group].id))
            devices = [d for d in devices if members & {d.id, d.azure_ad_device_id, d.user_id}]
    return list(hosts_from_intune(lambda: devices, dns_suffix=args.dns_suffix))


def _hosts(args: argparse.Namespace) -> list[HostSpec]:
    from pinreset.remote import hosts_from_csv, hosts_from_file, parse_hosts

    try:
        hosts = parse_hosts(args.hosts)
    except ConfigurationError as exc:
        args.parser.error(str(exc))  # a bad argument is a usage error (exit 2); bad files are errors (exit 3)
    if args.group and not args.from_intune:
        args.parser.error("--group only applies with --from-intune")
    if args.hosts_file:
        hosts.extend(hosts_from_file(args.hosts_file))
    if args.hosts_csv:
        hosts.extend(hosts_from_csv(args.hosts_csv))
    if args.from_intune:
        hosts.extend(_intune_hosts(args))
    return hosts


class _Progress:
    """Progress on stderr when it is a terminal: tqdm when installed, else a plain counter."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.enabled = sys.stderr.isatty()
        self.bar: Any = None
        if self.enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit="host", file=sys.stderr, leave=False)
            except ImportError:
                self.bar = None

    def __call__(self, check: DeviceCheck) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(f"{check.host}: {check.outcome.value}", refresh=False)
            self.bar.update(1)
        else:
            print(f"\rchecked {self.done}/{self.total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.done:
            print(file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from pinreset.remote import FleetReport, check_fleet, format_table

    hosts = _hosts(args)
    if not hosts:
        args.parser.error("no hosts: give HOST arguments, --hosts-file, --hosts-csv or --from-intune")
    if args.concurrency < 1 or not (args.deadline > 0 and math.isfinite(args.deadline)):
        args.parser.error("--concurrency and --deadline must be positive")
    connection = _connection(args)
    progress = _Progress(len(hosts))
    results = check_fleet(
        hosts,
        connection=connection,
        concurrency=args.concurrency,
        deadline=args.deadline,
        interactive=not args.device_only,
    )
    try:
        report = FleetReport.collect(results, on_result=progress)
    finally:
        results.close()
        progress.close()
    if args.output == "json":
        sys.stdout.write(report.to_json() + "\n")
    elif args.output == "csv":
        sys.stdout.write(report.to_csv())
    else:
        print(format_table(report.to_records()))
        summary = report.summary()
        outcomes = ", ".join(f"{k} {v}" for k, v in summary["outcomes"].items() if v)
        readiness = ", ".join(f"{k} {v}" for k, v in summary["readiness"].items() if v)
        print(f"\n{summary['hosts']} hosts: {outcomes}; readiness: {readiness}")
        print("CanReset is each signed-in user's own, read in their session; device columns hold for every user.")
    if args.chart:
        from pinreset.reports._charts import save

        save(report.plot(), args.chart)
    return ExitCode.OK if report.all_ready else ExitCode.NOT_READY
