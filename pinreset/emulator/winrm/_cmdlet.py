"""The vocabulary of the simulated PowerShell engine: parameters, cmdlet specs, invocations, error records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pinreset.emulator.winrm._host import SimulatedHost

__all__ = ["CmdletSpec", "Invocation", "PSError", "Param", "PipelineResult", "StatementCommand"]


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
        session: state kept for the life of the runspace pool (e.g. a ``Connect-MgGraph`` sign-in).
    """

    host: SimulatedHost
    command: str
    args: Mapping[str, Any]
    input: list[Any]
    error: Callable[[PSError], None]
    session: dict[str, Any] = attrs.field(factory=dict)

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
