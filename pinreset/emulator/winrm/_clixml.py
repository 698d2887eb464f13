"""A fast reader for the one PSRP message that is both large and frequent: CREATE_PIPELINE.

psrpcore deserializes every CLIXML element into rich PSObjects; a CreatePipeline of a batched pipeline (a dozen
commands, each with nine merge enums, plus a task XML) costs it ~25 ms, which would make the simulated hosts,
not the network, the limit of a fleet run. This reader walks the same XML once and keeps only what the engine
needs: ``NoInput`` and, per statement, each command's name, script flag and parameters as plain Python values.
Anything it does not understand (a SecureString, an unknown element) raises :class:`UnsupportedClixmlError`,
and the caller falls back to psrpcore.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from typing import Any

import attrs

from pinreset.emulator.winrm._cmdlet import StatementCommand
from pinreset.emulator.winrm._objects import PSObj

__all__ = ["CreatePipelineInfo", "UnsupportedClixmlError", "read_create_pipeline"]

_ESCAPE = re.compile(r"_[xX]([0-9A-Fa-f]{4})_")
_INTS = frozenset({"I32", "I64", "I16", "U8", "By", "SB", "U16", "U32", "U64"})
_FLOATS = frozenset({"Db", "Sg", "D"})
_TEXTS = frozenset({"DT", "G", "URI", "Version", "XD", "SBK", "TS"})
_LISTS = frozenset({"LST", "IE", "STK", "QUE"})


class UnsupportedClixmlError(ValueError):
    """The message holds something this reader leaves to psrpcore."""


@attrs.frozen
class CreatePipelineInfo:
    """What a CREATE_PIPELINE message asks for: its statements and whether pipeline input follows."""

    no_input: bool
    statements: tuple[tuple[StatementCommand, ...], ...]


def unescape(text: str) -> str:
    """A CLIXML string value: ``_xHHHH_`` escapes are UTF-16 code units (surrogate pairs included)."""
    if "_x" not in text and "_X" not in text:
        return text
    units = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _Reader:
    def __init__(self, root: ET.Element) -> None:
        self.type_names: dict[str, list[str]] = {}
        self.objects: dict[str, ET.Element] = {}
        for element in root.iter():
            if element.tag == "TN":
                self.type_names[element.get("RefId", "")] = [t.text or "" for t in element]
            elif element.tag == "Obj" and element.get("RefId") is not None:
                self.objects[element.get("RefId", "")] = element
        self.decoded: dict[str, Any] = {}

    def value(self, element: ET.Element) -> Any:
        tag = element.tag
        text = element.text or ""
        if tag == "Nil":
            return None
        if tag == "S":
            return unescape(text)
        if tag == "B":
            return text.strip().lower() == "true"
        if tag in _INTS:
            return int(text)
        if tag in _FLOATS:
            return float(text)
        if tag == "C":
            return chr(int(text))
        if tag in _TEXTS:
            return unescape(text)
        if tag == "BA":
            return base64.b64decode(text)
        if tag == "Ref":
            ref = element.get("RefId", "")
            if ref not in self.objects:
                raise UnsupportedClixmlError(f"dangling reference {ref}")
            return self.obj(self.objects[ref])
        if tag == "Obj":
            return self.obj(element)
        raise UnsupportedClixmlError(f"element {tag}")

    def _names(self, element: ET.Element) -> list[str]:
        tn = element.find("TN")
        if tn is not None:
            return [t.text or "" for t in tn]
        ref = element.find("TNRef")
        return self.type_names.get(ref.get("RefId", ""), []) if ref is not None else []

    def obj(self, element: ET.Element) -> Any:
        ref = element.get("RefId")
        if ref is not None and ref in self.decoded:
            return self.decoded[ref]
        result = self._obj(element)
        if ref is not None:
            self.decoded[ref] = result
        return result

    def _obj(self, element: ET.Element) -> Any:
        names = self._names(element)
        props: dict[str, Any] = {}
        primitive: Any = None
        has_primitive = False
        text: str | None = None
        for child in element:
            tag = child.tag
            if tag in _LISTS:
                return [self.value(c) for c in child]
            if tag == "DCT":
                table = {}
                for entry in child:
                    key = entry.find("*[@N='Key']")
                    value = entry.find("*[@N='Value']")
                    if key is None:
                        raise UnsupportedClixmlError("dictionary entry without a key")
                    table[self.value(key)] = self.value(value) if value is not None else None
                return table
            if tag in ("MS", "Props"):
                for member in child:
                    props[member.get("N", "")] = self.value(member)
            elif tag == "ToString":
                text = unescape(child.text or "")
            elif tag not in ("TN", "TNRef"):
                primitive = self.value(child)
                has_primitive = True
        if has_primitive and not props:
            return primitive  # an enum (its number) or a primitive with type names
        return PSObj(type_names=names, props=props, text=text)


def _member(ms: ET.Element | None, name: str) -> ET.Element | None:
    if ms is None:
        return None
    return next((m for m in ms if m.get("N") == name), None)


def _commands(reader: _Reader, cmds: ET.Element) -> tuple[StatementCommand, ...]:
    target = cmds
    if cmds.tag == "Ref":
        target = reader.objects[cmds.get("RefId", "")]
    items = target.find("LST")
    if items is None:
        raise UnsupportedClixmlError("Cmds without a list")
    commands = []
    for item in items:
        command = reader.objects[item.get("RefId", "")] if item.tag == "Ref" else item
        ms = command.find("MS")
        name = _member(ms, "Cmd")
        script = _member(ms, "IsScript")
        args = _member(ms, "Args")
        if name is None:
            raise UnsupportedClixmlError("command without Cmd")
        parameters: list[tuple[str | None, Any]] = []
        arg_list = None
        if args is not None and args.tag != "Nil":
            args_obj = reader.objects[args.get("RefId", "")] if args.tag == "Ref" else args
            arg_list = args_obj.find("LST")
        for arg in arg_list if arg_list is not None else ():
            arg_obj = reader.objects[arg.get("RefId", "")] if arg.tag == "Ref" else arg
            arg_ms = arg_obj.find("MS")
            key = _member(arg_ms, "N")
            value = _member(arg_ms, "V")
            key_text = None if key is None or key.tag == "Nil" else unescape(key.text or "")
            parameters.append((key_text, reader.value(value) if value is not None else None))
        commands.append(
            StatementCommand(
                name=unescape(name.text or ""),
                parameters=tuple(parameters),
                is_script=bool(script is not None and reader.value(script)),
            )
        )
    return tuple(commands)


def read_create_pipeline(data: bytes) -> CreatePipelineInfo:
    """Read a CREATE_PIPELINE message body.

    Raises:
        UnsupportedClixmlError: for anything psrpcore should handle instead (SecureStrings included).
    """
    if b"<SS" in data:
        raise UnsupportedClixmlError("SecureString values need the session key")
    try:
        root = ET.fromstring(data)  # noqa: S314 - authenticated peer; expat refuses entity expansion bombs
    except ET.ParseError as exc:
        raise UnsupportedClixmlError(str(exc)) from exc
    reader = _Reader(root)
    ms = root.find("MS")
    no_input = _member(ms, "NoInput")
    powershell = _member(ms, "PowerShell")
    if powershell is None or no_input is None:
        raise UnsupportedClixmlError("not a CreatePipeline")
    ps_ms = powershell.find("MS")
    extra = _member(ps_ms, "ExtraCmds")
    statements: list[tuple[StatementCommand, ...]] = []
    if extra is not None and extra.tag != "Nil":
        extra_obj = reader.objects[extra.get("RefId", "")] if extra.tag == "Ref" else extra
        listed = extra_obj.find("LST")
        for statement in listed if listed is not None else ():
            holder = reader.objects[statement.get("RefId", "")] if statement.tag == "Ref" else statement
            cmds = _member(holder.find("MS"), "Cmds")
            if cmds is None:
                raise UnsupportedClixmlError("statement without Cmds")
            statements.append(_commands(reader, cmds))
    else:
        cmds = _member(ps_ms, "Cmds")
        if cmds is None:
            raise UnsupportedClixmlError("PowerShell without Cmds")
        statements.append(_commands(reader, cmds))
    return CreatePipelineInfo(no_input=bool(reader.value(no_input)), statements=tuple(statements))
