"""Check many hosts at once, streaming each result as soon as its host is done.

Each host runs in a worker thread of a bounded pool and builds its own WinRM client there (pypsrp clients are
not thread-safe). At most ``concurrency`` hosts are in flight, so memory stays flat for any fleet size and a
cancellation only has to stop those. Every host has its own deadline, which starts when its check starts: a
host that hangs costs one worker for that long and never delays the others' results.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from pinreset.exceptions import ConfigurationError
from pinreset.remote._check import DEFAULT_DEADLINE, run_check
from pinreset.remote._connection import WinRMConnection
from pinreset.remote._hosts import HostSpec, parse_host
from pinreset.remote._session import Cancelled, check_durations, classify
from pinreset.remote.models import DeviceCheck

__all__ = ["DEFAULT_CONCURRENCY", "check_fleet"]

DEFAULT_CONCURRENCY = 16


def _run_one(
    spec: HostSpec,
    connection: WinRMConnection,
    deadline: float,
    interactive: bool,
    cancel: threading.Event,
    cleanup_grace: float,
) -> DeviceCheck | None:
    if cancel.is_set():
        return None
    try:
        return run_check(spec, connection, deadline, interactive, cancel, cleanup_grace)
    except Cancelled:
        return None
    except Exception as exc:  # a bug for one host must not end the fleet: report it as that host's outcome
        failure = classify(exc)
        return DeviceCheck(host=str(spec), outcome=failure.outcome, error=str(failure))


def check_fleet(
    hosts: Iterable[str | HostSpec],
    *,
    connection: WinRMConnection,
    concurrency: int = DEFAULT_CONCURRENCY,
    deadline: float = DEFAULT_DEADLINE,
    interactive: bool = True,
    cleanup_grace: float = 5.0,
) -> Generator[DeviceCheck, None, None]:
    """Check every host, yielding one :class:`DeviceCheck` per host in the order they finish.

    All host entries are validated before the first connection. Closing the returned generator (or a
    ``KeyboardInterrupt`` while iterating) stops submitting hosts, tells the running checks to stop at their
    next request, lets them remove what they created on their host, and joins every worker thread.

    Args:
        hosts: host entries (``name``, ``name:port``, ``[IPv6]:port``) or :class:`HostSpec` objects.
        connection: transport, authentication and timeouts shared by all hosts.
        concurrency: hosts checked at the same time (worker threads).
        deadline: seconds each host may take.
        interactive: read each signed-in user's own state through a scheduled task.
        cleanup_grace: seconds allowed past a deadline or cancellation to remove a created task.

    Yields:
        Exactly one result per distinct host, as each finishes.

    Raises:
        ConfigurationError: a host entry is invalid, or ``concurrency``/``deadline`` is not positive.
    """
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
    check_durations(deadline, cleanup_grace)
    specs: list[HostSpec] = []
    seen: set[HostSpec] = set()
    for host in hosts:
        spec = host if isinstance(host, HostSpec) else parse_host(host)
        if spec not in seen:
            seen.add(spec)
            specs.append(spec)
    return _stream(specs, connection, concurrency, deadline, interactive, cleanup_grace)


def _stream(
    specs: list[HostSpec],
    connection: WinRMConnection,
    concurrency: int,
    deadline: float,
    interactive: bool,
    cleanup_grace: float,
) -> Generator[DeviceCheck, None, None]:
    cancel = threading.Event()
    pending = iter(specs)
    in_flight: set[Future[DeviceCheck | None]] = set()
    executor = ThreadPoolExecutor(max_workers=min(concurrency, max(len(specs), 1)), thread_name_prefix="pinreset-check")

    def submit_next() -> bool:
        spec = next(pending, None)
        if spec is None:
            return False
        in_flight.add(
            executor.submit(_run_one, spec, connection, deadline, interactive, cancel, cleanup_grace)
        )
        return True

    try:
        while len(in_flight) < concurrency and submit_next():
            pass
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                in_flight.discard(future)
                submit_next()
            for future in done:
                result = future.result()
                if result is not None:
                    yield result
    finally:
        # Reached on normal exhaustion, on generator close() and on KeyboardInterrupt alike.
        cancel.set()
        for future in in_flight:
            future.cancel()
        executor.shutdown(wait=True)
