"""Fleet check speed and memory against simulated WinRM hosts with added latency.

Starts the emulator with N WinRM hosts and L seconds of added latency per request (as
``pinreset emulator serve --winrm-hosts N --winrm-latency L`` does) in its own process (the hosts get their own
interpreter and core, as real hosts would), then measures in one run:

1. ``check_fleet`` over all hosts: wall time against the protocol lower bound
   ``requests per check x latency x ceil(hosts / concurrency)``. Requests are counted by the hosts' listener (every
   HTTP request it reads, NTLM legs included), averaged over the run, and cross-checked against requests' HTTP
   adapter on the client side, which every pypsrp request goes through.
2. What an admin writes by hand, on the first ``--baseline-hosts`` hosts and extrapolated to all of them: a
   sequential loop of pypsrp ``Client.execute_cmd("dsregcmd /status")``, and a pywinrm ``run_cmd`` loop. Both only
   read the connecting account's view, far less than a check.
3. Peak RSS of a client process checking ``--memory-hosts`` hosts (``ru_maxrss`` of a subprocess).

Usage: ``python benchmarks/bench_fleet.py [--hosts 500] [--latency 0.05] [--concurrency 50]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_COUNTER = itertools.count()


def _count_http_requests() -> None:
    """Count every HTTP request sent through requests' adapter (thread-safe: itertools.count is atomic)."""
    import requests.adapters

    original = requests.adapters.HTTPAdapter.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        next(_COUNTER)
        return original(self, request, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]


def _requests_so_far() -> int:
    return next(_COUNTER)  # one extra tick per reading; subtracted by the caller


_SERVE_CHILD = textwrap.dedent(
    """
    import json, signal, sys
    from pinreset.emulator import Emulator
    from pinreset.emulator.winrm._options import apply_misbehaviours
    hosts, latency, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    emulator = Emulator(devices=max(hosts * 2, 10), seed=seed, winrm_hosts=hosts)
    apply_misbehaviours(emulator.winrm, [], latency=latency)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    emulator.start()
    try:
        print(json.dumps(emulator.describe()), flush=True)
        # One line in, one line out: the HTTP requests every host's listener has read so far.
        for _ in sys.stdin:
            print(sum(host.requests_seen for host in emulator.winrm.hosts), flush=True)
    finally:
        emulator.stop()
    """
)


