"""PowerShell-style parameter binding and the CLIXML reader of the simulated hosts (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from pinreset.emulator.winrm._binding import bind
from pinreset.emulator.winrm._clixml import UnsupportedClixmlError, read_create_pipeline, unescape
from pinreset.emulator.winrm._engine import PSError, lookup


def _bind(command: str, *parameters: tuple[str | None, Any]) -> dict[str, Any]:
    spec = lookup(command)
    assert spec is not None
    return bind(spec, parameters)


def test_names_are_case_insensitive_and_may_be_abbreviated() -> None:
    """-classname, -Class (alias) and the unique prefix -Cl all bind ClassName; -ea is ErrorAction."""
    assert _bind("get-ciminstance", ("classname", "Win32_Process")) == {"ClassName": "Win32_Process"}
    assert _bind("Get-CimInstance", ("Class", "x"), ("ea", "Stop")) == {"ClassName": "x", "ErrorAction": "Stop"}
    assert _bind("Get-CimInstance", ("Cl", "x")) == {"ClassName": "x"}


def test_ambiguous_prefix_duplicate_and_extra_positional_are_errors() -> None:
    """PowerShell's binding errors keep their FullyQualifiedErrorIds."""
    cases = [
        (("Get-ChildItem", ("P", "x")), "AmbiguousParameter"),
        (("Get-Content", ("Raw", True), ("raw", True)), "ParameterAlreadyBound"),
        (("Start-ScheduledTask", (None, "a"), (None, "b")), "PositionalParameterNotFound"),
        (("Test-Path", ("PathType", "Folder")), "ParameterArgumentValidationError"),
        (("New-Item", ("Force", "yes"), ("Path", "C:\\x")), "CannotConvertArgumentNoMessage"),
    ]
    for (command, *params), reason in cases:
        with pytest.raises(PSError) as caught:
            _bind(command, *params)
        assert caught.value.fqid.startswith(reason + ",")
        assert caught.value.terminating


def test_positional_switch_and_conversion() -> None:
    """Positional values fill declared positions; switches take None or a bool; numbers become strings."""
    assert _bind("Start-ScheduledTask", (None, "task")) == {"TaskName": "task"}
    assert _bind("Get-Content", ("Raw", None), ("LiteralPath", "C:\\a")) == {"Raw": True, "LiteralPath": ["C:\\a"]}
    assert _bind("Get-Content", ("Raw", False), ("Path", 5)) == {"Raw": False, "Path": ["5"]}
    assert _bind("Test-Path", ("PathType", "leaf"), ("Path", "C:\\")) == {"PathType": "Leaf", "Path": ["C:\\"]}
    assert _bind("Get-WinEvent", ("MaxEvents", "0x10")) == {"MaxEvents": 16}


def test_clixml_strings_unescape_control_characters_and_surrogates() -> None:
    """_xHHHH_ escapes become characters; an escaped surrogate pair becomes one emoji."""
    assert unescape("a_x000D__x000A_b") == "a\r\nb"
    assert unescape("_xD83D__xDE00_") == "\U0001f600"
    assert unescape("plain") == "plain"


def test_clixml_reader_refuses_what_it_cannot_read() -> None:
    """SecureStrings and foreign XML are left to psrpcore."""
    with pytest.raises(UnsupportedClixmlError):
        read_create_pipeline(b'<Obj RefId="0"><MS><SS N="V">AAAA</SS></MS></Obj>')
    with pytest.raises(UnsupportedClixmlError):
        read_create_pipeline(b"<Obj><MS><B N='Other'>true</B></MS></Obj>")
    with pytest.raises(UnsupportedClixmlError):
        read_create_pipeline(b"not xml")
