"""Parameter binding as PowerShell does it: names (case-insensitive, unique prefixes, aliases), positions, types.

A client mistake fails here as it would on Windows: an unknown parameter name is a terminating
``ParameterBindingException`` (``NamedParameterNotFound,<implementing type>``), a value of the wrong type is
``CannotConvertArgumentNoMessage``, a missing mandatory parameter ``MissingMandatoryParameter``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pinreset.emulator.winrm._cmdlet import CmdletSpec, Param, PSError

__all__ = ["bind"]

_KIND_TYPES = {
    "string": "System.String",
    "strings": "System.String[]",
    "int": "System.Int32",
    "ints": "System.Int32[]",
    "long": "System.Int64",
    "switch": "System.Management.Automation.SwitchParameter",
    "bool": "System.Boolean",
    "hashtable": "System.Collections.Hashtable",
    "hashtables": "System.Collections.Hashtable[]",
    "object": "System.Object",
    "objects": "System.Object[]",
}

_COMMON = (
    Param("Verbose", "switch"),
    Param("Debug", "switch"),
    Param("ErrorAction", "string", aliases=("ea",)),
    Param("WarningAction", "string", aliases=("wa",)),
    Param("InformationAction", "string", aliases=("infa",)),
    Param("ErrorVariable", "string", aliases=("ev",)),
    Param("WarningVariable", "string", aliases=("wv",)),
    Param("InformationVariable", "string", aliases=("iv",)),
    Param("OutVariable", "string", aliases=("ov",)),
    Param("OutBuffer", "int", aliases=("ob",)),
    Param("PipelineVariable", "string", aliases=("pv",)),
)
_SHOULD_PROCESS = (Param("WhatIf", "switch", aliases=("wi",)), Param("Confirm", "switch", aliases=("cf",)))


def _binding_error(spec: CmdletSpec, message: str, reason: str, target: Any = None) -> PSError:
    return PSError(
        message,
        fqid=f"{reason},{spec.type_name}",
        category="InvalidArgument",
        exception_types=("System.Management.Automation.ParameterBindingException",),
        target=target,
        command=spec.name,
        terminating=True,
    )


def _convert(spec: CmdletSpec, param: Param, value: Any) -> Any:
    kind = param.kind

    def fail(detail: str) -> PSError:
        shown = value if not isinstance(value, list | tuple) else " ".join(str(v) for v in value)
        return _binding_error(
            spec,
            f"Cannot bind parameter '{param.name}'. Cannot convert value \"{shown}\" to type "
            f'"{_KIND_TYPES[kind]}". Error: "{detail}"',
            "CannotConvertArgumentNoMessage",
            value,
        )

    def as_int(item: Any) -> int:
        if isinstance(item, bool):
            return int(item)
        if isinstance(item, int):
            return item
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, str):
            try:
                return int(item.strip(), 0) if item.strip().lower().startswith("0x") else int(item.strip())
            except ValueError:
                pass
        raise fail("Input string was not in a correct format.")

    if kind in ("switch", "bool"):
        if value is None and kind == "switch":
            return True
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise fail(f'Cannot convert the "{value}" value of type "{type(value).__name__}" to type "System.Boolean".')
    if kind in ("int", "long"):
        return as_int(value)
    if kind == "ints":
        return [as_int(v) for v in (value if isinstance(value, list | tuple) else [value])]
    if kind == "string":
        if value is None:
            return None
        if isinstance(value, dict):
            raise fail('Cannot convert "System.Collections.Hashtable" to "System.String".')
        if isinstance(value, list | tuple):
            return " ".join(str(v) for v in value)
        return value if isinstance(value, str) else str(value)
    if kind == "strings":
        items = value if isinstance(value, list | tuple) else [value]
        return [str(v) if not isinstance(v, str) else v for v in items]
    if kind in ("hashtable", "hashtables"):
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if not isinstance(item, dict):
                raise fail(
                    f'Cannot convert the "{item}" value of type "{type(item).__name__}" to type '
                    '"System.Collections.Hashtable".'
                )
        return [dict(i) for i in items] if kind == "hashtables" else dict(items[0])
    if kind == "objects":
        return list(value) if isinstance(value, list | tuple) else [value]
    return value


def _match(spec: CmdletSpec, name: str) -> Param:
    extra: tuple[Param, ...] = _SHOULD_PROCESS if spec.should_process else ()
    params: tuple[Param, ...] = (*spec.params, *_COMMON, *extra)
    wanted = name.lower()
    for param in params:
        if param.name.lower() == wanted or wanted in (a.lower() for a in param.aliases):
            return param
    candidates = [p for p in params if p.name.lower().startswith(wanted)]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise _binding_error(
            spec,
            f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
            f"Possible matches include: {names}.",
            "AmbiguousParameter",
        )
    raise _binding_error(
        spec, f"A parameter cannot be found that matches parameter name '{name}'.", "NamedParameterNotFound", name
    )


def bind(spec: CmdletSpec, parameters: Iterable[tuple[str | None, Any]]) -> dict[str, Any]:
    """Bind named and positional values to ``spec``'s parameters as PowerShell would.

    Raises:
        PSError: a terminating ParameterBindingException.
    """
    bound: dict[str, Any] = {}
    positional: list[Any] = []
    for name, value in parameters:
        if name is None:
            positional.append(value)
            continue
        param = _match(spec, name.lstrip("-"))
        if param.name in bound:
            raise _binding_error(
                spec,
                f"Cannot bind parameter because parameter '{param.name}' is specified more than once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax.",
                "ParameterAlreadyBound",
            )
        converted = _convert(spec, param, value)
        if param.choices and converted is not None:
            allowed = {c.lower(): c for c in param.choices}
            if str(converted).lower() not in allowed:
                raise _binding_error(
                    spec,
                    f"Cannot validate argument on parameter '{param.name}'. The argument \"{converted}\" does not "
                    f'belong to the set "{",".join(param.choices)}" specified by the ValidateSet attribute. Supply '
                    "an argument that is in the set and then try the command again.",
                    "ParameterArgumentValidationError",
                )
            converted = allowed[str(converted).lower()]
        bound[param.name] = converted
    free = sorted(
        (p for p in spec.params if p.position is not None and p.name not in bound), key=lambda p: p.position or 0
    )
    for value in positional:
        if not free:
            raise _binding_error(
                spec,
                f"A positional parameter cannot be found that accepts argument '{value}'.",
                "PositionalParameterNotFound",
                value,
            )
        param = free.pop(0)
        bound[param.name] = _convert(spec, param, value)
    missing = [p.name for p in spec.params if p.mandatory and p.name not in bound]
    if missing:
        raise _binding_error(
            spec,
            f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
            "MissingMandatoryParameter",
        )
    return bound
