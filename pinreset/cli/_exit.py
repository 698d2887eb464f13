"""Exit codes of the ``pinreset`` command, which scripts and schedulers may rely on.

=====  ==========================================================================================
code   meaning
=====  ==========================================================================================
0      success; for checks: ready, no drift, no changes pending
1      the check ran and found something: not ready, drift, changes pending, hosts failing
2      usage error: bad arguments or options (argparse's own code)
3      error: the input or the tenant could not be read (unparseable file, Graph error, …)
4      authentication failed
130    interrupted (Ctrl+C)
=====  ==========================================================================================
"""

from __future__ import annotations

import enum

from pinreset.exceptions import ConfigurationError


class ExitCode(enum.IntEnum):
    """Documented process exit codes."""

    OK = 0
    NOT_READY = 1
    USAGE = 2
    ERROR = 3
    AUTH = 4
    INTERRUPTED = 130


class UsageError(ConfigurationError):
    """A command-line option is malformed or options contradict each other: exit 2, like argparse's own errors.

    Raised by the command modules for what argparse cannot check itself (``--assign-to Pilot`` without
    ``group:``, ``--group`` with ``--device``); missing settings in the environment stay :class:`ConfigurationError`
    (exit 3).
    """
