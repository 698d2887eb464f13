"""A PSRP runspace pool over WSMan, backed by psrpcore's server classes and the simulated PowerShell engine.

psrpcore is sans-IO: it turns incoming fragments into events and queues outgoing messages. ``data_to_send``
returns fragments for one target at a time and consumes them from a queue shared by the pool and its pipelines,
so everything it produces is drained straight into one outbox per target (the pool, or a pipeline id) and each
WSMan Receive answers from its own target's outbox.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

import attrs

from pinreset.emulator.winrm._clixml import CreatePipelineInfo, UnsupportedClixmlError, read_create_pipeline
from pinreset.emulator.winrm._engine import PSError, StatementCommand, run_pipeline
from pinreset.emulator.winrm._objects import PSObj, SecureText, to_psrp

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["PSRPShell"]

# Largest PSRP fragment put in one Receive answer; Windows' default MaxEnvelopeSizekb is 500.
_FRAGMENT = 256 * 1024


def plain(value: Any) -> Any:
    """psrpcore's deserialized values as plain Python (PSString -> str, PSDict -> dict, objects -> PSObj)."""
    import psrpcore.types as pst

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, pst.PSSecureString):
        # Readable only after the client's key exchange; psrpcore decrypts with the session key.
        return SecureText(str(value.decrypt()))
    if isinstance(value, pst.PSObject):
        info = value.PSObject
        props = {p.name: plain(p.get_value(value)) for p in (*info.adapted_properties, *info.extended_properties)}
        return PSObj(type_names=list(info.type_names), props=props, text=info.to_string)
    return value


def call_id(event: Any) -> int:
    """The call id (``ci``) of a runspace-availability request, whatever the case of its property name."""
    obj = event._ps_object
    for prop in obj.PSObject.extended_properties:
        if prop.name.lower() == "ci":
            return int(prop.get_value(obj))
    raise ValueError("runspace availability request without a call id")


@functools.cache
def _pool_class() -> Any:
    """psrpcore's server pool, reading the call id of SET_MAX/MIN_RUNSPACES case-insensitively.

    pypsrp names that property ``CI`` where PowerShell writes ``ci``; PowerShell's property lookup ignores case,
    psrpcore's does not, so without this a pypsrp client setting ``max_runspaces`` would break the pool.
    """
    import psrpcore
    from psrpcore.types import PSRPMessageType

    class _ServerPool(psrpcore.ServerRunspacePool):
        def _process_message(self, message: Any) -> Any:
            # CreatePipeline is read by the fast reader; psrpcore handles what it cannot (see _clixml).
            if message.message_type == PSRPMessageType.CreatePipeline and message.pipeline_id in self.pipeline_table:
                try:
                    info = read_create_pipeline(message.data)
                except UnsupportedClixmlError:
                    return super()._process_message(message)
                return FastCreatePipeline(message.pipeline_id, info)
            return super()._process_message(message)

        def _process_SetMaxRunspaces(self, event: Any) -> None:  # noqa: N802 - psrpcore's dispatch name
            ci = call_id(event)
            self._ci_events[ci] = event
            self._ci_handlers[ci] = lambda _: setattr(self, "_max_runspaces", event.count)

        def _process_SetMinRunspaces(self, event: Any) -> None:  # noqa: N802 - psrpcore's dispatch name
            ci = call_id(event)
            self._ci_events[ci] = event
            self._ci_handlers[ci] = lambda _: setattr(self, "_min_runspaces", event.count)

    return _ServerPool


@attrs.frozen
class FastCreatePipeline:
    """A CREATE_PIPELINE read by :func:`read_create_pipeline` (stands in for psrpcore's event)."""

    pipeline_id: uuid.UUID
    info: CreatePipelineInfo


