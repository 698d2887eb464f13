"""One PSRP session with one host: a deadline-bounded runspace pool and fixed-text pipelines.

Everything pypsrp, requests and pyspnego can raise is turned into a :class:`CheckFailure` carrying an
:class:`~pinreset.remote.models.Outcome` in :func:`classify` — the single boundary where third-party exceptions
are translated. Commands are built only with ``add_cmdlet`` / ``add_parameter`` / ``add_argument``: every
variable travels as a typed PSRP value and is never parsed as PowerShell.
"""

from __future__ import annotations

import json
import math
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import attrs
import requests
import spnego.exceptions
from pypsrp import exceptions as psrp_errors
from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import Process, SignalCode, WinRS
from pypsrp.wsman import WSMan

from pinreset.exceptions import ConfigurationError, ParseError
from pinreset.remote._connection import WinRMConnection, codepage_encoding
from pinreset.remote._hosts import HostSpec
from pinreset.remote._pipeline import LightPowerShell
from pinreset.remote.models import Outcome

__all__ = ["Budget", "Cancelled", "CheckFailure", "Cmd", "HostSession", "classify", "winrs_run"]


# Cmdlets that write nothing to the output stream (without -PassThru): their statements need no ConvertTo-Json,
# which saves serialising a command per statement (pypsrp's CLIXML serialiser is the client's main CPU cost).
_SILENT = frozenset({"Start-ScheduledTask", "Unregister-ScheduledTask", "Remove-Item"})


#: Finished pipelines a session leaves for the pool's Delete to release. Hosts refuse new pipelines after
#: MaxConcurrentCommandsPerShell (1000 by default) unless they are closed, so past this many each one is closed.
_LEFT_OPEN_MAX = 32


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error report
    """The fleet check was cancelled; the host's check stops at the next request."""


class DeadlineExpired(Exception):  # noqa: N818
    """The host's deadline passed before the next request could be sent."""


class CheckFailure(Exception):  # noqa: N818 - carries an outcome, stays inside the package
    """A host check ended early with ``outcome``; ``str(exc)`` is the error text for the report."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def check_durations(deadline: float, cleanup_grace: float) -> None:
    """Refuse a deadline that is not a positive, finite number of seconds, or a negative/NaN clean-up grace.

    ``deadline <= 0`` alone lets NaN through (every comparison with NaN is false), which would reach the HTTP
    layer as a timeout and fail every host with a confusing error.

    Raises:
        ConfigurationError: naming the bad value.
    """
    if not (deadline > 0 and math.isfinite(deadline)):
        raise ConfigurationError(f"deadline must be a positive number of seconds, got {deadline}")
    if not (cleanup_grace >= 0 and math.isfinite(cleanup_grace)):
        raise ConfigurationError(f"cleanup_grace must be zero or a positive number of seconds, got {cleanup_grace}")


class Budget:
    """The time a host check may still spend, and the fleet's cancel flag.

    ``cleanup()`` opens a short grace period in which requests are allowed after the deadline or a
    cancellation, so that scheduled tasks and runspace pools created on the host are still removed. The
    clean-ups of one check share that grace: together they never run past ``cleanup_grace`` after the deadline,
    nor past ``cleanup_grace`` after the first clean-up that follows a cancellation.
    """

    def __init__(
        self,
        deadline: float,
        *,
        cancel: threading.Event | None = None,
        cleanup_grace: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.started = clock()
        self.deadline_at = self.started + deadline
        self.cancel = cancel or threading.Event()
        self.cleanup_grace = cleanup_grace
        self._grace_until: float | None = None
        self._cancel_grace_until: float | None = None
        self.expired = False

    def elapsed(self) -> float:
        """Seconds since the check started."""
        return self._clock() - self.started

    def remaining(self) -> float:
        """Seconds left for the next request; raises when none are left.

        Raises:
            Cancelled: the fleet was cancelled (outside a clean-up).
            DeadlineExpired: the deadline (or the clean-up grace) has passed.
        """
        now = self._clock()
        if self._grace_until is not None:
            left = self._grace_until - now
        else:
            if self.cancel.is_set():
                raise Cancelled("cancelled")
            left = self.deadline_at - now
        if left <= 0:
            self.expired = True
            raise DeadlineExpired("deadline passed")
        return left

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds`` but never past the deadline; wakes early on cancellation."""
        left = self.remaining()
        if seconds > 0:
            self.cancel.wait(min(seconds, left))
        self.remaining()

    @contextmanager
    def cleanup(self) -> Iterator[None]:
        """Allow requests for :attr:`cleanup_grace` seconds more, whatever the deadline or cancel flag say."""
        outer = self._grace_until
        now = self._clock()
        # One grace for all clean-ups of the check: a fresh one per clean-up step (pipeline stop, task removal,
        # pool close) would let a host that stopped answering hold its worker several graces past its deadline.
        until = min(now, self.deadline_at) + self.cleanup_grace
        if self.cancel.is_set():
            if self._cancel_grace_until is None:
                self._cancel_grace_until = now + self.cleanup_grace
            until = min(until, self._cancel_grace_until)
        self._grace_until = until
        try:
            yield
        finally:
            self._grace_until = outer


