"""Error records the file-system, registry and task cmdlets share."""

from __future__ import annotations

from pinreset.emulator.winrm._engine import PSError

__all__ = ["path_not_found"]


def path_not_found(path: str, type_name: str, command: str) -> PSError:
    """PowerShell's non-terminating ``ItemNotFoundException`` for a path that does not exist."""
    return PSError(
        f"Cannot find path '{path}' because it does not exist.",
        fqid=f"PathNotFound,{type_name}",
        category="ObjectNotFound",
        exception_types=("System.Management.Automation.ItemNotFoundException",),
        target=path,
        command=command,
    )
