"""Inventory of 100,000 managed devices: streaming, client peak RSS, and time against a bare httpx paging loop.

The emulator runs in its own process (``pinreset emulator serve --devices 100000 --throttling``: Intune's limits
on; 100 pages of 1,000 stay far below the devices family's 2,000 requests per 20 s). Each client runs in a fresh
child process of this script, so its peak RSS (``ru_maxrss``) is its own:

- ``pinreset``: ``GraphBackend.from_environment().list_managed_devices()`` — paging, typed ``ManagedDevice``
  models, counted as they stream;
- ``bare httpx``: a ``while nextLink`` loop with ``httpx.Client`` and ``response.json()``, same URL, ``$select``
  and ``$filter``, nothing kept — the floor any Graph client pays for the same bytes.

Both get their token before the clock starts. Each client runs ``--repeat`` times (alternating) and keeps its best
time. Targets: pinreset's peak RSS under 150 MB, its time within 1.2x of the bare loop.

Run: ``.venv/bin/python benchmarks/bench_inventory.py [--devices 100000]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

_CHILD_PINRESET = r"""
import json, resource, sys, time
from pinreset.backends.graph import GraphBackend
from pinreset.models import DeviceFilter
with GraphBackend.from_environment(deadline=None) as backend:
    backend.tenant_info()  # sign in before timing
    start = time.perf_counter()
    count = 0
    for device in backend.list_managed_devices(DeviceFilter()):
        count += 1
    wall = time.perf_counter() - start
print(json.dumps({"count": count, "wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_CHILD_BARE = r"""
import json, os, resource, time
import httpx
from pinreset.auth import DefaultCredential
from pinreset.backends._graph_devices import DEVICE_SELECT
token = DefaultCredential().get_token(os.environ["PINRESET_GRAPH_URL"] + "/.default").token
ca = os.environ["PINRESET_CA_BUNDLE"]
with httpx.Client(verify=ca, headers={"Authorization": "Bearer " + token}, timeout=60) as client:
    url = os.environ["PINRESET_GRAPH_URL"] + "/beta/deviceManagement/managedDevices"
    params = {"$select": DEVICE_SELECT, "$filter": "operatingSystem eq 'Windows'"}
    start = time.perf_counter()
    count = 0
    while url:
        body = client.get(url, params=params).json()
        params = None
        count += len(body["value"])
        url = body.get("@odata.nextLink")
    wall = time.perf_counter() - start
print(json.dumps({"count": count, "wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Serve, measure both clients, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "pinreset", "emulator", "serve", "--devices", str(args.devices), "--throttling"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        info = json.loads(server.stdout.readline())
        ready = time.perf_counter() - started
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "PINRESET_"))}
        env.update(info["env"])
        runs: dict[str, list[dict[str, Any]]] = {"pinreset": [], "bare httpx": []}
        for _ in range(args.repeat):
            runs["bare httpx"].append(_child(_CHILD_BARE, env))
            runs["pinreset"].append(_child(_CHILD_PINRESET, env))
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()

    print(f"inventory of {args.devices} managed devices, emulator in a subprocess (ready in {ready:.1f} s), "
          "Intune throttling on")
    print(f"{'client':<12}{'devices':>10}{'best s':>9}{'devices/s':>11}{'peak RSS MB':>13}")
    best = {}
    for name, results in runs.items():
        top = min(results, key=lambda r: r["wall"])
        rss = max(r["rss_mb"] for r in results)
        best[name] = {**top, "rss_mb": rss}
        assert all(r["count"] == args.devices for r in results), f"{name} did not see every device"
        print(f"{name:<12}{top['count']:>10}{top['wall']:>9.2f}{top['count'] / top['wall']:>11.0f}{rss:>13.1f}")
    ours, bare = best["pinreset"], best["bare httpx"]
    print()
    print(f"pinreset time vs bare httpx paging loop: {ours['wall'] / bare['wall']:.2f}x (target <= 1.2x)")
    print(f"pinreset client peak RSS:                {ours['rss_mb']:.1f} MB (target < 150 MB)")


if __name__ == "__main__":
    main()
