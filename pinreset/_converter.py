"""The one cattrs converter between pinreset's models and Microsoft Graph JSON.

Models keep Python names (``azure_ad_device_id``); Graph spells them in camelCase with its own acronyms
(``azureADDeviceId``) and OData annotations (``@odata.type``). Every such rule lives here, in tables, so the
models stay free of serialization concerns:

- :data:`FIELD_RENAMES` — names plain snake→camel conversion cannot produce, for every model;
- :data:`CLASS_RENAMES` — names that differ per model (``last_sync`` is ``lastSyncDateTime`` on a device);
- datetimes: Graph's ISO-8601 strings with ``Z`` and 7-digit fractions, always read as aware UTC;
- enums: an unknown value becomes the enum's ``UNKNOWN`` member where it has one (Graph adds values over time);
- assignment targets: a tagged union on ``@odata.type`` with :class:`~pinreset.models.UnknownTarget` as the
  fallback, which keeps the raw object so a read-modify-write never loses a target type we do not model.

Use :func:`structure` and :func:`unstructure`; they raise :class:`~pinreset.exceptions.ParseError` with
``cattrs.transform_error`` details instead of cattrs' own exceptions.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Optional, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import JsonConverter, make_converter
from cattrs.strategies import configure_tagged_union

from pinreset.exceptions import ParseError
from pinreset.models import (
    AllDevicesTarget,
    AllUsersTarget,
    AssignmentTarget,
    DevicePolicyStatus,
    ExclusionGroupTarget,
    GroupTarget,
    ManagedDevice,
    UnknownTarget,
)

__all__ = [
    "CLASS_RENAMES",
    "FIELD_RENAMES",
    "TARGET_TYPES",
    "converter",
    "format_datetime",
    "graph_name",
    "parse_datetime",
    "structure",
    "structure_target",
    "unstructure",
    "unstructure_target",
]

T = TypeVar("T")

#: Python attribute name -> Graph property name, for names that plain camelCase cannot produce.
FIELD_RENAMES: dict[str, str] = {
    "azure_ad_device_id": "azureADDeviceId",
    "azure_ad_registered": "azureADRegistered",
    "odata_type": "@odata.type",
    "filter_id": "deviceAndAppManagementAssignmentFilterId",
    "filter_type": "deviceAndAppManagementAssignmentFilterType",
}

#: Per-model renames: the same Python name means different Graph properties on different objects.
CLASS_RENAMES: dict[type, dict[str, str]] = {
    ManagedDevice: {
        "enrollment_type": "deviceEnrollmentType",
        "last_sync": "lastSyncDateTime",
    },
    DevicePolicyStatus: {
        "device_name": "deviceDisplayName",
        "raw_state": "status",
        "last_reported": "lastReportedDateTime",
    },
}

#: ``@odata.type`` of each modelled assignment target.
TARGET_TYPES: dict[type, str] = {
    AllUsersTarget: "#microsoft.graph.allLicensedUsersAssignmentTarget",
    AllDevicesTarget: "#microsoft.graph.allDevicesAssignmentTarget",
    GroupTarget: "#microsoft.graph.groupAssignmentTarget",
    ExclusionGroupTarget: "#microsoft.graph.exclusionGroupAssignmentTarget",
}

_CAMEL_PART = re.compile(r"_([a-z0-9])")
# Graph writes up to 7 fractional digits (.NET ticks); Python's fromisoformat before 3.11 takes 3 or 6.
_GRAPH_DATETIME = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


_NATIVE_ISO = sys.version_info >= (3, 11)


def graph_name(name: str, cls: type | None = None) -> str:
    """The Graph property name of a model attribute.

    Args:
        name: the snake_case attribute name.
        cls: the model class, for per-class renames.

    Returns:
        The camelCase (or explicitly renamed) Graph name.
    """
    if cls is not None and name in CLASS_RENAMES.get(cls, {}):
        return CLASS_RENAMES[cls][name]
    if name in FIELD_RENAMES:
        return FIELD_RENAMES[name]
    return _CAMEL_PART.sub(lambda m: m.group(1).upper(), name)


def parse_datetime(value: str) -> datetime:
    """Read a Graph timestamp as an aware UTC datetime.

    Accepts ``Z`` or numeric offsets, no offset (read as UTC, which is what Graph means), and fractions of any
    length (Graph sends up to 7 digits; the 7th is dropped).

    Raises:
        ValueError: when ``value`` is not an ISO-8601 timestamp.
    """
    if _NATIVE_ISO:
        # Python >= 3.11 reads "Z" and up to 6 fractional digits itself, several times faster than the regex
        # path below; device inventories parse one timestamp per device.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=timezone.utc)
            return parsed if parsed.tzinfo is timezone.utc else parsed.astimezone(timezone.utc)
    match = _GRAPH_DATETIME.match(value.strip())
    if match is None:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}")
    text = match.group("base")
    if text.count(":") == 1:
        text += ":00"
    frac = match.group("frac")
    if frac:
        text += "." + frac[:6].ljust(6, "0")
    tz = match.group("tz")
    if tz is None or tz.upper() == "Z":
        text += "+00:00"
    else:
        text += tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(timezone.utc)


def format_datetime(value: datetime) -> str:
    """Write a datetime the way Graph does (UTC, ``Z`` suffix); a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        fallback = cls.__members__.get("UNKNOWN")
        if fallback is not None:
            return fallback
        raise


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp string, got {type(value).__name__}")
    return parse_datetime(value)


