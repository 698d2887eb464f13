"""``pinreset demo``: the whole job against an in-process emulated tenant, step by step.

Starts the emulator's HTTPS server on loopback, signs in with msal through the library's own credential, and
runs status -> plan -> apply -> sync -> restart -> device readiness (each simulated device's ``dsregcmd /status``
parsed and assessed) -> remote verification of the hybrid joined devices over WinRM (simulated Windows hosts on
loopback, checked with ``pinreset.remote.check_fleet`` as an admin would check on-premises joined devices). The
same seed gives the same tenant, the same steps and the same summary.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from pinreset.cli._exit import ExitCode
from pinreset.cli._progress import Progress
from pinreset.cli._render import print_json
from pinreset.cli._views import plan_data, show_apply, show_plan, show_status, show_sync, status_data

if TYPE_CHECKING:
    from pinreset.backends import TenantBackend
    from pinreset.emulator import Emulator

__all__ = ["register", "run_demo"]

# Simulated minutes between steps: devices act on a sync or restart at their next tick of the emulated clock.
_SETTLE_SECONDS = 300.0


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run the whole job against a built-in emulated tenant",
        description="Start the tenant emulator in-process (HTTPS on loopback) and run status, plan, apply, sync, "
        "restart and device readiness against it, showing each step. No tenant or network needed.",
        epilog="Exit codes: 0 the demo ran, 2 usage, 3 error.",
    )
    parser.add_argument(
        "--backend", choices=("graph", "powershell"), default="graph",
        help="graph (default), or powershell: drive an emulated admin host's Microsoft Graph PowerShell over PSRP",
    )
    parser.add_argument("--devices", type=int, default=25, metavar="N", help="simulated devices (default: 25)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="tenant seed (default: 1)")
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table", help="default: table")
    parser.set_defaults(handler=run)


def open_emulator_backend(emu: Emulator, backend: str = "graph") -> TenantBackend:
    """A backend for ``emu``, built from its ``env`` as a user's environment would configure it.

    ``graph`` signs in with msal through the default credential; ``powershell`` drives the emulator's admin host
    over PSRP, which signs in to Graph with the certificate in its own store.
    """
    import importlib

    if backend == "powershell":
        return _open_admin_host_backend(emu)
    graph: Any = importlib.import_module("pinreset.backends.graph")
    opened: TenantBackend = graph.GraphBackend.from_environment(environ=emu.env)
    return opened


def _open_admin_host_backend(emu: Emulator) -> TenantBackend:
    from pinreset.backends.powershell import PowerShellBackend
    from pinreset.remote import WinRMConnection

    admin = emu.admin_host
    if admin is None:
        from pinreset.exceptions import EmulatorError

        raise EmulatorError("the emulator serves no admin host: start it with Emulator(admin_host=True)")
    env = {
        **emu.env,
        "PINRESET_PS_SIGN_IN": "certificate",
        "PINRESET_PS_THUMBPRINT": admin.certificate_thumbprint,
        "AZURE_CLIENT_ID": admin.certificate_client_id,
    }
    # Loopback only: no proxy from the environment may take this traffic elsewhere.
    connection = WinRMConnection(
        username=env["PINRESET_WINRM_USERNAME"], password=env["PINRESET_WINRM_PASSWORD"],
        ca_bundle=env.get("PINRESET_WINRM_CA_BUNDLE"), no_proxy=True,
    )
    backend: TenantBackend = PowerShellBackend.from_environment(environ=env, connection=connection)
    return backend


def readiness(emu: Emulator, device_names: list[str]) -> list[dict[str, str]]:
    """Each device's verdict from its simulated ``dsregcmd /status``, read back with pinreset's parser."""
    from pinreset.dsreg import assess, parse_dsregcmd

    rows = []
    for name in device_names:
        result = assess(parse_dsregcmd(emu.tenant.render_dsregcmd(name)))
        reason = result.reasons[0] if result.reasons else ""
        rows.append({"device": name, "verdict": result.verdict.value, "reason": reason})
    return rows


def verify_hybrid_devices(emu: Emulator, device_names: list[str]) -> list[dict[str, Any]]:
    """Check the hybrid joined devices among ``device_names`` over WinRM, as ``pinreset verify`` would.

    Each device gets a simulated Windows host on its own loopback address (HTTPS with the emulator's CA, NTLM);
    the check reads device-scope facts and the signed-in user's own ``CanReset`` in their session.
    """
    from pinreset.emulator.winrm import LiveTenant, WinRMHosts
    from pinreset.remote import WinRMConnection, check_fleet

    hybrid = [n for n in device_names if emu.tenant.device_facts(n).join_type == "hybridAzureADJoined"]
    if not hybrid:
        return []
    with WinRMHosts(LiveTenant(emu), hybrid) as hosts:
        by_host = {f"{i.address}:{i.https_port}": i.device_name for i in hosts.infos()}
        connection = WinRMConnection(
            username=hosts.username, password=hosts.password, ca_bundle=hosts.ca_bundle, no_proxy=True
        )
        rows = [
            {
                "device": by_host.get(check.host, check.host),
                "outcome": check.outcome.value,
                "readiness": check.readiness.value,
                "user_can_reset": check.to_record().get("user_can_reset"),
            }
            for check in check_fleet(list(by_host), connection=connection, concurrency=8)
        ]
    return sorted(rows, key=lambda row: str(row["device"]))


def _heading(out: IO[str], number: int, title: str) -> None:
    out.write(f"\n== {number}. {title}\n")


def run_demo(
    devices: int, seed: int, output: str, out: IO[str] | None = None, backend_name: str = "graph"
) -> dict[str, Any]:
    """Run the demo and return its JSON document (the table form is written to ``out`` as it goes)."""
    from pinreset.deploy import DesiredState, apply, plan, restart_devices, status, sync_devices
    from pinreset.dsreg import Verdict
    from pinreset.emulator import Emulator

    out = out or sys.stdout
    table = output == "table"
    desired = DesiredState()
    doc: dict[str, Any] = {"seed": seed, "devices": devices, "steps": {}}
    admin_host = backend_name == "powershell"
    with Emulator(devices=devices, seed=seed, admin_host=admin_host) as emu, open_emulator_backend(
        emu, backend_name
    ) as backend:
        if table:
            out.write(f"Emulated tenant {emu.tenant.display_name} ({emu.tenant_id}) with {devices} Windows devices\n")
            if admin_host:
                out.write(f"Backend: Microsoft Graph PowerShell on admin host {emu.env['PINRESET_PS_HOST']} (PSRP)\n")
        before = status(backend, desired)
        doc["steps"]["status"] = status_data(before)
        if table:
            _heading(out, 1, "status: what the tenant lacks")
            show_status(before, "table", out)

        planned = plan(backend, desired)
        doc["steps"]["plan"] = plan_data(planned)
        if table:
            _heading(out, 2, "plan: what apply will change")
            show_plan(planned, "table", out)

        applied = apply(backend, planned)
        doc["steps"]["apply"] = {"changed": applied.changed, "complete": applied.complete,
                                 "changes": [o.status.value for o in applied.outcomes]}
        again = plan(backend, desired)
        doc["steps"]["plan_after_apply"] = {"changes": len(again.changes)}
        if table:
            _heading(out, 3, "apply")
            show_apply(applied, "table", out)
            out.write(f"  re-plan after apply: {len(again.changes)} change(s)\n")

        with Progress("sync") as progress:
            synced = sync_devices(backend, desired, progress=progress)
        emu.advance(_SETTLE_SECONDS)
        doc["steps"]["sync"] = synced.counts()
        if table:
            _heading(out, 4, "sync the targeted devices")
            show_sync(synced, "table", out)

        with Progress("restart") as progress:
            restarted = restart_devices(backend, desired, progress=progress)
        emu.advance(_SETTLE_SECONDS)
        from pinreset.models import DeviceAction

        doc["steps"]["restart"] = restarted.counts(DeviceAction.RESTART)
        after = status(backend, desired)
        doc["steps"]["status_after"] = status_data(after)
        if table:
            _heading(out, 5, "restart the synced devices")
            show_sync(restarted, "table", out)
            show_status(after, "table", out)

        names = sorted(synced.devices.values())
        rows = readiness(emu, names)
        doc["steps"]["readiness"] = rows
        counts = Counter(r["verdict"] for r in rows)
        doc["summary"] = {
            "tenant_ready": after.ready,
            "devices": len(rows),
            **{v.value: counts.get(v.value, 0) for v in Verdict},
        }
        if table:
            _heading(out, 6, "device readiness (dsregcmd /status of each simulated device)")
            for row in rows:
                out.write(f"  {row['device']:<18} {row['verdict']:<18} {row['reason']}\n")

        remote = verify_hybrid_devices(emu, names)
        doc["steps"]["remote_verify"] = remote
        remote_counts = Counter(r["readiness"] for r in remote)
        doc["summary"]["remote_verified"] = len(remote)
        doc["summary"]["remote_ready"] = remote_counts.get("ready", 0)
        if table:
            _heading(out, 7, "verify the hybrid joined devices over WinRM (the signed-in user's own CanReset)")
            for row in remote:
                out.write(
                    f"  {row['device']:<18} {row['outcome']:<20} {row['readiness']:<10} "
                    f"user CanReset: {row['user_can_reset'] or '-'}\n"
                )
            if not remote:
                out.write("  no hybrid joined devices in this tenant\n")
            out.write("\nSummary: " + ", ".join(f"{k} {v}" for k, v in doc["summary"].items()) + "\n")
    return doc


def run(args: argparse.Namespace) -> int:
    """Run the demo and print it."""
    if args.devices < 1 or args.devices > 100_000:
        print("pinreset: error: --devices must be between 1 and 100000", file=sys.stderr)
        return ExitCode.USAGE
    doc = run_demo(args.devices, args.seed, args.output, backend_name=args.backend)
    if args.output == "json":
        print_json(doc)
    return ExitCode.OK
