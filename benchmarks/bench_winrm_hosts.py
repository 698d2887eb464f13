"""How the simulated WinRM hosts scale: many hosts, added latency, concurrent unmodified pypsrp clients.

Measured in one run, with ``pinreset emulator serve`` in its own process (as users run it):

1. ``--winrm-hosts 5000``: time until the JSON line, resident memory, threads and descriptors of the server;
2. ``--winrm-hosts 500 --winrm-latency 0.05``: one pypsrp ``execute_cmd("dsregcmd /status")`` per host (NTLM over
   HTTPS, one ``Client`` per host) from a pool of 50 threads. Its wall time is compared with the protocol's lower
   bound in the same run: HTTP requests per ``execute_cmd`` (counted on the wire) x latency x
   ceil(hosts / concurrency). Server CPU per check comes from the server process's own counters;
3. ``--winrm-hosts 100``: ``pinreset.remote.check_device`` (PSRP: device facts, policy, events and the
   scheduled-task round trip) per host from 8 threads, reporting server and client CPU per check.

The wall time also contains the clients' own CPU: pypsrp spends about 10-14 ms of CPU per ``execute_cmd`` (TLS,
NTLM, XML) under one GIL, so on a small machine the client process, not the hosts, sets the pace. The run
therefore also reports CPU per check on both sides, and its target is about the hosts: serving the whole run
must cost the server less CPU than the lower bound's wall time (the hosts are never the bottleneck).

Targets: 5,000 hosts ready in under 10 s with under 500 MB; server CPU for the fleet run below the lower bound.
Exit status 1 when a target is missed.

    .venv/bin/python benchmarks/bench_winrm_hosts.py [--hosts 500] [--concurrency 50] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
from pypsrp.client import Client

TARGET_READY = 10.0
TARGET_RSS_MB = 500.0
TARGET_RATIO = 1.3  # the fleet checker's target, reported for reference
TARGET_SERVER_SHARE = 1.0


def _serve(hosts: int, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pinreset",
            "emulator",
            "serve",
            "--devices",
            str(int(hosts * 1.7) + 10),
            "--winrm-hosts",
            str(hosts),
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = json.loads(process.stdout.readline())
    return process, line, time.perf_counter() - started


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def _client(winrm: dict[str, Any], host: dict[str, Any]) -> Client:
    return Client(
        host["address"],
        port=host["https_port"],
        username=winrm["username"],
        password=winrm["password"],
        cert_validation=winrm["ca_bundle"],
        auth="ntlm",
        no_proxy=True,
    )


def _requests_per_check(winrm: dict[str, Any]) -> int:
    """HTTP requests one execute_cmd makes, counted at the client's HTTP adapter."""
    import requests.adapters

    count = 0
    original = requests.adapters.HTTPAdapter.send

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return original(self, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = counting  # type: ignore[method-assign]
    try:
        with _client(winrm, winrm["hosts"][0]) as client:
            client.execute_cmd("dsregcmd /status")
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]
    return count


def memory_run(hosts: int) -> bool:
    """Start many hosts; report start-up time and the server's footprint."""
    process, line, ready = _serve(hosts)
    try:
        server = psutil.Process(process.pid)
        rss = server.memory_info().rss / 2**20
        print(
            f"{len(line['winrm']['hosts'])} hosts: ready in {ready:.2f} s, server RSS {rss:.0f} MB, "
            f"{server.num_threads()} threads, {server.num_fds()} descriptors"
        )
        with _client(line["winrm"], line["winrm"]["hosts"][-1]) as client:
            assert client.execute_cmd("dsregcmd /status")[2] == 0
    finally:
        _stop(process)
    return ready < TARGET_READY and rss < TARGET_RSS_MB


def fleet_run(hosts: int, concurrency: int, latency: float) -> bool:
    """One execute_cmd per host from a thread pool, against the protocol lower bound."""
    process, line, _ = _serve(hosts, "--winrm-latency", str(latency))
    winrm = line["winrm"]
    try:
        per_check = _requests_per_check(winrm)
        server = psutil.Process(process.pid)
        cpu_before = sum(server.cpu_times()[:2])

        def check(host: dict[str, Any]) -> int:
            with _client(winrm, host) as client:
                return int(client.execute_cmd("dsregcmd /status")[2])

        started = time.perf_counter()
        own_before = time.process_time()
        with ThreadPoolExecutor(concurrency) as pool:
            codes = list(pool.map(check, winrm["hosts"]))
        wall = time.perf_counter() - started
        own = time.process_time() - own_before
        cpu = sum(server.cpu_times()[:2]) - cpu_before
    finally:
        _stop(process)
    bound = per_check * latency * math.ceil(hosts / concurrency)
    ratio = wall / bound
    print(
        f"{hosts} hosts, {latency * 1000:.0f} ms per request, concurrency {concurrency}: {codes.count(0)} ok, "
        f"wall {wall:.2f} s; lower bound {per_check} requests x {latency} s x {math.ceil(hosts / concurrency)} "
        f"= {bound:.2f} s; ratio {ratio:.2f} (fleet target <= {TARGET_RATIO}); CPU per check: server "
        f"{1000 * cpu / hosts:.1f} ms, pypsrp client {1000 * own / hosts:.1f} ms"
    )
    share = cpu / bound
    print(f"server CPU / lower bound = {share:.2f} (target < {TARGET_SERVER_SHARE})")
    return share < TARGET_SERVER_SHARE and codes.count(0) == hosts


def device_check_run(hosts: int, concurrency: int = 8) -> None:
    """The library's full device check per host: CPU per check on both sides."""
    from pinreset.remote import WinRMConnection, check_device

    process, line, _ = _serve(hosts)
    winrm = line["winrm"]
    connection = WinRMConnection(
        username=winrm["username"], password=winrm["password"], ca_bundle=winrm["ca_bundle"], auth="ntlm", no_proxy=True
    )
    try:
        server = psutil.Process(process.pid)
        cpu_before = sum(server.cpu_times()[:2])
        own_before = time.process_time()
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(
                pool.map(
                    lambda h: check_device(f"{h['address']}:{h['https_port']}", connection=connection).outcome.value,
                    winrm["hosts"],
                )
            )
        wall = time.perf_counter() - started
        own = time.process_time() - own_before
        cpu = sum(server.cpu_times()[:2]) - cpu_before
    finally:
        _stop(process)
    counts = {o: outcomes.count(o) for o in sorted(set(outcomes))}
    print(
        f"{hosts} check_device (PSRP), concurrency {concurrency}: {counts}, wall {wall:.2f} s; CPU per check: "
        f"server {1000 * cpu / hosts:.1f} ms, client {1000 * own / hosts:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--memory-hosts", type=int, default=5000)
    args = parser.parse_args()
    ok = memory_run(args.memory_hosts)
    ok = fleet_run(args.hosts, args.concurrency, args.latency) and ok
    device_check_run(100)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