def _structure_optional_str(value: Any, _: Any) -> str | None:
    # The commonest field type by far (a device has nine): one function call instead of cattrs' generic
    # optional dispatch, which matters when an inventory structures a hundred thousand devices.
    if value is None or type(value) is str:
        return value
    return str(value)


def _camel_structure_factory(conv: JsonConverter) -> Callable[[type], Any]:
    def factory(cls: type) -> Any:
        overrides: dict[str, Any] = {a.name: override(rename=graph_name(a.name, cls)) for a in attrs.fields(cls)}
        return make_dict_structure_fn(cls, conv, **overrides)

    return factory


def _camel_unstructure_factory(conv: JsonConverter) -> Callable[[type], Any]:
    def factory(cls: type) -> Any:
        overrides: dict[str, Any] = {
            a.name: override(rename=graph_name(a.name, cls), omit_if_default=True) for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, conv, **overrides)

    return factory


def _normalise_target(raw: Mapping[str, Any]) -> dict[str, Any]:
    # Graph reports "no assignment filter" as filterType "none" with a null id; the models say None.
    data = dict(raw)
    if str(data.get(FIELD_RENAMES["filter_type"]) or "none").lower() == "none":
        data.pop(FIELD_RENAMES["filter_type"], None)
        data.pop(FIELD_RENAMES["filter_id"], None)
    return data


def _configure_targets(conv: JsonConverter) -> None:
    conv.register_structure_hook(
        UnknownTarget,
        lambda d, _: UnknownTarget(odata_type=str(d.get("@odata.type", "")), raw=dict(d)),
    )
    conv.register_unstructure_hook(UnknownTarget, lambda t: dict(t.raw) | {"@odata.type": t.odata_type})
    configure_tagged_union(
        AssignmentTarget,
        conv,
        tag_name="@odata.type",
        tag_generator=lambda cls: TARGET_TYPES.get(cls, ""),
        default=UnknownTarget,
    )
    tagged_structure = conv.get_structure_hook(AssignmentTarget)
    tagged_unstructure = conv.get_unstructure_hook(AssignmentTarget)

    def structure_target(value: Any, cls: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"an assignment target must be an object, got {type(value).__name__}")
        if value.get("@odata.type") not in TARGET_TYPES.values():
            # The fallback keeps the object exactly as Graph sent it, filter fields included.
            return UnknownTarget(odata_type=str(value.get("@odata.type", "")), raw=dict(value))
        return tagged_structure(_normalise_target(value), cls)

    def unstructure_target(value: Any) -> dict[str, Any]:
        if isinstance(value, UnknownTarget):
            # The tagged-union strategy would overwrite the preserved tag; keep what was read.
            return dict(value.raw) | {"@odata.type": value.odata_type}
        result: dict[str, Any] = tagged_unstructure(value)
        return result

    conv.register_structure_hook(AssignmentTarget, structure_target)
    conv.register_unstructure_hook(AssignmentTarget, unstructure_target)


@lru_cache(maxsize=1)
def _build() -> JsonConverter:
    conv = make_converter(detailed_validation=True)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_structure_hook(str | None, _structure_optional_str)
    conv.register_structure_hook(Optional[str], _structure_optional_str)  # noqa: UP045 - the typing spelling too
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_structure_hook_func(lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum)
    conv.register_structure_hook_factory(attrs.has, _camel_structure_factory(conv))
    conv.register_unstructure_hook_factory(attrs.has, _camel_unstructure_factory(conv))
    _configure_targets(conv)
    return conv


def converter() -> JsonConverter:
    """The shared converter (built once, on first use)."""
    return _build()


def structure(data: Any, cls: type[T]) -> T:
    """Turn Graph JSON into a model.

    Args:
        data: the decoded JSON object.
        cls: the model class (or ``AssignmentTarget``).

    Returns:
        The structured model.

    Raises:
        ParseError: when ``data`` does not fit ``cls``; the message lists each problem with its JSON path.
    """
    try:
        return _build().structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        details = cattrs.transform_error(exc)
        name = getattr(cls, "__name__", "assignment target")
        raise ParseError(f"Graph returned an object that is not a valid {name}: {'; '.join(details)}") from exc


def unstructure(value: Any) -> Any:
    """Turn a model into Graph JSON (camelCase, ``@odata.type``, ISO timestamps; unset optionals omitted)."""
    return _build().unstructure(value)


def structure_target(data: Any) -> AssignmentTarget:
    """Read one assignment ``target`` object (see :func:`structure`)."""
    result: AssignmentTarget = structure(data, AssignmentTarget)  # type: ignore[arg-type]
    return result


def unstructure_target(target: AssignmentTarget) -> dict[str, Any]:
    """Write one assignment ``target`` object with its ``@odata.type``."""
    result: dict[str, Any] = _build().unstructure(target, unstructure_as=AssignmentTarget)
    return result
