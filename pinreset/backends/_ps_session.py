"""One PSRP runspace pool on the admin host, and the one place where pypsrp's failures become pinreset errors.

Every pipeline is built with ``add_cmdlet`` / ``add_parameter`` only: values travel as typed PSRP objects and are
never parsed as PowerShell. Each pipeline is closed when it ends (hosts refuse new pipelines after
``MaxConcurrentCommandsPerShell`` otherwise). A pipeline fails when it ended in the Failed state *or* wrote any
record to its error stream (``had_errors`` alone misses non-terminating errors). pypsrp objects are not
thread-safe: one lock serialises every use of the pool. While an operation's :attr:`PSSession.budget` is set, a
pipeline still running when it is spent is stopped and closed, and :class:`DeadlineExceededError` is raised.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pinreset.backends._ps_errors import ErrorRecord, error_from_records
from pinreset.backends._ps_signin import SecretCredential
from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    DeadlineExceededError,
    PinresetError,
    TransportError,
)
from pinreset.graph._retry import Deadline
from pinreset.remote._connection import WinRMConnection
from pinreset.remote._hosts import HostSpec

__all__ = ["JSON_DEPTH", "Cmd", "PSSession"]

log = logging.getLogger("pinreset.powershell")

#: ``ConvertTo-Json -Depth``: settings catalog instances nest about seven levels; the default (2) would cut them.
JSON_DEPTH = 10
_BACKEND = "powershell"


class Cmd:
    """One command of a pipeline: a fixed cmdlet name and typed parameters (``True`` for a switch)."""

    __slots__ = ("name", "parameters")

    def __init__(self, name: str, *parameters: tuple[str, Any]) -> None:
        self.name = name
        self.parameters = tuple(parameters)

    def __repr__(self) -> str:
        # Parameter names only: a value may be a secret.
        return f"Cmd({self.name} {' '.join('-' + n for n, _ in self.parameters)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0]
    return line if len(line) <= 300 else line[:297] + "..."


def translate(exc: BaseException, host: HostSpec) -> PinresetError:
    """Anything pypsrp, requests or pyspnego raised, as a pinreset error (the single translation boundary)."""
    import requests
    import spnego.exceptions
    from pypsrp import exceptions as psrp_errors

    if isinstance(exc, PinresetError):
        return exc
    where = f"admin host {host}"
    if isinstance(exc, (psrp_errors.AuthenticationError, spnego.exceptions.SpnegoError)):
        return AuthenticationError(f"{where} refused the WinRM sign-in: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, psrp_errors.WinRMTransportError) and exc.code == 401:
        return AuthenticationError(f"{where} refused the WinRM sign-in (HTTP 401)", backend=_BACKEND)
    if isinstance(exc, psrp_errors.WSManFaultError) and exc.code == 5:
        return AuthenticationError(f"{where}: access denied: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(f"{where}: TLS failed: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, requests.exceptions.Timeout):
        return TransportError(f"{where} did not answer in time: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, requests.exceptions.RequestException):
        return TransportError(f"cannot reach {where}: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, psrp_errors.WinRMError | psrp_errors.SerializationError | psrp_errors.FragmentError):
        return TransportError(f"{where}: {type(exc).__name__}: {_first_line(exc)}", backend=_BACKEND)
    if isinstance(exc, OSError | ValueError | RuntimeError | KeyError | AttributeError | TypeError):
        return TransportError(f"{where}: unexpected {type(exc).__name__}: {_first_line(exc)}", backend=_BACKEND)
    return BackendError(f"{where}: unexpected {type(exc).__name__}: {_first_line(exc)}", backend=_BACKEND)


def _records(ps: Any) -> list[ErrorRecord]:
    records = []
    for err in ps.streams.error:
        message = getattr(err, "details_message", None) or str(err)
        records.append(ErrorRecord(message=str(message), fq_error=str(getattr(err, "fq_error", "") or "")))
    return records


class PSSession:
    """A lazily opened runspace pool on one admin host.

    Args:
        host: the admin host.
        connection: WinRM transport, authentication and timeouts (the fleet checker's options).
        wsman_factory: builds the ``WSMan`` (tests); default ``pypsrp.wsman.WSMan``.
    """

    def __init__(
        self, host: HostSpec, connection: WinRMConnection, *, wsman_factory: Callable[..., Any] | None = None
    ) -> None:
        self.host = host
        self.connection = connection
        self._wsman_factory = wsman_factory
        self._lock = threading.RLock()
        self._wsman: Any = None
        self._pool: Any = None
        self._keys = False
        self._closed = False
        self._stream: _Stream | None = None
        #: Pipelines run (each one closed); for tests and figures.
        self.pipelines = 0
        #: The running operation's time budget and its name (set by ``MgClient.budget``), or ``None``.
        self.budget: Deadline | None = None
        self.operation = ""

    def __repr__(self) -> str:
        return f"PSSession({self.host}, open={self._pool is not None})"

    # -- lifetime -------------------------------------------------------------------------------------------------

    def _open(self) -> Any:
        if self._closed:
            raise BackendError("the PowerShell backend is closed", backend=_BACKEND)
        if self._pool is None:
            from pypsrp.powershell import RunspacePool
            from pypsrp.wsman import WSMan

            factory = self._wsman_factory or WSMan
            try:
                self._wsman = factory(**self.connection.wsman_kwargs(self.host))
                pool = RunspacePool(self._wsman)
                pool.open()
            except Exception as exc:
                self._drop()
                raise translate(exc, self.host) from exc
            self._pool = pool
        return self._pool

    def _drop(self) -> None:
        if self._wsman is not None:
            # Closing a broken connection must not mask its error.
            with contextlib.suppress(Exception):
                self._wsman.close()
        self._wsman = None
        self._pool = None
        self._keys = False

    def close(self) -> None:
        """Close the pool (``Disconnect-MgGraph`` is the caller's business) and the HTTP session."""
        with self._lock:
            self._closed = True
            if self._stream is not None:
                self._stream.abandon()
                self._stream = None
            pool = self._pool
            if pool is not None:
                try:
                    pool.close()
                except Exception as exc:  # the host went away: nothing to release
                    log.debug("closing the runspace pool on %s failed: %s", self.host, _first_line(exc))
            self._drop()

    # -- the operation's budget -----------------------------------------------------------------------------------

    def check_budget(self, label: str, *, running: bool = False) -> None:
        """Raise :class:`DeadlineExceededError` when the running operation's budget is spent.

        Args:
            label: the pipeline about to run or still running (named in the message).
            running: whether it is running (the caller stops and closes it) or not started yet.
        """
        budget = self.budget
        if budget is None:
            return
        left = budget.remaining()
        if left is not None and left <= 0:
            raise DeadlineExceededError(
                f"{self.operation or label} on admin host {self.host}: deadline of {budget.seconds}s exceeded "
                f"({label} {'stopped' if running else 'not started'})",
                backend=_BACKEND,
            )

    def _poll_timeout(self) -> int | None:
        """A Receive's ``OperationTimeout`` that lets the host hold it no longer than the budget's rest."""
        left = self.budget.remaining() if self.budget is not None else None
        if left is None or left >= self.connection.operation_timeout:
            return None  # the connection's own
        return max(1, math.ceil(left))

    # -- pipelines ------------------------------------------------------------------------------------------------

    def _build(self, commands: Sequence[Cmd], *, as_json: bool) -> Any:
        from pypsrp.complex_objects import PSCredential
        from pypsrp.powershell import PowerShell

        pool = self._open()
        ps = PowerShell(pool)
        for command in commands:
            ps.add_cmdlet(command.name)
            for name, value in command.parameters:
                if isinstance(value, SecretCredential):
                    if not self._keys:
                        # SecureStrings are encrypted with a session key agreed per pool.
                        pool.exchange_keys()
                        self._keys = True
                    value = PSCredential(username=value.username, password=value.password)  # type: ignore[no-untyped-call]
                ps.add_parameter(name, value)
        if as_json:
            ps.add_cmdlet("ConvertTo-Json").add_parameter("Depth", JSON_DEPTH).add_parameter("Compress", True)
        return ps

    def _finish(self, ps: Any, label: str, *, sign_in: bool, method: str | None, uri: str | None) -> None:
        """Raise the pipeline's error, if it had one; always close it."""
        try:
            records = _records(ps)
            if ps.had_errors or records:
                raise error_from_records(records, command=label, sign_in=sign_in, method=method, uri=uri)
        finally:
            self._close_pipeline(ps)

    def _close_pipeline(self, ps: Any) -> None:
        from pypsrp.complex_objects import PSInvocationState

        try:
            if ps.state == PSInvocationState.RUNNING:
                # stop() only sends ctrl_c: the command stays on the host until it is terminated, so close it too.
                ps.stop()
            ps.close()
        except Exception as exc:  # must not mask the pipeline's result
            log.debug("closing a pipeline on %s failed: %s", self.host, _first_line(exc))

    def invoke(
        self,
        commands: Sequence[Cmd],
        *,
        as_json: bool = False,
        sign_in: bool = False,
        method: str | None = None,
        uri: str | None = None,
    ) -> list[Any]:
        """Run one pipeline and return its output objects.

        Args:
            commands: the pipeline, first command first.
            as_json: append ``ConvertTo-Json -Depth 10 -Compress`` (the output is then JSON text).
            sign_in: the pipeline signs in (its failures are :class:`AuthenticationError`).
            method: HTTP method of an ``Invoke-MgGraphRequest`` (for error messages).
            uri: its URI (for error messages).

        Raises:
            BackendError: its subclasses as :func:`error_from_records` and :func:`translate` decide.
        """
        from pypsrp.complex_objects import PSInvocationState

        label = commands[0].name if commands else "pipeline"
        with self._lock:
            self._settle_stream()
            self.check_budget(label)
            try:
                ps = self._build(commands, as_json=as_json)
                self.pipelines += 1
                try:
                    # PowerShell.invoke() is begin_invoke() and polls until the end; polling here lets a spent
                    # budget stop the pipeline between two Receives (closed below, like any failed pipeline).
                    ps.begin_invoke()
                    while ps.state == PSInvocationState.RUNNING:
                        self.check_budget(label, running=True)
                        ps.poll_invoke(self._poll_timeout())
                except BaseException:
                    self._close_pipeline(ps)
                    raise
                self._finish(ps, label, sign_in=sign_in, method=method, uri=uri)
                return list(ps.output)
            except PinresetError:
                raise
            except Exception as exc:
                raise translate(exc, self.host) from exc

    def stream(self, commands: Sequence[Cmd]) -> Iterator[Any]:
        """Run one pipeline and yield its output objects as they arrive (``begin_invoke``/``poll_invoke``).

        Output already yielded is dropped from memory. When another pipeline must run before this one is read to
        the end, the rest of this one's output is received first and kept (the pool runs one pipeline at a time).
        """
        label = commands[0].name if commands else "pipeline"
        with self._lock:
            self._settle_stream()
            self.check_budget(label)
            try:
                ps = self._build(commands, as_json=False)
                self.pipelines += 1
                ps.begin_invoke()
            except PinresetError:
                raise
            except Exception as exc:
                raise translate(exc, self.host) from exc
            stream = self._stream = _Stream(self, ps, label)
        try:
            yield from stream.items()
        finally:
            with self._lock:
                stream.abandon()
                if self._stream is stream:
                    self._stream = None

    def _settle_stream(self) -> None:
        if self._stream is not None:
            self._stream.drain()
            self._stream = None


class _Stream:
    """The output of one pipeline, received in polls."""

    def __init__(self, session: PSSession, ps: Any, label: str) -> None:
        self.session = session
        self.ps = ps
        self.label = label
        self.buffer: list[Any] = []
        self.done = False
        self.closed = False
        self.error: PinresetError | None = None

    def _poll(self) -> bool:
        """Receive once; True when the pipeline has ended (and its errors were raised)."""
        from pypsrp.complex_objects import PSInvocationState

        ps = self.ps
        try:
            if ps.state == PSInvocationState.RUNNING:
                self.session.check_budget(self.label, running=True)
                ps.poll_invoke(self.session._poll_timeout())
            self.buffer.extend(ps.output)
            ps.output.clear()
            if ps.state == PSInvocationState.RUNNING:
                return False
        except DeadlineExceededError:
            self.closed = True
            self.session._close_pipeline(ps)
            raise
        except PinresetError:
            raise
        except Exception as exc:
            self.closed = True
            self.session._close_pipeline(ps)
            raise translate(exc, self.session.host) from exc
        self.done = True
        self.closed = True
        self.session._finish(ps, self.label, sign_in=False, method=None, uri=None)
        return True

    def items(self) -> Iterator[Any]:
        while True:
            with self.session._lock:
                if self.error is not None:
                    raise self.error
                ended = self.done or self._poll()
                chunk, self.buffer = self.buffer, []
            yield from chunk
            if ended and not self.buffer:
                return

    def drain(self) -> None:
        """Receive the rest now (another pipeline needs the pool)."""
        try:
            while not self.done and not self.closed:
                self._poll()
        except PinresetError as exc:
            # The failure belongs to this stream's reader, not to the pipeline that needed the pool.
            self.error = exc

    def abandon(self) -> None:
        """The reader stopped early (or the session closes): stop and close the pipeline."""
        if not self.closed:
            self.closed = True
            self.session._close_pipeline(self.ps)
