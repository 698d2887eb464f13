"""A cheaper way to send a PSRP pipeline with pypsrp: the same bytes on the wire, less client CPU.

Building the ``CreatePipeline`` message is the check's main CPU cost. pypsrp deep-copies every command twice per
invocation (once for ``Cmds``, once for ``ExtraCmds``) to work around lxml's one-parent rule, which the standard
library's ElementTree (what pypsrp uses) does not have; a deep copy walks all the metadata of every command. Here
each copy is shallow, with fresh copies of exactly the objects the serialiser may turn into ``<Ref>`` (the
command, its parameters and its merge settings), so the XML is the same. A pipeline that is the same for every
host (no variable in it) can also be serialised once per process and reused.
"""

from __future__ import annotations

import copy
import threading
import xml.etree.ElementTree as ET
from typing import Any

from pypsrp.complex_objects import Command, Pipeline
from pypsrp.messages import CreatePipeline, MessageType
from pypsrp.powershell import PowerShell, RunspacePool

__all__ = ["LightPowerShell"]

_MERGES = (
    "merge_my_result",
    "merge_to_result",
    "merge_previous",
    "merge_error",
    "merge_warning",
    "merge_verbose",
    "merge_debug",
    "merge_information",
)
_CACHE: dict[tuple[Any, ...], ET.Element] = {}
_CACHE_LOCK = threading.Lock()


def _copy_command(command: Command) -> Command:
    """A copy that shares nothing the serialiser could emit as a ``<Ref>``, keeping shares within the command."""
    twin = copy.copy(command)
    seen: dict[int, Any] = {}
    for name in _MERGES:
        value = getattr(command, name, None)
        if value is not None:
            setattr(twin, name, seen.setdefault(id(value), copy.copy(value)))
    twin.args = [copy.copy(argument) for argument in command.args]
    return twin


class _LightPipeline(Pipeline):
    def _get_statements(self) -> list[list[Command]]:
        statements: list[list[Command]] = []
        current: list[Command] = []
        commands: list[Command] = self.commands or []
        commands[-1].end_of_statement = True
        for command in commands:
            current.append(_copy_command(command))
            if command.end_of_statement:
                statements.append(current)
                current = []
        return statements


class _Prebuilt(ET.Element):
    """A serialised ``CreatePipeline`` message: pypsrp's serialiser passes an Element through unchanged."""

    MESSAGE_TYPE = MessageType.CREATE_PIPELINE


class LightPowerShell(PowerShell):
    """:class:`pypsrp.powershell.PowerShell` that builds its ``CreatePipeline`` message with less CPU.

    Args:
        pool: the open runspace pool (used from this thread only).
        cache_key: set only for a pipeline whose commands and values are the same on every host; its
            serialised message is then built once per process (per protocol version and apartment state).
    """

    def __init__(self, pool: RunspacePool, *, cache_key: str | None = None) -> None:
        super().__init__(pool)
        self._cache_key = cache_key

    def _invoke(self, msg: Any) -> None:
        if isinstance(msg, CreatePipeline) and isinstance(msg.pipeline, Pipeline):
            msg = self._lighten(msg)
        super()._invoke(msg)

    def _lighten(self, msg: CreatePipeline) -> Any:
        old: Any = msg.pipeline
        msg.pipeline = _LightPipeline(
            is_nested=old.is_nested, cmds=old.commands, history=old.history, redirect_err_to_out=old.redirect_err_to_out
        )
        pool = self.runspace_pool
        if self._cache_key is None or pool.host is not None:
            return msg
        key = (
            self._cache_key,
            pool.protocol_version,
            getattr(msg.apartment_state, "value", None),
            getattr(msg.remote_stream_options, "value", None),
            msg.no_input,
            msg.add_to_history,
            msg.is_nested,
        )
        with _CACHE_LOCK:
            built = _CACHE.get(key)
        if built is None:
            element = pool._serializer.serialize(msg)
            if element is None:  # never for a CreatePipeline; send it the ordinary way
                return msg
            built = _Prebuilt(element.tag, element.attrib)
            built.text = element.text
            built.extend(list(element))
            with _CACHE_LOCK:
                built = _CACHE.setdefault(key, built)
        return built