@attrs.frozen
class Cmd:
    """One command of a pipeline: a cmdlet name (fixed text) with typed parameters and arguments."""

    name: str
    parameters: tuple[tuple[str, Any], ...] = ()
    arguments: tuple[Any, ...] = ()


#: Ends every statement that writes output: compressed JSON, deep enough for the registry and event objects.
_TO_JSON = Cmd("ConvertTo-Json", (("Depth", 4), ("Compress", True)))


def cmd(name: str, *arguments: Any, **parameters: Any) -> Cmd:
    """Shorthand for :class:`Cmd`: ``cmd("Get-Item", Path=path)``."""
    return Cmd(name, tuple(parameters.items()), arguments)


def classify(exc: BaseException, budget: Budget | None = None) -> CheckFailure:
    """Translate anything a host check raised into one outcome with a readable, secret-free message."""
    if isinstance(exc, CheckFailure):
        return exc
    expired = budget is not None and budget.expired
    if isinstance(exc, DeadlineExpired):
        return CheckFailure(Outcome.TIMEOUT, "deadline passed before the check finished")
    if isinstance(exc, (psrp_errors.AuthenticationError, spnego.exceptions.SpnegoError)):
        return CheckFailure(Outcome.AUTH_FAILED, f"authentication failed: {_first_line(exc)}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        if expired:
            return CheckFailure(Outcome.TIMEOUT, "deadline passed while connecting")
        return CheckFailure(Outcome.UNREACHABLE, f"connection timed out: {_first_line(exc)}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return CheckFailure(Outcome.TIMEOUT, "host did not answer in time (read timeout)")
    if isinstance(exc, requests.exceptions.SSLError):
        return CheckFailure(Outcome.UNREACHABLE, f"TLS failed: {_first_line(exc)}")
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return CheckFailure(Outcome.UNREACHABLE, f"connection dropped mid-response: {_first_line(exc)}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return CheckFailure(Outcome.UNREACHABLE, f"cannot connect: {_first_line(exc)}")
    if isinstance(exc, psrp_errors.WSManFaultError):
        if exc.code == 5:  # ERROR_ACCESS_DENIED: authenticated but not allowed to use the endpoint
            return CheckFailure(Outcome.AUTH_FAILED, f"access denied: {_first_line(exc)}")
        return CheckFailure(Outcome.COMMAND_FAILED, f"WS-Management fault {exc.code}: {_first_line(exc)}")
    if isinstance(exc, psrp_errors.WinRMTransportError):
        if exc.code == 401:
            return CheckFailure(Outcome.AUTH_FAILED, "authentication failed (HTTP 401)")
        return CheckFailure(Outcome.COMMAND_FAILED, f"HTTP {exc.code} from the host")
    if isinstance(exc, (ParseError, json.JSONDecodeError, ET.ParseError, UnicodeDecodeError)):
        return CheckFailure(Outcome.UNPARSEABLE, f"unreadable answer: {_first_line(exc)}")
    if isinstance(exc, (psrp_errors.SerializationError, psrp_errors.FragmentError)):
        return CheckFailure(Outcome.UNPARSEABLE, f"unreadable PSRP message: {_first_line(exc)}")
    if isinstance(exc, psrp_errors.WinRMError):
        return CheckFailure(Outcome.COMMAND_FAILED, f"{type(exc).__name__}: {_first_line(exc)}")
    return CheckFailure(Outcome.COMMAND_FAILED, f"unexpected {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0]
    return line if len(line) <= 300 else line[:297] + "..."


def _bound_transport(wsman: WSMan, connection: WinRMConnection, budget: Budget) -> None:
    """Make every HTTP request of ``wsman`` respect the host's budget.

    pypsrp applies one fixed timeout per request and retries a timed-out Receive up to five times with
    growing sleeps; neither knows about an overall deadline. Wrapping this instance's ``transport.send``
    (the seam pypsrp's own tests replace) caps each request's connect/read timeout by the time left and
    turns off those retries, so a hanging host costs at most its own deadline.
    """
    transport = wsman.transport
    original = transport.send

    def send(message: bytes, *, retries_on_read_timeout: int = 0, timeout: Any = None) -> bytes:
        left = budget.remaining()
        read = float(timeout) if isinstance(timeout, (int, float)) else connection.read_timeout
        answer = bytes(
            original(
                message,
                retries_on_read_timeout=0,
                timeout=(min(connection.connection_timeout, left), min(read, left)),
            )
        )
        session = transport.session
        if session is not None and session.trust_env:
            # pypsrp has already folded the environment's proxy and CA settings into the session when it built
            # it; re-reading the whole environment (and ~/.netrc) on every later request only costs CPU.
            session.trust_env = False
        return answer

    transport.send = send  # type: ignore[method-assign]


class HostSession:
    """A runspace pool on one host, used from one thread only (pypsrp objects are not thread-safe).

    Use as a context manager: entering connects and opens the pool, leaving closes it within the clean-up
    grace period, whatever happened.
    """

    def __init__(self, host: HostSpec, connection: WinRMConnection, budget: Budget) -> None:
        self.host = host
        self.connection = connection
        self.budget = budget
        self._left_open = 0
        self.wsman = WSMan(**connection.wsman_kwargs(host))
        _bound_transport(self.wsman, connection, budget)
        self.pool = RunspacePool(self.wsman)

    def __enter__(self) -> HostSession:
        try:
            self.pool.open()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()

    def _close(self) -> None:
        opened = bool(self.pool.shell.opened)
        try:
            if opened:
                with self.budget.cleanup():
                    self.pool.close()
        except Exception:  # noqa: S110 - the host is unreachable or broken; the outcome is already decided
            pass
        finally:
            self.wsman.close()

    def run_statements(
        self, *statements: Sequence[Cmd], ignore_errors: bool = False, static: bool = False
    ) -> list[Any]:
        """Run several statements in one invocation (one round trip) and return every JSON value they wrote.

        Each statement ends with ``ConvertTo-Json``; a statement with no output writes nothing, so the caller
        tells the values apart by their shape, never by their position.

        Args:
            statements: the statements, each a pipeline of commands.
            ignore_errors: do not fail on non-terminating errors.
            static: the statements are the same for every host, so their message is serialised once per process.

        Returns:
            The parsed JSON values in the order they were written (``null`` values dropped).

        Raises:
            CheckFailure: ``COMMAND_FAILED`` when a statement failed or wrote to the error stream.
            json.JSONDecodeError: when a JSON text is broken (classified as ``unparseable``).
        """
        sent = [tuple(s) if s[-1].name in _SILENT else (*s, _TO_JSON) for s in statements]
        # The cache key is the whole text of what is sent: every command name and typed value.
        ps = LightPowerShell(self.pool, cache_key=repr(sent) if static else None)
        for statement in sent:
            self._add(ps, statement)
            ps.add_statement()
        label = "; ".join(" | ".join(c.name for c in statement) for statement in statements)
        output = self._invoke(ps, label, ignore_errors)
        values = [json.loads(str(item)) for item in output if item is not None and str(item).strip()]
        return [v for v in values if v is not None]

    @staticmethod
    def _add(ps: PowerShell, commands: Sequence[Cmd]) -> None:
        for command in commands:
            ps.add_cmdlet(command.name)
            for name, value in command.parameters:
                ps.add_parameter(name, value)
            for value in command.arguments:
                ps.add_argument(value)

    def _invoke(self, ps: PowerShell, label: str, ignore_errors: bool) -> list[Any]:
        try:
            output: list[Any] = ps.invoke()
            # had_errors is only set by a terminating error; cmdlets that fail on one item just write an error
            # record, which is a failure of the check all the same.
            errors = [str(e) for e in ps.streams.error]
            if ps.had_errors or (errors and not ignore_errors):
                detail = "; ".join(errors) or "the pipeline failed"
                raise CheckFailure(Outcome.COMMAND_FAILED, f"{label}: {detail}")
        finally:
            self._close_pipeline(ps)
        return output

    def run(self, *commands: Cmd, as_json: bool = True, ignore_errors: bool = False) -> Any:
        """Run one pipeline of ``commands`` and return its output.

        Args:
            commands: the pipeline, first command first.
            as_json: append ``ConvertTo-Json -Depth 4 -Compress`` and return the parsed JSON (``None`` when the
                pipeline produced nothing); otherwise return the raw output list.
            ignore_errors: do not fail on non-terminating errors (the caller passed ``-ErrorAction`` knowingly).

        Returns:
            Parsed JSON, or the output objects.

        Raises:
            CheckFailure: ``COMMAND_FAILED`` when the pipeline failed or wrote to the error stream.
            json.JSONDecodeError: when the JSON text is broken (classified as ``unparseable``).
        """
        ps = LightPowerShell(self.pool)
        self._add(ps, (*commands, _TO_JSON) if as_json else commands)
        output = self._invoke(ps, " | ".join(c.name for c in commands), ignore_errors)
        if not as_json:
            return output
        texts = [str(item) for item in output if item is not None]
        if not texts:
            return None
        return json.loads("".join(texts))

    def _close_pipeline(self, ps: PowerShell) -> None:
        try:
            with self.budget.cleanup():
                if ps.state == PSInvocationState.RUNNING:
                    ps.stop()
                elif ps.state == PSInvocationState.COMPLETED and self._left_open < _LEFT_OPEN_MAX:
                    # All its output is in. Deleting the pool's shell when the check ends releases the command
                    # as well; a Terminate signal now would cost one more round trip for nothing.
                    self._left_open += 1
                    self.pool.pipelines.pop(ps.id, None)
                else:
                    ps.close()
        except Exception:  # noqa: S110 - a failed close must not mask the pipeline's own result
            pass


def winrs_run(wsman: WSMan, command: str, arguments: Sequence[str], *, codepage: int) -> tuple[str, str, int]:
    """Run a fixed native command over WinRS and decode its output in the host's code page.

    PSRP returns Unicode strings, but WinRS returns the bytes the process wrote, in the OEM code page the
    shell was opened with; decoding them with any other code page garbles non-ASCII names.

    Args:
        wsman: an unshared WSMan of this thread.
        command: the executable, fixed text (e.g. ``dsregcmd``).
        arguments: its arguments, fixed text.
        codepage: the code page to open the shell with and to decode with (437, 850, 65001, ...).

    Returns:
        ``(stdout, stderr, exit code)``.
    """
    encoding = codepage_encoding(codepage)
    with WinRS(wsman, codepage=codepage) as shell:
        process = Process(shell, command, list(arguments))
        process.invoke()
        process.signal(SignalCode.CTRL_C)
    return (
        process.stdout.decode(encoding, errors="replace"),
        process.stderr.decode(encoding, errors="replace"),
        process.rc if process.rc is not None else -1,
    )
