"""The two tenant backends side by side: wall time of the demo and of a 1,000-device sync, in one run.

- ``graph``: :class:`~pinreset.backends.graph.GraphBackend` over the emulator's HTTPS Graph (msal sign-in).
- ``powershell``: :class:`~pinreset.backends.powershell.PowerShellBackend` driving the emulator's admin host over
  PSRP (HTTPS, NTLM, one runspace pool), whose Microsoft Graph PowerShell cmdlets call the same emulated Graph.

Demo: ``pinreset demo`` end to end (emulator start, status, plan, apply, sync, restart, readiness) per backend;
the summaries must be identical. Sync: ``pinreset.sync_devices`` for all users over a 1,000-device tenant served
to both backends by one emulator (throttling off, so the figure is the client and transport cost). Rounds are
interleaved so that load elsewhere on the machine hits both backends alike; medians are reported, with the
PowerShell/Graph ratio.

Run: ``.venv/bin/python benchmarks/bench_backends.py [--rounds 3] [--devices 1000] [--demo-devices 25]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from typing import Any

from pinreset.backends import TenantBackend
from pinreset.cli._demo import open_emulator_backend, run_demo
from pinreset.deploy import DesiredState, sync_devices
from pinreset.emulator import Emulator
from pinreset.models import ActionOutcome

BACKENDS = ("graph", "powershell")


def time_demo(backend: str, devices: int, seed: int) -> tuple[float, dict[str, Any]]:
    """Seconds for one whole demo, and its summary."""
    started = time.perf_counter()
    doc = run_demo(devices, seed, "json", out=io.StringIO(), backend_name=backend)
    return time.perf_counter() - started, doc["summary"]


def time_sync(emu: Emulator, backend: str) -> tuple[float, int, int]:
    """Seconds to sign in, select and sync every device for all users; (seconds, results, pipelines)."""
    started = time.perf_counter()
    opened: TenantBackend = open_emulator_backend(emu, backend)
    with opened:
        result = sync_devices(opened, DesiredState())
        pipelines = getattr(getattr(opened, "session", None), "pipelines", 0)
    elapsed = time.perf_counter() - started
    succeeded = sum(1 for r in result.sync if r.outcome is ActionOutcome.SUCCEEDED)
    if succeeded != len(result.sync):
        raise SystemExit(f"{backend}: only {succeeded} of {len(result.sync)} devices synced")
    return elapsed, len(result.sync), pipelines


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--devices", type=int, default=1000, help="devices in the sync tenant")
    parser.add_argument("--demo-devices", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    demo: dict[str, list[float]] = {b: [] for b in BACKENDS}
    summaries: dict[str, Any] = {}
    for _ in range(args.rounds):
        for backend in BACKENDS:
            seconds, summary = time_demo(backend, args.demo_devices, args.seed)
            demo[backend].append(seconds)
            summaries[backend] = summary
    if summaries["graph"] != summaries["powershell"]:
        raise SystemExit(f"the demo summaries differ: {summaries}")

    sync: dict[str, list[float]] = {b: [] for b in BACKENDS}
    counts: dict[str, tuple[int, int]] = {}
    with Emulator(devices=args.devices, seed=args.seed, admin_host=True) as emu:
        for _ in range(args.rounds):
            for backend in BACKENDS:
                seconds, results, pipelines = time_sync(emu, backend)
                sync[backend].append(seconds)
                counts[backend] = (results, pipelines)

    print(f"demo ({args.demo_devices} devices, seed {args.seed}), median of {args.rounds}:")
    for backend in BACKENDS:
        print(f"  {backend:<11} {statistics.median(demo[backend]):7.2f} s")
    print(f"  ratio powershell/graph: {statistics.median(demo['powershell']) / statistics.median(demo['graph']):.2f}")
    print(f"  same summary: {summaries['graph']}")
    print(f"sync of {args.devices} devices (all users), median of {args.rounds}:")
    for backend in BACKENDS:
        results, pipelines = counts[backend]
        extra = f", {pipelines} PSRP pipelines" if backend == "powershell" else ""
        print(f"  {backend:<11} {statistics.median(sync[backend]):7.2f} s  ({results} results{extra})")
    print(f"  ratio powershell/graph: {statistics.median(sync['powershell']) / statistics.median(sync['graph']):.2f}")


if __name__ == "__main__":
    main()
