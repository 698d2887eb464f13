"""JSON form of :class:`DsregStatus`: stable keys, plain JSON values, and the way back.

Shape (keys always present, in this order)::

    {"device_state": {<attribute>: <value>, ..., "extra": {...}, "raw": {...}} | null,
     "device_details": ..., "tenant_details": ..., "user_state": ..., "sso_state": ...,
     "diagnostic_data": ..., "ngc_prerequisite_check": ..., "ie_proxy_config": ..., "winhttp_proxy_config": ...,
     "work_accounts": [{"number": 1, ...}],
     "join_type": "entra_joined",
     "legacy_layout": false,
     "sections": {<title>: {<key>: <value>}},
     "other_lines": [...]}

Values: booleans and integers as JSON, GUIDs and text as strings, times as ISO 8601 with ``+00:00``, enums as
the text dsregcmd prints (``DestructiveAndNonDestructive``), absent values as ``null``. The typed keys are
derived from ``sections``; reading back rebuilds them from ``sections``, so a round trip is exact. Written with
the standard library only (no cattrs), so the models stay cheap to import.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import attrs

from pinreset.dsreg._schema import SECTION_MODELS
from pinreset.dsreg.status import DsregStatus
from pinreset.exceptions import ParseError

__all__ = ["model_to_dict", "status_from_dict", "status_from_json", "status_to_dict"]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (uuid.UUID, str)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"unexpected value {value!r}")  # pragma: no cover - the models hold only the types above


def model_to_dict(model: Any) -> dict[str, Any] | None:
    """One section model as a JSON-ready dict (None stays None)."""
    if model is None:
        return None
    return {field.name: _plain(getattr(model, field.name)) for field in attrs.fields(type(model))}


def status_to_dict(status: DsregStatus) -> dict[str, Any]:
    """The JSON-ready dict of a status (see the module docstring for the shape)."""
    out: dict[str, Any] = {attr: model_to_dict(getattr(status, attr)) for attr in SECTION_MODELS}
    out["work_accounts"] = [model_to_dict(account) for account in status.work_accounts]
    out["join_type"] = status.join_type.value
    out["legacy_layout"] = status.legacy_layout
    out["sections"] = {title: dict(items) for title, items in status.sections.items()}
    out["other_lines"] = list(status.other_lines)
    return out


def _fail(where: str, expected: str, value: Any) -> ParseError:
    return ParseError(f"dsregcmd JSON: {where}: expected {expected}, got {type(value).__name__}")


def status_from_dict(data: Mapping[str, Any]) -> DsregStatus:
    """Rebuild a status from :func:`status_to_dict` output.

    Raises:
        ParseError: ``sections``, ``other_lines`` or ``legacy_layout`` has the wrong JSON type.
    """
    if not isinstance(data, Mapping):
        raise _fail("status", "an object", data)
    sections = data.get("sections", {})
    if not isinstance(sections, Mapping):
        raise _fail("sections", "an object", sections)
    rebuilt: dict[str, dict[str, str]] = {}
    for title, items in sections.items():
        if not isinstance(items, Mapping):
            raise _fail(f"sections.{title}", "an object", items)
        for key, value in items.items():
            if not isinstance(value, str):
                raise _fail(f"sections.{title}.{key}", "a string", value)
        rebuilt[str(title)] = dict(items)
    other = data.get("other_lines", [])
    if not isinstance(other, list) or not all(isinstance(line, str) for line in other):
        raise _fail("other_lines", "a list of strings", other)
    legacy = data.get("legacy_layout", False)
    if not isinstance(legacy, bool):
        raise _fail("legacy_layout", "a boolean", legacy)
    return DsregStatus(sections=rebuilt, other_lines=tuple(other), legacy_layout=legacy)


def status_from_json(text: str) -> DsregStatus:
    """Rebuild a status from :meth:`DsregStatus.to_json` output.

    Raises:
        ParseError: the text is not JSON or not the expected shape.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"dsregcmd JSON: not JSON: {exc}") from exc
    return status_from_dict(data)