@contextmanager
def serve(hosts: int, latency: float, seed: int) -> Iterator[dict[str, Any]]:
    """Run the emulator with ``hosts`` WinRM hosts in a child process; yield its ``winrm`` description.

    The child is what ``pinreset emulator serve --winrm-hosts N --winrm-latency L`` runs, plus a line protocol on
    stdin/stdout that reports how many requests the hosts' listener has read (see :func:`listener_requests`).
    """
    command = [sys.executable, "-c", _SERVE_CHILD, str(hosts), str(latency), str(seed)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the emulator did not start")
        winrm = json.loads(line)["winrm"]
        winrm["_pid"] = process.pid
        winrm["_process"] = process
        yield winrm
    finally:
        process.terminate()
        process.wait(timeout=30)


def listener_requests(winrm: dict[str, Any]) -> int:
    """HTTP requests the simulated hosts' listener has read so far (NTLM legs included), asked of the child."""
    process = winrm["_process"]
    process.stdin.write("count\n")
    process.stdin.flush()
    return int(process.stdout.readline())


def _connection(winrm: dict[str, Any]) -> Any:
    from pinreset.remote import WinRMConnection

    return WinRMConnection(
        username=winrm["username"],
        password=winrm["password"],
        ca_bundle=winrm["ca_bundle"],
        auth="ntlm",
        no_proxy=True,
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_fleet(winrm: dict[str, Any], concurrency: int, latency: float) -> dict[str, Any]:
    """check_fleet over every host: wall time, requests per check, ratio to the protocol lower bound."""
    from pinreset.remote import FleetReport, HostSpec, check_fleet

    specs = [HostSpec(h["address"], h["https_port"]) for h in winrm["hosts"]]
    before = _requests_so_far()
    listener_before = listener_requests(winrm)
    server_cpu = _cpu_seconds(winrm["_pid"])
    client_cpu = time.process_time()
    started = time.perf_counter()
    report = FleetReport.collect(check_fleet(specs, connection=_connection(winrm), concurrency=concurrency))
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    server_cpu = _cpu_seconds(winrm["_pid"]) - server_cpu
    sent = _requests_so_far() - before - 1
    requests = listener_requests(winrm) - listener_before
    per_check = requests / len(specs)
    waves = math.ceil(len(specs) / concurrency)
    lower = per_check * latency * waves
    return {
        "hosts": len(specs),
        "concurrency": concurrency,
        "wall_s": wall,
        "requests_per_check": per_check,
        "client_requests_per_check": sent / len(specs),
        "lower_bound_s": lower,
        "ratio": wall / lower if lower else float("nan"),
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
        "outcomes": {k: v for k, v in report.summary()["outcomes"].items() if v},
    }


def bench_pypsrp_loop(winrm: dict[str, Any], count: int) -> float:
    """Seconds for a sequential pypsrp execute_cmd loop over the first ``count`` hosts."""
    from pypsrp.client import Client

    started = time.perf_counter()
    for host in winrm["hosts"][:count]:
        with Client(
            host["address"],
            port=host["https_port"],
            username=winrm["username"],
            password=winrm["password"],
            cert_validation=winrm["ca_bundle"],
            auth="ntlm",
            no_proxy=True,
        ) as client:
            stdout, _, rc = client.execute_cmd("dsregcmd /status")
            assert rc == 0
            assert "AzureAdJoined" in stdout
    return time.perf_counter() - started


def bench_pywinrm_loop(winrm: dict[str, Any], count: int) -> float:
    """Seconds for a sequential pywinrm run_cmd loop over the first ``count`` hosts."""
    import winrm as pywinrm

    started = time.perf_counter()
    for host in winrm["hosts"][:count]:
        session = pywinrm.Session(
            f"https://{host['address']}:{host['https_port']}/wsman",
            auth=(winrm["username"], winrm["password"]),
            transport="ntlm",
            server_cert_validation="validate",
            ca_trust_path=winrm["ca_bundle"],
        )
        result = session.run_cmd("dsregcmd", ["/status"])
        assert result.status_code == 0
        assert b"AzureAdJoined" in result.std_out
    return time.perf_counter() - started


_MEMORY_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pinreset.remote import FleetReport, HostSpec, WinRMConnection, check_fleet
    winrm = json.loads(sys.stdin.read())
    concurrency, interactive = int(sys.argv[1]), sys.argv[2] == "1"
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    connection = WinRMConnection(username=winrm["username"], password=winrm["password"],
                                 ca_bundle=winrm["ca_bundle"], auth="ntlm", no_proxy=True)
    specs = [HostSpec(h["address"], h["https_port"]) for h in winrm["hosts"]]
    started = time.perf_counter()
    report = FleetReport.collect(check_fleet(specs, connection=connection, concurrency=concurrency,
                                             interactive=interactive))
    print(json.dumps({"baseline_kib": baseline, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "wall_s": time.perf_counter() - started, "checks": len(report.checks),
                      "outcomes": {k: v for k, v in report.summary()["outcomes"].items() if v}}))
    """
)


def bench_memory(hosts: int, concurrency: int, interactive: bool, seed: int) -> dict[str, Any]:
    """Peak RSS of a child process that checks ``hosts`` hosts (no added latency)."""
    with serve(hosts, 0.0, seed) as winrm:
        child = subprocess.run(
            [sys.executable, "-c", _MEMORY_CHILD, str(concurrency), "1" if interactive else "0"],
            input=json.dumps(winrm),
            capture_output=True,
            text=True,
            check=True,
        )
    result: dict[str, Any] = json.loads(child.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 10])
    parser.add_argument("--baseline-hosts", type=int, default=50)
    parser.add_argument("--memory-hosts", type=int, default=5000)
    parser.add_argument("--memory-concurrency", type=int, default=50)
    parser.add_argument(
        "--memory-device-only", action="store_true", help="memory run without the users' scheduled tasks"
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true", help="no pypsrp/pywinrm loops")
    parser.add_argument("--skip-fleet", action="store_true", help="only the memory run")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("HTTPS_PROXY", None)
    _count_http_requests()

    if not args.skip_fleet:
        _report_speed(args)
    if not args.skip_memory:
        memory = bench_memory(args.memory_hosts, args.memory_concurrency, not args.memory_device_only, args.seed)
        grown = (memory["peak_kib"] - memory["baseline_kib"]) / 1024
        print(f"peak RSS for {memory['checks']} hosts (client process, concurrency {args.memory_concurrency}, "
              f"{'device scope only' if args.memory_device_only else 'with user tasks'}): "
              f"{memory['peak_kib'] / 1024:.0f} MiB (after imports {memory['baseline_kib'] / 1024:.0f} MiB, "
              f"+{grown:.0f} MiB, {grown * 1024 / max(memory['checks'], 1):.1f} KiB/host); "
              f"{memory['wall_s']:.0f} s; outcomes {memory['outcomes']}")


def _report_speed(args: argparse.Namespace) -> None:
    with serve(args.hosts, args.latency, args.seed) as winrm:
        fleets = [bench_fleet(winrm, concurrency, args.latency) for concurrency in args.concurrency]
        baseline = 0 if args.skip_baseline else min(args.baseline_hosts, len(winrm["hosts"]))
        if baseline:
            scale = len(winrm["hosts"]) / baseline
            pypsrp_s = bench_pypsrp_loop(winrm, baseline)
            pywinrm_s = bench_pywinrm_loop(winrm, baseline)

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end (other processes share them)")
    for fleet in fleets:
        print(f"check_fleet: {fleet['hosts']} hosts, {args.latency * 1000:.0f} ms added latency per request, "
              f"concurrency {fleet['concurrency']}")
        print(f"  outcomes: {fleet['outcomes']}")
        print(f"  wall time              {fleet['wall_s']:8.1f} s")
        print(f"  requests per check     {fleet['requests_per_check']:8.2f} (mean, counted by the hosts' listener; "
              f"{fleet['client_requests_per_check']:.2f} sent by the client's HTTP adapter)")
        print(f"  protocol lower bound   {fleet['lower_bound_s']:8.1f} s "
              f"(requests x latency x ceil({fleet['hosts']}/{fleet['concurrency']}))")
        print(f"  ratio to lower bound   {fleet['ratio']:8.2f} x  (target <= 1.3)")
        print(f"  CPU: client {fleet['client_cpu_s']:.1f} s ({fleet['client_cpu_s'] * 1000 / fleet['hosts']:.0f} ms "
              f"per check, one interpreter), hosts {fleet['server_cpu_s']:.1f} s; "
              f"ratio to max(lower bound, client CPU) "
              f"{fleet['wall_s'] / max(fleet['lower_bound_s'], fleet['client_cpu_s']):.2f} x")
    if not baseline:
        return
    fleet = fleets[0]
    for name, seconds in (("pypsrp execute_cmd loop", pypsrp_s), ("pywinrm run_cmd loop", pywinrm_s)):
        total = seconds * scale
        print(f"{name}: {seconds:.1f} s for {baseline} hosts sequentially, extrapolated x{scale:.0f} "
              f"-> {total:.1f} s for {fleet['hosts']}; check_fleet (concurrency {fleet['concurrency']}) is "
              f"{total / fleet['wall_s']:.1f}x faster and reads far more (the loop gets only the connecting "
              "account's dsregcmd)")


if __name__ == "__main__":
    main()
