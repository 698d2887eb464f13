"""The values a simulated PowerShell pipeline passes around, and their PSRP and JSON forms.

Cmdlets produce plain Python values (``str``, ``int``, ``bool``, ``None``, ``datetime``, lists, dicts as
hashtables) and :class:`PSObj` -- a property bag with .NET type names, the shape of a ``PSCustomObject`` or a
deserialized ``CimInstance``. :func:`to_psrp` turns one into psrpcore's objects for the wire (pypsrp then
yields ``GenericComplexObject`` with ``extended_properties``); :func:`to_json` renders Windows PowerShell 5.1's
``ConvertTo-Json`` (PowerShell 7's flavour with ``pwsh7=True``). :class:`SecureText` stands for a received
``SecureString``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

_DATE = re.compile(r'"/Date\((-?\d+)\)/"')

__all__ = ["PSObj", "SecureText", "cim_object", "custom_object", "to_json", "to_psrp"]


@attrs.frozen
class SecureText:
    """A ``System.Security.SecureString`` a client sent (decrypted with the session key); never shown in reprs."""

    value: str = attrs.field(repr=False)

    def __str__(self) -> str:
        return "System.Security.SecureString"


@attrs.define
class PSObj:
    """An object with note properties, in order, and its type names (most derived first).

    Attributes:
        type_names: e.g. ``["System.Management.Automation.PSCustomObject", "System.Object"]``.
        props: property name -> value.
        text: what ``ToString()`` gives, when it differs from the type name.
    """

    type_names: list[str]
    props: dict[str, Any]
    text: str | None = None

    def get(self, name: str) -> Any:
        """A property by case-insensitive name (``None`` when missing, as PowerShell gives ``$null``)."""
        if name in self.props:
            return self.props[name]
        lowered = name.lower()
        for key, value in self.props.items():
            if key.lower() == lowered:
                return value
        return None


def custom_object(props: Mapping[str, Any], type_name: str | None = None) -> PSObj:
    """A ``[PSCustomObject]`` (optionally with a ``PSTypeName`` in front)."""
    names = ["System.Management.Automation.PSCustomObject", "System.Object"]
    if type_name:
        names.insert(0, type_name)
    return PSObj(type_names=names, props=dict(props))


def cim_object(class_name: str, props: Mapping[str, Any]) -> PSObj:
    """A CIM instance of ``root/cimv2`` class ``class_name`` as it arrives over remoting."""
    return PSObj(
        type_names=[
            f"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/{class_name}",
            "Microsoft.Management.Infrastructure.CimInstance",
            "System.Object",
        ],
        props=dict(props),
        text=class_name,
    )


def to_psrp(value: Any) -> Any:
    """Turn a pipeline value into what psrpcore serializes (PSObj -> PSObject with note properties)."""
    if isinstance(value, PSObj):
        import psrpcore.types as pst

        obj = pst.PSCustomObject(**{k: to_psrp(v) for k, v in value.props.items()})
        obj.PSObject.type_names = list(value.type_names)
        if value.text is not None:
            obj.PSObject.to_string = value.text
        return obj
    if isinstance(value, list | tuple):
        return [to_psrp(v) for v in value]
    if isinstance(value, dict):
        return {k: to_psrp(v) for k, v in value.items()}
    return value


def _iso(moment: datetime) -> str:
    # Newtonsoft's round-trip format as pwsh 7 writes it: trailing zero fractions dropped, Z for UTC.
    text = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")  # %Y drops zeros for years < 1000
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    offset = moment.utcoffset()
    if offset is None:
        return text
    if not offset:
        return text + "Z"
    return text + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


def _json_ready(value: Any, depth: int, max_depth: int, pwsh7: bool = False) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, SecureText):
        return {"Length": len(value.value)}
    if isinstance(value, datetime):
        if pwsh7:
            return _iso(value)
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return f"/Date({int(moment.timestamp() * 1000)})/"
    if depth > max_depth:
        # Beyond -Depth, Windows PowerShell writes the object's ToString().
        if isinstance(value, PSObj):
            return value.text or ""
        if isinstance(value, dict):
            return "System.Collections.Hashtable"
        return " ".join(str(v) for v in value) if isinstance(value, Iterable) else str(value)
    if isinstance(value, PSObj):
        return {k: _json_ready(v, depth + 1, max_depth, pwsh7) for k, v in value.props.items()}
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v, depth + 1, max_depth, pwsh7) for k, v in value.items()}
    if isinstance(value, Iterable):
        # An array does not count towards -Depth; its elements sit at the array's own level.
        return [_json_ready(v, depth + (0 if pwsh7 else 1), max_depth, pwsh7) for v in value]
    return str(value)


def to_json(
    values: list[Any], *, depth: int = 2, compress: bool = False, pwsh7: bool = False, as_array: bool = False
) -> str:
    """``ConvertTo-Json`` of Windows PowerShell 5.1 (or of PowerShell 7 with ``pwsh7``) for the pipeline input.

    One input object gives that object, several give an array (``as_array``: always an array). Windows
    PowerShell 5.1 writes dates as ``"\\/Date(ms)\\/"`` and escapes ``< > ' &``; PowerShell 7 writes ISO 8601
    dates, escapes nothing extra and indents by two spaces.
    """
    subject: Any = values[0] if len(values) == 1 and not as_array else values
    if pwsh7:
        ready = _json_ready(subject, 0, depth, True)
        if compress:
            return json.dumps(ready, ensure_ascii=False, separators=(",", ":"))
        return json.dumps(ready, ensure_ascii=False, indent=2)
    ready = _json_ready(subject, 0, depth)
    text = (
        json.dumps(ready, ensure_ascii=False, separators=(",", ":"))
        if compress
        else json.dumps(ready, ensure_ascii=False, indent=4)
    )
    return (
        _DATE.sub(r'"\\/Date(\1)\\/"', text)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
        .replace("&", "\\u0026")
    )
