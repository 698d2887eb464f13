"""A small PowerShell engine: the cmdlet registry and pipeline execution (binding is in ``_binding``).

PSRP delivers a pipeline as commands with typed parameters (``add_cmdlet``/``add_parameter``); nothing here parses
script text, so a hostile value stays a value. An unknown command is ``CommandNotFoundException``, errors honour
``-ErrorAction``, and each command's output is the next one's pipeline input. Cmdlets are registered
by modules under :mod:`pinreset.emulator.winrm.cmdlets`, one per family, so further families (Microsoft Graph
PowerShell) plug in without touching this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pinreset.emulator.winrm._binding import bind
from pinreset.emulator.winrm._cmdlet import (
    CmdletSpec,
    Invocation,
    Param,
    PipelineResult,
    PSError,
    StatementCommand,
)

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = [
    "CmdletSpec",
    "Invocation",
    "PSError",
    "Param",
    "PipelineResult",
    "StatementCommand",
    "bind",
    "command_not_found",
    "lookup",
    "register",
    "run_pipeline",
]

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

_REGISTRY: dict[str, CmdletSpec] = {}


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


def _error_action(args: Mapping[str, Any]) -> str:
    value = args.get("ErrorAction")
    if value is None:
        return "Continue"
    if isinstance(value, int) and 0 <= value < len(_ACTION_BY_NUMBER):
        return _ACTION_BY_NUMBER[value]
    return _ACTION_PREFERENCES.get(str(value).lower(), "Continue")


def run_pipeline(
    host: SimulatedHost,
    commands: Iterable[StatementCommand],
    input_objects: list[Any],
    session: dict[str, Any] | None = None,
) -> PipelineResult:
    """Run one statement's commands in order, each fed the previous one's output.

    Args:
        host: where it runs.
        commands: the statement's commands.
        input_objects: pipeline input sent by the client (feeds the first command).
        session: the runspace pool's state, shared by its pipelines (a fresh one when ``None``).

    Returns:
        Output, errors and the terminating error (execution stops at the first one).
    """
    result = PipelineResult()
    state: dict[str, Any] = {} if session is None else session
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
            invocation = Invocation(
                host=host, command=spec.name, args=args, input=flowing, error=write_error, session=state
            )
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
