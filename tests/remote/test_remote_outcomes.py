"""Mapping of every failure pypsrp, requests and pyspnego can raise to exactly one outcome."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import requests
import spnego.exceptions
from pypsrp import exceptions as psrp_errors

from pinreset.exceptions import DsregParseError
from pinreset.remote import Outcome
from pinreset.remote._session import Budget, CheckFailure, DeadlineExpired, classify


def _json_error() -> json.JSONDecodeError:
    try:
        json.loads("{truncated")
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (psrp_errors.AuthenticationError("Failed to authenticate the user admin with ntlm"), Outcome.AUTH_FAILED),
        (spnego.exceptions.BadMICError(context_msg="mic"), Outcome.AUTH_FAILED),
        (psrp_errors.WinRMTransportError("http", 401, ""), Outcome.AUTH_FAILED),
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), Outcome.UNREACHABLE),
        (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), Outcome.UNREACHABLE),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), Outcome.UNREACHABLE),
        (requests.exceptions.ConnectTimeout("connect timeout"), Outcome.UNREACHABLE),
        (requests.exceptions.ReadTimeout("read timeout"), Outcome.TIMEOUT),
        (DeadlineExpired("deadline"), Outcome.TIMEOUT),
        (psrp_errors.WinRMTransportError("http", 500, "boom"), Outcome.COMMAND_FAILED),
        (psrp_errors.WSManFaultError(2150858843, "m", "reason", "p", "pp", "pf"), Outcome.COMMAND_FAILED),
        (psrp_errors.WSManFaultError(5, "m", "Access is denied.", "p", "pp", "pf"), Outcome.AUTH_FAILED),
        (DsregParseError("not dsregcmd"), Outcome.UNPARSEABLE),
        (_json_error(), Outcome.UNPARSEABLE),
        (ET.ParseError("junk after document element"), Outcome.UNPARSEABLE),
        (psrp_errors.SerializationError("bad clixml"), Outcome.UNPARSEABLE),
        (RuntimeError("surprise"), Outcome.COMMAND_FAILED),
    ],
)
def test_each_failure_maps_to_one_outcome(exc: Exception, outcome: Outcome) -> None:
    """Every third-party failure becomes one outcome with a one-line message."""
    failure = classify(exc)
    assert failure.outcome is outcome
    assert str(failure)
    assert "\n" not in str(failure)


def test_connect_timeout_after_the_deadline_is_a_timeout() -> None:
    """A connect cut short by the host deadline is a timeout, not an unreachable host."""
    clock = iter([0.0, 5.0]).__next__
    budget = Budget(1.0, clock=clock)
    with pytest.raises(DeadlineExpired):
        budget.remaining()
    assert classify(requests.exceptions.ConnectTimeout("x"), budget).outcome is Outcome.TIMEOUT


def test_check_failure_passes_through() -> None:
    """A CheckFailure keeps its own outcome and message."""
    failure = CheckFailure(Outcome.NO_INTERACTIVE_USER, "user session not available")
    assert classify(failure) is failure


def test_budget_grants_cleanup_grace_after_deadline_and_cancel() -> None:
    """After the deadline or a cancellation, requests are refused except inside cleanup()."""
    now = [0.0]
    budget = Budget(1.0, cleanup_grace=2.0, clock=lambda: now[0])
    assert budget.remaining() == 1.0
    now[0] = 1.5
    with pytest.raises(DeadlineExpired):
        budget.remaining()
    with budget.cleanup():
        assert budget.remaining() == pytest.approx(1.5)  # the grace runs from the deadline (1.0 + 2.0)
        now[0] = 4.0
        with pytest.raises(DeadlineExpired):
            budget.remaining()
    budget2 = Budget(10.0, clock=lambda: 0.0)
    budget2.cancel.set()
    with pytest.raises(Exception, match="cancelled"):
        budget2.remaining()
    with budget2.cleanup():
        assert budget2.remaining() > 0


def test_cleanups_after_the_deadline_share_one_grace() -> None:
    """Successive clean-up steps cannot each take a fresh grace: together they end cleanup_grace after the deadline."""
    now = [0.0]
    budget = Budget(1.0, cleanup_grace=5.0, clock=lambda: now[0])
    now[0] = 1.2
    with budget.cleanup():  # e.g. stopping the pipeline that timed out
        now[0] = 5.0
        assert budget.remaining() == pytest.approx(1.0)
    with budget.cleanup():  # e.g. removing the scheduled task
        now[0] = 6.5
        with pytest.raises(DeadlineExpired):
            budget.remaining()


def test_cleanups_after_a_cancellation_share_one_grace() -> None:
    """After a cancellation the clean-up steps share one grace that starts with the first of them."""
    now = [0.0]
    budget = Budget(60.0, cleanup_grace=5.0, clock=lambda: now[0])
    now[0] = 2.0
    budget.cancel.set()
    with budget.cleanup():
        assert budget.remaining() == pytest.approx(5.0)
        now[0] = 6.0
    with budget.cleanup():
        assert budget.remaining() == pytest.approx(1.0)
        now[0] = 7.5
        with pytest.raises(DeadlineExpired):
            budget.remaining()


def test_cleanup_before_the_deadline_keeps_the_full_grace() -> None:
    """A clean-up in a healthy check is not cut short by the grace logic."""
    now = [0.0]
    budget = Budget(60.0, cleanup_grace=5.0, clock=lambda: now[0])
    now[0] = 10.0
    with budget.cleanup():
        assert budget.remaining() == pytest.approx(5.0)
