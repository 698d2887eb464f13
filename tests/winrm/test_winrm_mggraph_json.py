"""ConvertTo-Json in PowerShell 7's flavour (the admin host's), as pure rendering of pipeline values."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from pinreset.emulator.winrm._objects import PSObj, SecureText, to_json


def test_dates_are_iso_8601() -> None:
    """UTC dates end in Z, offsets are kept, fractions trimmed, year 1 keeps four digits, naive dates have no zone."""
    values = {
        "utc": datetime(2026, 1, 8, 9, 0, tzinfo=timezone.utc),
        "offset": datetime(2026, 1, 8, 9, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2))),
        "min": datetime(1, 1, 1, tzinfo=timezone.utc),
        "naive": datetime(2026, 1, 8, 9, 0),
    }
    parsed = json.loads(to_json([values], pwsh7=True))
    assert parsed == {
        "utc": "2026-01-08T09:00:00Z",
        "offset": "2026-01-08T09:00:00.25+02:00",
        "min": "0001-01-01T00:00:00Z",
        "naive": "2026-01-08T09:00:00",
    }


def test_nested_objects_hashtables_and_depth() -> None:
    """Objects and hashtables nest up to -Depth; lists do not count; deeper values become their ToString()."""
    inner = {"deep": {"deeper": 1}}
    obj = PSObj(type_names=["X"], props={"Flag": True, "None": None, "List": [inner], "Extra": inner}, text="X")
    parsed = json.loads(to_json([obj], depth=1, compress=True, pwsh7=True))
    assert parsed["Flag"] is True
    assert parsed["None"] is None
    assert parsed["List"] == [{"deep": "System.Collections.Hashtable"}]
    assert parsed["Extra"] == {"deep": "System.Collections.Hashtable"}
    full = json.loads(to_json([obj], depth=10, pwsh7=True))
    assert full["Extra"] == inner


def test_arrays_escaping_and_secrets() -> None:
    """Several inputs (or -AsArray) give an array; no 5.1-style escaping; a SecureString shows only its length."""
    text = to_json(["<a & 'b'>", SecureText("s3cret")], compress=True, pwsh7=True)
    assert json.loads(text) == ["<a & 'b'>", {"Length": 6}]
    assert "s3cret" not in text
    assert json.loads(to_json([1], as_array=True, pwsh7=True)) == [1]
    assert to_json([{"a": 1}], pwsh7=True) == '{\n  "a": 1\n}'