def _statements_of(pipeline: Any) -> tuple[tuple[StatementCommand, ...], ...]:
    """Statements of a psrpcore ``PowerShell`` (the fallback path)."""
    statements: list[list[StatementCommand]] = [[]]
    for command in pipeline.commands:
        params = tuple((name, plain(value)) for name, value in command.parameters)
        statements[-1].append(StatementCommand(str(command.command_text), params, bool(command.is_script)))
        if command.end_of_statement:
            statements.append([])
    return tuple(tuple(s) for s in statements if s)


class _Pipe:
    def __init__(self, statements: tuple[tuple[StatementCommand, ...], ...]) -> None:
        self.statements = statements
        self.input: list[Any] = []
        self.ran = False


class PSRPShell:
    """One runspace pool (a WSMan shell on the ``Microsoft.PowerShell`` resource) of one host.

    Args:
        host: the host whose engine runs the pipelines.
        creation: the first fragments from the Create body's ``creationXml``.
    """

    kind = "psrp"

    def __init__(self, host: SimulatedHost, creation: bytes) -> None:

        self.host = host
        self._lock = threading.Condition()
        self.pool = _pool_class()()
        self._pipes: dict[uuid.UUID, _Pipe] = {}
        self.outbox: dict[uuid.UUID | None, deque[bytes]] = {None: deque()}
        self.last_used = time.monotonic()
        self.closed = False
        #: State the pool's pipelines share (a runspace's session state: e.g. the Connect-MgGraph sign-in).
        self.session: dict[str, Any] = {}
        self.feed(creation, None)

    @property
    def shell_id(self) -> str:
        """The pool id, which the client chose and uses as ShellId."""
        return str(self.pool.runspace_pool_id).upper()

    def feed(self, data: bytes, pipeline_id: uuid.UUID | None) -> None:
        """Hand incoming fragments to psrpcore and act on every complete message."""
        import psrpcore

        with self._lock:
            self.pool.receive_data(psrpcore.PSRPPayload(data, psrpcore.StreamType.default, pipeline_id))
            while True:
                event = self.pool.next_event()
                if event is None:
                    break
                self._on_event(event)
            self._drain()

    def create_pipeline(self, command_id: str, first_fragment: bytes) -> None:
        """A WSMan Command: register the pipeline, then feed its first fragment."""
        import psrpcore

        pipeline_id = uuid.UUID(command_id)
        with self._lock:
            psrpcore.ServerPipeline(self.pool, pipeline_id)
            self.outbox.setdefault(pipeline_id, deque())
        self.feed(first_fragment, pipeline_id)

    def _on_event(self, event: Any) -> None:
        import psrpcore

        if isinstance(event, FastCreatePipeline):
            pipe = self._pipes[event.pipeline_id] = _Pipe(event.info.statements)
            if event.info.no_input:
                self._run(event.pipeline_id, pipe)
        elif isinstance(event, psrpcore.CreatePipelineEvent):
            pipeline = event.pipeline
            pipe = self._pipes[event.pipeline_id] = _Pipe(_statements_of(pipeline))
            if pipeline.no_input:
                self._run(event.pipeline_id, pipe)
        elif isinstance(event, psrpcore.PipelineInputEvent):
            self._pipes[event.pipeline_id].input.append(plain(event.data))
        elif isinstance(event, psrpcore.EndOfPipelineInputEvent):
            waiting = self._pipes.get(event.pipeline_id)
            if waiting is not None and not waiting.ran:
                self._run(event.pipeline_id, waiting)
        elif isinstance(event, psrpcore.GetAvailableRunspacesEvent):
            self.pool.runspace_availability_response(call_id(event), self.pool.max_runspaces)
        elif isinstance(
            event, psrpcore.SetMaxRunspacesEvent | psrpcore.SetMinRunspacesEvent | psrpcore.ResetRunspaceStateEvent
        ):
            self.pool.runspace_availability_response(call_id(event), True)

    def _run(self, pipeline_id: uuid.UUID, pipe: _Pipe) -> None:
        pipe.ran = True
        server_pipe = self.pool.pipeline_table[pipeline_id]
        server_pipe.start()
        first_input = pipe.input
        for statement in pipe.statements:
            result = run_pipeline(self.host, statement, first_input, self.session)
            first_input = []
            for value in result.output:
                # psrpcore sends $null as an empty message, which pypsrp cannot read; skip it.
                if value is not None:
                    server_pipe.write_output(to_psrp(value))
            for err in result.errors:
                self._write_error(server_pipe, err)
            if result.failure is not None:
                # psrpcore has no public "fail the pipeline" call; a terminating error is a Failed state change.
                from psrpcore.types import PSInvocationState

                server_pipe._change_state(PSInvocationState.Failed, _error_record(result.failure))
                return
        server_pipe.complete()

    def _write_error(self, server_pipe: Any, err: PSError) -> None:
        record = _error_record(err)
        server_pipe.write_error(
            record.Exception,
            record.CategoryInfo,
            target_object=record.TargetObject,
            fully_qualified_error_id=record.FullyQualifiedErrorId,
        )

    def _drain(self) -> None:
        while True:
            payload = self.pool.data_to_send(_FRAGMENT)
            if payload is None:
                break
            self.outbox.setdefault(payload.pipeline_id, deque()).append(payload.data)
        self._lock.notify_all()

    def take(self, pipeline_id: uuid.UUID | None, wait: float) -> tuple[list[bytes], bool]:
        """Everything queued for one target, waiting up to ``wait`` seconds for something to arrive.

        Returns:
            The payloads and whether that pipeline has finished (always False for the pool).
        """
        with self._lock:
            box = self.outbox.setdefault(pipeline_id, deque())
            if not box:
                self._lock.wait_for(lambda: bool(box) or self.closed, timeout=wait)
            items = list(box)
            box.clear()
            done = False
            if pipeline_id is not None:
                pipe = self.pool.pipeline_table.get(pipeline_id)
                done = pipe is None or pipe.state.name in ("Completed", "Failed", "Stopped")
            return items, done

    def signal(self, command_id: str | None, code: str) -> None:
        """``ctrl_c`` stops a pipeline, ``Terminate`` closes it."""
        if not command_id:
            return
        pipeline_id = uuid.UUID(command_id)
        with self._lock:
            pipe = self.pool.pipeline_table.get(pipeline_id)
            if pipe is None:
                return
            if code.lower().endswith("terminate"):
                if pipe.state.name == "Running":
                    pipe.stop()
                pipe.close()
                self._pipes.pop(pipeline_id, None)
                self.outbox.pop(pipeline_id, None)
            elif pipe.state.name == "Running":
                pipe.stop()
            self._drain()

    def close(self) -> None:
        """WSMan Delete (or the host going away): close every pipeline, then the pool; wake waiting Receives."""
        with self._lock:
            self.closed = True
            self._lock.notify_all()
            for pipe in list(self.pool.pipeline_table.values()):
                if pipe.state.name == "Running":
                    pipe.stop()
                pipe.close()
            # A pool that never opened has nothing to close.
            with contextlib.suppress(Exception):
                self.pool.close()


def _error_record(err: PSError) -> Any:
    from psrpcore.types import ErrorCategory, ErrorCategoryInfo, ErrorRecord, NETException

    exception = NETException(Message=err.message)
    names = list(dict.fromkeys([*err.exception_types, "System.Exception", "System.Object"]))
    exception.PSObject.type_names = names
    target = err.target if isinstance(err.target, str | int | bool) else None
    category = ErrorCategoryInfo(
        Category=ErrorCategory[err.category],
        Activity=err.command,
        Reason=err.exception_types[0].rsplit(".", 1)[-1],
        TargetName=str(target) if target is not None else "",
        TargetType=type(target).__name__.replace("str", "String") if target is not None else "",
    )
    return ErrorRecord(Exception=exception, CategoryInfo=category, FullyQualifiedErrorId=err.fqid, TargetObject=target)
