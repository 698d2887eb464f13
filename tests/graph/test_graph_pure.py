"""Pure helpers of the Graph client: OData quoting, Retry-After, backoff, deadline and pacing."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from pinreset.graph import (
    Deadline,
    FamilyLimit,
    Pacer,
    RetryPolicy,
    odata_any_eq,
    odata_eq,
    odata_quote,
    parse_retry_after,
    service_family,
)


class FakeClock:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_odata_quote_doubles_single_quotes() -> None:
    """An embedded quote is doubled and the whole value single-quoted."""
    assert odata_quote("O'Brien") == "'O''Brien'"
    assert odata_quote("") == "''"


def test_odata_quote_keeps_hostile_value_one_literal() -> None:
    """A value that tries to close the literal stays inside it."""
    hostile = "O'Brien' or 1 eq 1"
    clause = odata_eq("displayName", hostile)
    assert clause == "displayName eq 'O''Brien'' or 1 eq 1'"
    # Between the opening and closing quote every quote is doubled, so the literal never ends early.
    inner = clause[len("displayName eq '") : -1]
    assert "'" not in inner.replace("''", "")


def test_odata_quote_rejects_non_strings() -> None:
    """Numbers are not silently quoted."""
    with pytest.raises(TypeError):
        odata_quote(5)  # type: ignore[arg-type]


def test_odata_any_eq_joins_with_or() -> None:
    """Several values become one parenthesised disjunction; an empty list is refused."""
    assert odata_any_eq("appId", ["a", "b'"]) == "(appId eq 'a' or appId eq 'b''')"
    assert odata_any_eq("appId", ["a"]) == "appId eq 'a'"
    with pytest.raises(ValueError, match="at least one"):
        odata_any_eq("appId", [])


def test_retry_after_seconds_and_http_date() -> None:
    """Retry-After is read as delta-seconds or as an HTTP date relative to now."""
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_backoff_is_exponential_capped_and_jittered() -> None:
    """Backoff doubles per attempt, never exceeds the cap, and varies within the jitter band."""
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=0.5)
    rng = random.Random(3)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)):
        waits = [policy.backoff(attempt, rng) for _ in range(50)]
        assert all(ceiling * 0.5 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1
    assert policy.delay(1, 3.0, rng) == 3.0
    assert policy.delay(1, 500.0, rng) == 10.0  # a server's huge Retry-After is capped too


def test_deadline_measures_on_injected_clock() -> None:
    """The deadline counts injected clock time and refuses waits that do not fit."""
    clock = FakeClock()
    deadline = Deadline(10.0, clock)
    assert deadline.allows_wait(9.0)
    clock.now += 4
    assert deadline.remaining() == pytest.approx(6.0)
    assert not deadline.allows_wait(6.5)
    assert Deadline(None, clock).allows_wait(1e9)


def test_service_family_by_path() -> None:
    """Intune paths map to their throttling family; others are not paced."""
    assert service_family("/beta/deviceManagement/managedDevices/executeAction") == "devices"
    assert service_family("https://graph.microsoft.com/v1.0/deviceManagement/managedDevices") == "devices"
    assert service_family("/beta/deviceManagement/configurationPolicies/x/assign") == "device_config_v2"
    assert service_family("/beta/deviceManagement/deviceConfigurations") == "device_configuration"
    assert service_family("/v1.0/servicePrincipals") is None
    assert service_family("/v1.0/deviceManagement/managedDevicesX") is None


def test_pacer_keeps_any_window_under_the_limit() -> None:
    """With a write limit of 5 per 20 s, 12 writes take two full windows and no window holds more than 5."""
    clock = FakeClock()
    pacer = Pacer({"devices": FamilyLimit(writes=5, total=100, window=20.0)}, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(12):
        pacer.acquire("POST", "/v1.0/deviceManagement/managedDevices/1/syncDevice")
        sent.append(clock.now)
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 20.0) <= 5
    assert sent[-1] - sent[0] >= 40.0
    assert pacer.waited == pytest.approx(sent[-1] - sent[0])


def test_pacer_reads_do_not_consume_write_budget() -> None:
    """GETs count only against the total limit, and unpaced paths never wait."""
    clock = FakeClock()
    pacer = Pacer({"devices": FamilyLimit(writes=1, total=3, window=20.0)}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert pacer.acquire("GET", "/v1.0/deviceManagement/managedDevices") == 0.0
    assert pacer.acquire("GET", "/v1.0/organization") == 0.0
    assert pacer.acquire("GET", "/v1.0/deviceManagement/managedDevices") > 0.0
