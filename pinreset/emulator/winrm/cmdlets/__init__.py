"""Cmdlet families of the simulated hosts, one module each; importing this package registers them all.

To add a family (e.g. Microsoft Graph PowerShell), write a module that calls
:func:`pinreset.emulator.winrm._engine.register` for each cmdlet and import it below.
"""

from __future__ import annotations

from pinreset.emulator.winrm.cmdlets import (
    _cim,
    _events,
    _files,
    _mggraph_auth,
    _mggraph_directory,
    _mggraph_intune,
    _mggraph_modules,
    _native,
    _registry,
    _tasks,
    _utility,
)

__all__ = ["FAMILIES"]

#: The registered family modules, for documentation and introspection.
FAMILIES = (
    _cim,
    _events,
    _files,
    _native,
    _registry,
    _tasks,
    _utility,
    _mggraph_auth,
    _mggraph_directory,
    _mggraph_intune,
    _mggraph_modules,
)
