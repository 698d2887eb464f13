"""``pinreset emulator serve``: run the tenant emulator on loopback until interrupted.

When the server is ready it prints exactly one JSON line on stdout -- URLs, credentials, CA file and the
environment under which pinreset talks to it -- so scripts can read one line and go::

    pinreset emulator serve --port 0 | head -n1 | jq .env

Logs, if any, go to stderr. SIGINT and SIGTERM stop the server cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import sys
import threading
from typing import Any

from pinreset.cli._exit import ExitCode
from pinreset.exceptions import ConfigurationError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``emulator`` and its ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "emulator",
        help="run the Microsoft Graph / Intune / Entra sign-in emulator",
        description="A simulated tenant behind Graph and identity endpoints, for tests and demos without a tenant.",
    )
    actions = parser.add_subparsers(dest="emulator_command", metavar="ACTION")
    actions.required = True
    serve = actions.add_parser(
        "serve",
        help="serve on loopback until interrupted",
        description="Serve the emulator; print one JSON line (URLs, credentials, CA file, env) when ready.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, chosen by the OS)")
    serve.add_argument("--devices", type=int, default=25, help="simulated Windows devices (default: 25)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the simulated tenant (default: 0)")
    serve.add_argument("--federated", action="store_true", help="make the tenant's domain federated")
    serve.add_argument("--throttling", action="store_true", help="answer 429 beyond Intune's documented limits")
    serve.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="F",
        help="fraction of Graph requests given a 5xx, delay, dropped connection or truncated body (default: 0)",
    )
    serve.add_argument(
        "--device-code-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds until device code sign-ins are approved (default: 1)",
    )
    serve.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="NAME=PERMISSION[,PERMISSION…]",
        help="also register an app with only these Graph permissions (repeatable; printed under 'apps')",
    )
    serve.add_argument("--http", action="store_true", help="serve plain HTTP instead of HTTPS (tests only)")
    serve.add_argument(
        "--winrm-hosts",
        type=int,
        default=0,
        metavar="N",
        help="also serve N simulated WinRM hosts for the first joined devices (printed under 'winrm'; default: 0)",
    )
    serve.add_argument(
        "--winrm-misbehave",
        action="append",
        default=[],
        metavar="HOST=MODE[,MODE…]",
        help="make a WinRM host (device name, 0-based index or *) misbehave: refuse, reject_credentials, hang, "
        "garbage, truncate, drop, slow[:SECONDS], no_user (repeatable)",
    )
    serve.add_argument(
        "--winrm-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="added latency per request on every WinRM host (default: 0)",
    )
    serve.add_argument(
        "--admin-host",
        action="store_true",
        help="also serve an admin host running pwsh 7.4 with the Microsoft Graph PowerShell modules "
        "(printed under 'admin_host'; env PINRESET_PS_HOST)",
    )
    serve.add_argument(
        "--admin-host-module",
        action="append",
        default=[],
        metavar="MODULE=VERSION",
        help="install MODULE at VERSION on the admin host, or leave it out with VERSION 'none' (repeatable)",
    )
    serve.set_defaults(handler=_serve)


def _admin_modules(specs: list[str]) -> dict[str, str | None]:
    modules: dict[str, str | None] = {}
    for spec in specs:
        name, sep, version = spec.partition("=")
        if not sep or not name.strip() or not version.strip():
            raise ConfigurationError(f"--admin-host-module expects MODULE=VERSION, not {spec!r}")
        modules[name.strip()] = None if version.strip().lower() == "none" else version.strip()
    return modules


def _parse_app(spec: str) -> tuple[str, list[str]]:
    name, sep, permissions = spec.partition("=")
    if not sep or not name.strip():
        raise ConfigurationError(f"--app expects NAME=PERMISSION[,PERMISSION…], not {spec!r}")
    return name.strip(), [p.strip() for p in permissions.split(",") if p.strip()]


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    from pinreset.emulator import Emulator, FaultConfig

    if not 0.0 <= args.fault_rate <= 1.0:
        raise ConfigurationError(f"--fault-rate must be between 0 and 1, not {args.fault_rate}")
    apps = [_parse_app(spec) for spec in args.app]
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emulator = Emulator(
        devices=args.devices,
        seed=args.seed,
        federated=args.federated,
        throttling=args.throttling,
        faults=FaultConfig(rate=args.fault_rate, seed=args.seed) if args.fault_rate > 0 else None,
        scheme="http" if args.http else "https",
        host=args.host,
        port=args.port,
        device_code_delay=args.device_code_delay,
        winrm_hosts=args.winrm_hosts,
        admin_host={"modules": _admin_modules(args.admin_host_module)} if args.admin_host else False,
    )
    if args.admin_host_module and not args.admin_host:
        raise ConfigurationError("--admin-host-module needs --admin-host")
    if emulator.winrm is not None:
        from pinreset.emulator.winrm._options import apply_misbehaviours

        apply_misbehaviours(emulator.winrm, args.winrm_misbehave, latency=args.winrm_latency)
    elif args.winrm_misbehave or args.winrm_latency:
        raise ConfigurationError("--winrm-misbehave and --winrm-latency need --winrm-hosts")
    registered = [emulator.register_app(permissions=perms, name=name) for name, perms in apps]
    if not _is_loopback(args.host):
        print(
            f"pinreset: warning: serving on {args.host}, not a loopback address: anyone who can reach it can sign in "
            "with the printed credentials",
            file=sys.stderr,
        )
    emulator.start()
    try:
        line = emulator.describe()
        line["federated"] = args.federated
        line["throttling"] = args.throttling
        line["fault_rate"] = args.fault_rate
        line["apps"] = [
            {
                "name": app.name,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "permissions": sorted(app.permissions),
            }
            for app in registered
        ]
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        # Event.wait with a timeout keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return ExitCode.OK
