"""``ConvertTo-Json`` (Windows PowerShell 5.1, or 7 on hosts that run pwsh), ``Select-Object`` and ``Write-Output``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pinreset.emulator.winrm._engine import CmdletSpec, Invocation, Param, register
from pinreset.emulator.winrm._objects import PSObj, custom_object, to_json

__all__: list[str] = []


def _convert_to_json(inv: Invocation) -> Iterator[str]:
    items = list(inv.input)
    if inv.has("InputObject"):
        items.append(inv.args["InputObject"])
    if not items:
        return
    depth = int(inv.args.get("Depth") or 2)
    # A host running PowerShell 7 (``ps_version`` "7.x") writes its JSON flavour.
    major = str(getattr(inv.host, "ps_version", "5.1")).split(".", 1)[0]
    pwsh7 = major.isdigit() and int(major) >= 7
    yield to_json(
        items, depth=depth, compress=bool(inv.args.get("Compress")), pwsh7=pwsh7, as_array=bool(inv.args.get("AsArray"))
    )


register(
    CmdletSpec(
        name="ConvertTo-Json",
        type_name="Microsoft.PowerShell.Commands.ConvertToJsonCommand",
        params=(
            Param("InputObject", "object", position=0),
            Param("Depth", "int"),
            Param("Compress", "switch"),
            Param("AsArray", "switch"),
        ),
        run=_convert_to_json,
        takes_input=True,
    )
)


def _project(item: Any, names: list[str]) -> PSObj:
    if isinstance(item, PSObj):
        props = {}
        for name in names:
            matches = [k for k in item.props if _like(k, name)] if "*" in name else [name]
            for key in matches:
                value = item.get(key)
                real = next((k for k in item.props if k.lower() == key.lower()), key)
                props[real] = value
        return custom_object(props, type_name=f"Selected.{item.type_names[0]}")
    return custom_object(dict.fromkeys(names))


def _like(text: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(text.lower(), pattern.lower())


def _select_object(inv: Invocation) -> Iterator[Any]:
    items = list(inv.input)
    first = inv.args.get("First")
    if first is not None:
        items = items[: int(first)]
    expand = inv.args.get("ExpandProperty")
    names = [str(p) for p in inv.args.get("Property") or []]
    for item in items:
        if expand:
            value = item.get(expand) if isinstance(item, PSObj) else None
            if isinstance(value, list):
                yield from value
            elif value is not None:
                yield value
        elif names:
            yield _project(item, names)
        else:
            yield item


register(
    CmdletSpec(
        name="Select-Object",
        type_name="Microsoft.PowerShell.Commands.SelectObjectCommand",
        params=(
            Param("Property", "objects", position=0),
            Param("ExpandProperty", "string"),
            Param("First", "int"),
            Param("InputObject", "object"),
        ),
        run=_select_object,
        takes_input=True,
        aliases=("select",),
    )
)


def _write_output(inv: Invocation) -> Iterator[Any]:
    yield from inv.input
    value = inv.args.get("InputObject")
    if value is not None:
        yield from value


register(
    CmdletSpec(
        name="Write-Output",
        type_name="Microsoft.PowerShell.Commands.WriteOutputCommand",
        params=(Param("InputObject", "objects", position=0),),
        run=_write_output,
        takes_input=True,
        aliases=("echo",),
    )
)
