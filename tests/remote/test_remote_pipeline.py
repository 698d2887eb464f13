"""The lighter pipeline builder sends exactly the bytes pypsrp's own builder sends."""

from __future__ import annotations

from typing import Any

import pytest
from pypsrp.messages import Message
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from pinreset.remote._check import _device_statements
from pinreset.remote._interactive import OUTPUT_DIR, task_xml
from pinreset.remote._pipeline import _CACHE, LightPowerShell
from pinreset.remote._session import Cmd, HostSession, cmd

TASK = "pinreset-" + "ab" * 16
SID = "S-1-12-1-1111-2222-3333-4444"


class _SentError(Exception):
    """Raised instead of sending: the message has been captured."""


class _Recorder:
    def __init__(self, pool: RunspacePool) -> None:
        self.pool = pool
        self.xml: list[bytes] = []

    def fragment(self, data: Any, rpid: str, pid: str | None = None) -> list[bytes]:
        # Header (destination, type, pool and pipeline ids) is 40 bytes; the pipeline id differs per object.
        self.xml.append(Message(2, rpid, pid, data, self.pool._serializer).pack()[40:])
        raise _SentError


def _message(ps: PowerShell, statements: list[tuple[Cmd, ...]]) -> bytes:
    for statement in statements:
        HostSession._add(ps, statement)
        ps.add_statement()
    recorder = _Recorder(ps.runspace_pool)
    ps.runspace_pool._fragmenter = recorder
    with pytest.raises(_SentError):
        ps.begin_invoke()
    return recorder.xml[0]


def _pool() -> RunspacePool:
    pool = RunspacePool(WSMan("127.0.0.1", username="u", password="p", auth="basic", ssl=True))
    pool.protocol_version = "2.3"  # what an opened pool negotiates with Windows PowerShell 5.1
    return pool


TASK_STATEMENTS = [
    (cmd("New-Item", ItemType="Directory", Path=OUTPUT_DIR, Force=True), cmd("ConvertTo-Json", Depth=4)),
    (cmd("Register-ScheduledTask", TaskName=TASK, Xml=task_xml(TASK, SID), Force=True),),
    (cmd("Start-ScheduledTask", TaskName=TASK),),
    (cmd("Get-ScheduledTaskInfo", TaskName=TASK), cmd("ConvertTo-Json", Depth=4, Compress=True)),
]
ONE_STATEMENT = [(cmd("Get-ItemProperty", Path=["HKLM:\\a", "HKLM:\\b"], ErrorAction="SilentlyContinue"),)]


@pytest.mark.parametrize("statements", [_device_statements(), TASK_STATEMENTS, ONE_STATEMENT])
def test_light_builder_sends_the_same_xml_as_pypsrp(statements: list[tuple[Cmd, ...]]) -> None:
    """Shallow copies serialise to the very XML pypsrp's deep copies give."""
    expected = _message(PowerShell(_pool()), statements)
    assert _message(LightPowerShell(_pool()), statements) == expected
    assert f'<S N="Cmd">{statements[-1][0].name}</S>'.encode() in expected


def test_cached_static_pipeline_is_reused_and_identical() -> None:
    """A static pipeline is serialised once per process and then sent from the cache, unchanged."""
    statements = _device_statements()
    key = "test-only:" + repr(statements)
    expected = _message(PowerShell(_pool()), statements)
    first = _message(LightPowerShell(_pool(), cache_key=key), statements)
    assert any(k[0] == key for k in _CACHE)
    second = _message(LightPowerShell(_pool(), cache_key=key), statements)
    assert first == second == expected
