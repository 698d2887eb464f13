"""Microsoft Graph PowerShell SDK objects -> Graph JSON (pure).

The SDK's cmdlets return objects with PascalCase properties for what the SDK model declares and an
``AdditionalProperties`` hashtable, in Graph's own camelCase, for everything else (derived-type properties,
``@odata.type``). :func:`sdk_to_graph` folds both back into the Graph JSON the shared readers
(:mod:`pinreset.backends._views`, :mod:`pinreset.policy_body`, the converter) already understand, so both
backends build their models through one path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pinreset.exceptions import ModuleMissingError, ParseError

__all__ = [
    "check_modules",
    "from_native",
    "graph_key",
    "parse_json_outputs",
    "parse_version",
    "sdk_to_graph",
]

#: SDK property names whose camelCase is not Graph's (Graph keeps the ``AD`` acronym upper case).
SDK_RENAMES: dict[str, str] = {
    "AzureAdDeviceId": "azureADDeviceId",
    "AzureAdRegistered": "azureADRegistered",
    "OdataType": "@odata.type",
    "OdataNextLink": "@odata.nextLink",
}
_ADDITIONAL = "AdditionalProperties"
_VERSION = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?")


def graph_key(name: str) -> str:
    """The Graph property name of an SDK property (``DisplayName`` -> ``displayName``)."""
    renamed = SDK_RENAMES.get(name)
    if renamed is not None:
        return renamed
    return name[:1].lower() + name[1:]


def sdk_to_graph(value: Any) -> Any:
    """An SDK object (as JSON or as a plain dict) in Graph's JSON shape.

    PascalCase keys become camelCase, ``AdditionalProperties`` is merged into its object with its keys kept as
    they are (they are Graph's already, ``@odata.type`` included), lists are converted item by item.

    Args:
        value: what ``ConvertTo-Json`` (or :func:`from_native`) produced for an SDK object.

    Returns:
        The same object as Graph's REST API writes it.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        extra: Any = None
        for key, item in value.items():
            if key == _ADDITIONAL:
                extra = item
                continue
            out[graph_key(str(key))] = sdk_to_graph(item)
        if isinstance(extra, Mapping):
            for key, item in extra.items():
                # Raw Graph JSON: no renaming inside, and it never repeats a declared property.
                out.setdefault(str(key), item)
        return out
    if isinstance(value, list | tuple):
        return [sdk_to_graph(item) for item in value]
    return value


def parse_json_outputs(outputs: Iterable[Any]) -> list[Any]:
    """The values of a pipeline that ended in ``ConvertTo-Json``: one list, arrays flattened.

    ``ConvertTo-Json`` writes one text for all its input (an array, or a bare object for a single one); a host
    may also write one text per object. Both read the same here.

    Raises:
        ParseError: when an output is not JSON.
    """
    values: list[Any] = []
    for item in outputs:
        if item is None:
            continue
        text = str(item).strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ParseError(f"the admin host wrote output that is not JSON: {text[:80]!r}") from exc
        if isinstance(value, list):
            values.extend(v for v in value if v is not None)
        elif value is not None:
            values.append(value)
    return values


def from_native(value: Any) -> Any:
    """A natively deserialized PSRP value as plain Python.

    pypsrp turns unknown .NET objects into objects with ``adapted_properties`` (.NET properties) and
    ``extended_properties`` (note properties); both become dict keys. An object with neither (an enum, a
    ``System.Version``) becomes its ``ToString`` text. UUIDs become strings.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    adapted = getattr(value, "adapted_properties", None)
    extended = getattr(value, "extended_properties", None)
    if isinstance(adapted, Mapping) and isinstance(extended, Mapping):
        props = {**adapted, **extended}
        if not props:
            text = getattr(value, "to_string", None)
            return None if text is None else str(text)
        return {str(k): from_native(v) for k, v in props.items()}
    if isinstance(value, Mapping):
        return {str(from_native(k)): from_native(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_native(v) for v in value]
    return str(value)


def parse_version(value: Any) -> tuple[int, ...] | None:
    """A module version as a comparable tuple (``"2.25.0"``, ``{"Major": 2, "Minor": 25, ...}``).

    Returns:
        ``(major, minor, build)`` (missing parts 0), or ``None`` when unreadable.
    """
    if isinstance(value, Mapping):
        parts = [value.get(k) for k in ("Major", "Minor", "Build")]
        if not isinstance(parts[0], int):
            return None
        return tuple(max(0, p) if isinstance(p, int) else 0 for p in parts)
    if value is None:
        return None
    match = _VERSION.match(str(value))
    if match is None:
        return None
    major, minor, build = (int(g) if g else 0 for g in match.groups()[:3])
    return (major, minor, build)


def version_text(version: tuple[int, ...]) -> str:
    """``(2, 25, 0)`` -> ``"2.25.0"``."""
    return ".".join(str(p) for p in version)


def install_command(module: str, minimum: str) -> str:
    """The command that installs ``module`` (its SDK bundle) on the admin host for all users."""
    bundle = "Microsoft.Graph.Beta" if module.lower().startswith("microsoft.graph.beta") else "Microsoft.Graph"
    return f"Install-Module {bundle} -Scope AllUsers -MinimumVersion {minimum}"


def check_modules(
    infos: Iterable[Any], required: Iterable[str], minimum: tuple[int, ...], *, host: str
) -> dict[str, str]:
    """Judge ``Get-Module -ListAvailable`` output (``{Name, Version}`` per installed module version).

    Args:
        infos: the module objects (plain dicts).
        required: the modules needed.
        minimum: the oldest version accepted.
        host: the host's name, for the message.

    Returns:
        Module name -> the highest version installed.

    Raises:
        ModuleMissingError: naming the module, the version found and the install command.
    """
    found: dict[str, tuple[int, ...]] = {}
    for info in infos:
        if not isinstance(info, Mapping):
            continue
        name = str(info.get("Name") or "")
        version = parse_version(info.get("Version"))
        if name and version is not None:
            key = name.lower()
            found[key] = max(found.get(key, version), version)
    wanted = version_text(minimum)
    result: dict[str, str] = {}
    for module in required:
        have = found.get(module.lower())
        if have is None:
            raise ModuleMissingError(
                f"{module} is not installed on {host} (version found: none; {wanted} or later needed); "
                f"install it there with: {install_command(module, wanted)}"
            )
        if have < minimum:
            raise ModuleMissingError(
                f"{module} {version_text(have)} on {host} is older than {wanted}; "
                f"update it there with: {install_command(module, wanted)}"
            )
        result[module] = version_text(have)
    return result
