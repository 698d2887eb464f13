"""check_fleet through the emulator's WinRM listener: streaming, isolation of a hanging host, cancellation."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from pinreset.remote import FleetReport, Outcome, check_fleet

pytestmark = pytest.mark.slow


def _pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pinreset-check")]


def test_hanging_host_does_not_delay_the_others(lab: Any) -> None:
    """Healthy hosts finish and are yielded long before a hanging host reaches its deadline."""
    healthy = [lab.take() for _ in range(3)]
    hanging_spec, hanging = lab.take()
    hanging.misbehave("hang")
    # Long enough for three healthy checks on a loaded CI machine (about a second each when idle).
    deadline = 10.0
    # Timeouts far beyond the deadline, so that only the per-host deadline can end the hanging host's check.
    connection = lab.connection(connection_timeout=30.0, operation_timeout=30, read_timeout=40.0)
    started = time.monotonic()
    arrivals: list[tuple[str, float, Any]] = []
    for result in check_fleet(
        [hanging_spec, *(spec for spec, _ in healthy)], connection=connection, concurrency=4, deadline=deadline
    ):
        arrivals.append((result.host, time.monotonic() - started, result))
    assert sorted(h for h, _, _ in arrivals) == sorted([str(hanging_spec), *(str(s) for s, _ in healthy)])
    last_host, last_at, last = arrivals[-1]
    assert last_host == str(hanging_spec)
    assert last.outcome is Outcome.TIMEOUT
    # Margins for a loaded machine; the read timeout (40 s) is what an unbounded check would wait for.
    assert deadline <= last_at < deadline + 10
    for _, at, result in arrivals[:-1]:
        assert result.outcome is Outcome.OK, result.error
        assert at < deadline
    assert _pool_threads() == []


def test_closing_the_generator_cancels_and_cleans_up(lab: Any) -> None:
    """Closing early stops the running checks, removes their scheduled tasks and joins every worker."""
    quick_spec, _ = lab.take()
    slow = [lab.take() for _ in range(2)]
    for _, host in slow:
        host.task_polls = 1_000_000  # their tasks keep "running" until cancelled
    results = check_fleet(
        [quick_spec, *(spec for spec, _ in slow)], connection=lab.connection(), concurrency=3, deadline=60
    )
    first = next(results)
    assert first.host == str(quick_spec)
    limit = time.monotonic() + 10
    while not all(host.tasks for _, host in slow) and time.monotonic() < limit:
        time.sleep(0.05)
    assert all(host.tasks for _, host in slow)
    closing = time.monotonic()
    results.close()
    # Far below the 60 s deadline the checks would otherwise run into; the rest is margin for a loaded machine.
    assert time.monotonic() - closing < 20
    for _, host in slow:
        assert host.tasks == {}
        assert not [p for p in host.files if p.startswith("c:\\programdata\\pinreset\\")]
    assert _pool_threads() == []


def test_report_counts_a_mixed_fleet(lab: Any) -> None:
    """Every host gets exactly one result and the totals add up by outcome and readiness."""
    ready_spec, ready = lab.take()
    lab.make_ready(ready)
    refused_spec, refused = lab.take()
    refused.misbehave("refuse")
    nobody_spec, nobody = lab.take()
    nobody.misbehave("no_user")
    report = FleetReport.collect(
        check_fleet([ready_spec, refused_spec, nobody_spec, ready_spec], connection=lab.connection(), deadline=20)
    )
    assert len(report.checks) == 3
    assert report.by_outcome[Outcome.OK] == 1
    assert report.by_outcome[Outcome.UNREACHABLE] == 1
    assert report.by_outcome[Outcome.NO_INTERACTIVE_USER] == 1
    assert sum(report.by_readiness.values()) == 3
    assert not report.all_ready


def test_keyboard_interrupt_while_collecting_cleans_up(lab: Any) -> None:
    """Ctrl+C while a report is being collected stops the fleet, removes its tasks and joins its workers."""
    quick_spec, _ = lab.take()
    slow = [lab.take() for _ in range(2)]
    for _, host in slow:
        host.task_polls = 1_000_000

    def interrupt(_: Any) -> None:
        limit = time.monotonic() + 10
        while not all(host.tasks for _, host in slow) and time.monotonic() < limit:
            time.sleep(0.05)
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        FleetReport.collect(
            check_fleet([quick_spec, *(spec for spec, _ in slow)], connection=lab.connection(), deadline=60),
            on_result=interrupt,
        )
    assert time.monotonic() - started < 30  # not the 60 s deadline
    for _, host in slow:
        assert host.tasks == {}
    assert _pool_threads() == []


@pytest.mark.parametrize(
    ("deadline", "grace"), [(float("nan"), 5.0), (float("inf"), 5.0), (10.0, float("nan")), (10.0, -1)]
)
def test_unusable_deadline_or_grace_is_refused_up_front(lab: Any, deadline: float, grace: float) -> None:
    """A NaN/infinite deadline or a negative/NaN clean-up grace is a ConfigurationError before any connection."""
    from pinreset.exceptions import ConfigurationError
    from pinreset.remote import check_device

    spec, host = lab.take()
    before = host.requests_seen
    with pytest.raises(ConfigurationError):
        check_device(spec, connection=lab.connection(), deadline=deadline, cleanup_grace=grace)
    with pytest.raises(ConfigurationError):
        check_fleet([spec], connection=lab.connection(), deadline=deadline, cleanup_grace=grace)
    assert host.requests_seen == before
