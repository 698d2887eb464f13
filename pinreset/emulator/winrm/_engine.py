"""A small PowerShell engine: cmdlet registry, parameter binding like PowerShell's, and pipeline execution.

PSRP delivers a pipeline as commands with typed parameters (``add_cmdlet``/``add_parameter``); nothing here parses
script text, so a hostile value stays a value. Binding follows PowerShell's rules closely enough that a client
mistake fails here as it would on Windows: an unknown parameter name is a terminating
``ParameterBindingException`` (``NamedParameterNotFound``), a value of the wrong type is
``CannotConvertArgumentNoMessage``, an unknown command is ``CommandNotFoundException``. Cmdlets are registered
by modules under :mod:`pinreset.emulator.winrm.cmdlets`, one per family, so further families (Microsoft Graph
PowerShell) plug in without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = [
    "CmdletSpec",
    "Invocation",
    "PSError",
    "Param",
    "PipelineResult",
    "StatementCommand",
    "lookup",
    "register",
    "run_pipeline",
]

# Parameter kinds and the .NET type named in conversion errors.
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

_ACTION_PREFERENCES = {
    "silentlycontinue": "SilentlyContinue",
    "stop": "Stop",
    "continue": "Continue",
    "inquire": "Inquire",
    "ignore": "Ignore",
    "suspend": "Suspend",
    "break": "Break",
}
_ACTION_BY_NUMBER = ["SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"]


class PSError(Exception):
    """An error record to write (non-terminating) or to fail the pipeline with (``terminating=True``).

    Args:
        message: the exception message.
        fqid: the FullyQualifiedErrorId (``ItemNotFoundException,Microsoft.PowerShell.Commands.…``).
        category: the ErrorCategory name (``ObjectNotFound``, ``InvalidArgument``, ...).
        exception_types: the exception's .NET type names, most derived first.
        target: the target object (a string is enough for every case emulated here).
        command: the command the error is attributed to.
        terminating: whether it stops the pipeline.
    """

    def __init__(
        self,
        message: str,
        *,
        fqid: str,
        category: str,
        exception_types: tuple[str, ...] = ("System.Management.Automation.RuntimeException",),
        target: Any = None,
        command: str = "",
        terminating: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fqid = fqid
        self.category = category
        self.exception_types = exception_types
        self.target = target
        self.command = command
        self.terminating = terminating


@attrs.frozen
class Param:
    """One cmdlet parameter.

    Attributes:
        name: as declared (``LiteralPath``).
        kind: one of the keys of ``_KIND_TYPES``.
        mandatory: missing -> ``MissingMandatoryParameter``.
        position: index for positional arguments.
        aliases: other accepted names (``PSPath`` for ``LiteralPath``).
        choices: allowed values (case-insensitive) for ValidateSet-style parameters.
    """

    name: str
    kind: str = "string"
    mandatory: bool = False
    position: int | None = None
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@attrs.frozen
class Invocation:
    """What a cmdlet implementation receives.

    Attributes:
        host: the simulated host it runs on.
        command: the cmdlet's name.
        args: bound parameters by declared name (switches as ``bool``).
        input: pipeline input objects (empty when first in the pipeline).
        error: sink for non-terminating errors (applies ``-ErrorAction``).
    """

    host: SimulatedHost
    command: str
    args: Mapping[str, Any]
    input: list[Any]
    error: Callable[[PSError], None]

    def has(self, name: str) -> bool:
        """True when the caller passed parameter ``name``."""
        return name in self.args


@attrs.frozen
class CmdletSpec:
    """A registered cmdlet (or native command).

    Attributes:
        name: canonical name (``Get-ItemProperty``).
        type_name: the implementing .NET type, used in FullyQualifiedErrorIds.
        params: declared parameters (common parameters are added by the engine).
        run: the implementation; yields output objects.
        takes_input: whether pipeline input binds (``InputObject``).
        should_process: whether ``-WhatIf``/``-Confirm`` exist.
        aliases: further names that resolve to it (``dsregcmd.exe``).
        native: a native executable: arguments are not bound to parameters, only collected.
        module: the PowerShell module that provides it (a host can lack a module: ``host.missing_modules``).
    """

    name: str
    type_name: str
    params: tuple[Param, ...]
    run: Callable[[Invocation], Iterable[Any]]
    takes_input: bool = False
    should_process: bool = False
    aliases: tuple[str, ...] = ()
    native: bool = False
    module: str | None = None


@attrs.frozen
class StatementCommand:
    """One command of a pipeline as it arrived: name, parameters ``(name or None, value)``, script flag."""

    name: str
    parameters: tuple[tuple[str | None, Any], ...]
    is_script: bool = False


@attrs.define
class PipelineResult:
    """Everything a pipeline produced: output objects, non-terminating errors, the terminating error if any."""

    output: list[Any] = attrs.field(factory=list)
    errors: list[PSError] = attrs.field(factory=list)
    failure: PSError | None = None


_REGISTRY: dict[str, CmdletSpec] = {}

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


def register(spec: CmdletSpec) -> CmdletSpec:
    """Add ``spec`` to the registry under its name and aliases (case-insensitive); returns it."""
    for name in (spec.name, *spec.aliases):
        _REGISTRY[name.lower()] = spec
    return spec


def lookup(name: str) -> CmdletSpec | None:
    """The cmdlet registered as ``name`` (case-insensitive), or ``None``."""
    _load_families()
    return _REGISTRY.get(name.lower())


def _load_families() -> None:
    # Importing the package registers every family module once.
    from pinreset.emulator.winrm import cmdlets  # noqa: F401


def command_not_found(name: str) -> PSError:
    """The terminating error PowerShell raises for a name that resolves to nothing."""
    return PSError(
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
        "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
        fqid="CommandNotFoundException",
        category="ObjectNotFound",
        exception_types=("System.Management.Automation.CommandNotFoundException",),
        target=name,
        command=name,
        terminating=True,
    )


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


def _error_action(args: Mapping[str, Any]) -> str:
    value = args.get("ErrorAction")
    if value is None:
        return "Continue"
    if isinstance(value, int) and 0 <= value < len(_ACTION_BY_NUMBER):
        return _ACTION_BY_NUMBER[value]
    return _ACTION_PREFERENCES.get(str(value).lower(), "Continue")


def run_pipeline(host: SimulatedHost, commands: Iterable[StatementCommand], input_objects: list[Any]) -> PipelineResult:
    """Run one statement's commands in order, each fed the previous one's output.

    Args:
        host: where it runs.
        commands: the statement's commands.
        input_objects: pipeline input sent by the client (feeds the first command).

    Returns:
        Output, errors and the terminating error (execution stops at the first one).
    """
    result = PipelineResult()
    flowing = list(input_objects)
    for index, command in enumerate(commands):
        try:
            spec = lookup(command.name) if not command.is_script else lookup("Invoke-Expression")
            if spec is not None and spec.module and spec.module.lower() in host.missing_modules:
                spec = None
            if spec is None:
                raise command_not_found(command.name)
            if command.is_script:
                args: dict[str, Any] = {"Command": command.name}
            elif spec.native:
                args = {"Arguments": [str(v) for _, v in command.parameters]}
            else:
                args = bind(spec, command.parameters)
            action = _error_action(args)
            sink: list[PSError] = []

            def write_error(err: PSError, action: str = action, sink: list[PSError] = sink) -> None:
                if action == "Stop":
                    err.terminating = True
                    raise err
                if action not in ("SilentlyContinue", "Ignore"):
                    sink.append(err)

            if flowing and not spec.takes_input and index > 0:
                for item in flowing:
                    write_error(
                        PSError(
                            "The input object cannot be bound to any parameters for the command either because the "
                            "command does not take pipeline input or the input and its properties do not match any "
                            "of the parameters that take pipeline input.",
                            fqid=f"InputObjectNotBound,{spec.type_name}",
                            category="InvalidArgument",
                            exception_types=("System.Management.Automation.ParameterBindingException",),
                            target=item,
                            command=spec.name,
                        )
                    )
                flowing = []
            invocation = Invocation(host=host, command=spec.name, args=args, input=flowing, error=write_error)
            host.record(spec.name, args)
            try:
                produced = list(spec.run(invocation))
            finally:
                result.errors.extend(sink)
            flowing = produced
        except PSError as err:
            err.terminating = True
            result.failure = err
            return result
    result.output.extend(flowing)
    return result
