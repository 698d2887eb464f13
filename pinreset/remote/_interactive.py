"""Read ``dsregcmd /status`` as the signed-in user sees it, through a one-shot scheduled task.

``dsregcmd``'s User State (``NgcSet``, ``CanReset``) describes the account that runs it. Over WinRM that is the
admin's network logon, so the check registers a task whose principal is the user's SID with logon type
``InteractiveToken`` and run level ``LeastPrivilege``: Task Scheduler runs it inside the user's existing
session, not elevated, and never needs their password. The task writes the output to a file under
``C:\\ProgramData\\pinreset``; the check reads it and then removes both task and file — in a ``finally`` block,
so also after a failure, a timeout or a cancellation.
"""

from __future__ import annotations

import contextlib
import re
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from pinreset.exceptions import ConfigurationError
from pinreset.remote._probes import SID_PATTERN, as_list
from pinreset.remote._session import CheckFailure, HostSession, cmd
from pinreset.remote.models import Outcome

__all__ = [
    "OUTPUT_DIR",
    "TASK_NAME_PATTERN",
    "new_task_name",
    "output_path",
    "run_as_interactive_user",
    "task_xml",
]

OUTPUT_DIR = r"C:\ProgramData\pinreset"
TASK_NAME_PATTERN = re.compile(r"^pinreset-[0-9a-f]{32}$")
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
SCHED_S_TASK_RUNNING = 267009  # 0x41301
SCHED_S_TASK_HAS_NOT_RUN = 267011  # 0x41303


def new_task_name() -> str:
    """A fresh, unguessable task name: ``pinreset-<uuid4 hex>``."""
    return f"pinreset-{uuid.uuid4().hex}"


def _checked_task_name(task_name: str) -> str:
    if not TASK_NAME_PATTERN.fullmatch(task_name):
        raise ConfigurationError(f"task name {task_name!r} is not 'pinreset-' followed by 32 hex digits")
    return task_name


def _checked_sid(sid: str) -> str:
    if not SID_PATTERN.fullmatch(sid):
        raise ConfigurationError(f"{sid!r} is not a SID (S-1-...)")
    return sid


def output_path(task_name: str) -> str:
    """The file the task writes ``dsregcmd`` output to."""
    return f"{OUTPUT_DIR}\\{_checked_task_name(task_name)}.txt"


def task_xml(task_name: str, user_sid: str) -> str:
    """Task Scheduler XML for a one-shot, non-elevated ``dsregcmd /status`` in ``user_sid``'s session.

    The task name and the SID are validated first: they are the only variable parts, and the task name ends
    up inside the ``cmd.exe`` command line, where only ``pinreset-`` plus hex digits is safe. ElementTree
    escapes all element text.

    Args:
        task_name: from :func:`new_task_name`.
        user_sid: the signed-in user's SID.

    Returns:
        The XML document as text, for ``Register-ScheduledTask -Xml``.

    Raises:
        ConfigurationError: when the task name or the SID has an unexpected shape.
    """
    target = output_path(task_name)
    sid = _checked_sid(user_sid)
    ET.register_namespace("", TASK_NAMESPACE)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NAMESPACE}}}{tag}", attrib)
        if text is not None:
            element.text = text
        return element

    task = ET.Element(f"{{{TASK_NAMESPACE}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", "pinreset: dsregcmd /status in the signed-in user's session (removed after use)")
    principals = sub(task, "Principals")
    principal = sub(principals, "Principal", id="User")
    sub(principal, "UserId", sid)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    sub(settings, "MultipleInstancesPolicy", "IgnoreNew")
    sub(settings, "DisallowStartIfOnBatteries", "false")
    sub(settings, "StopIfGoingOnBatteries", "false")
    sub(settings, "AllowStartOnDemand", "true")
    sub(settings, "Enabled", "true")
    sub(settings, "Hidden", "true")
    sub(settings, "ExecutionTimeLimit", "PT5M")
    actions = sub(task, "Actions", Context="User")
    execute = sub(actions, "Exec")
    sub(execute, "Command", "cmd.exe")
    sub(execute, "Arguments", f'/c dsregcmd /status > "{target}"')
    return ET.tostring(task, encoding="unicode", xml_declaration=False)


def _last_result(values: Any) -> int | None:
    """``LastTaskResult`` of the ``Get-ScheduledTaskInfo`` object among ``values`` (recognised by that property)."""
    for item in as_list(values):
        if isinstance(item, dict) and "LastTaskResult" in item:
            value = item["LastTaskResult"]
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def run_as_interactive_user(
    session: HostSession,
    user_sid: str,
    *,
    poll_interval: float = 0.2,
    first_poll_interval: float = 0.0,
    not_run_grace: float = 3.0,
    task_name: str | None = None,
) -> str:
    """Run ``dsregcmd /status`` in ``user_sid``'s interactive session and return its output.

    Args:
        session: the open session with the host (its budget bounds the whole round trip).
        user_sid: the signed-in user's SID.
        poll_interval: the longest wait between the starts of two ``Get-ScheduledTaskInfo`` polls.
        first_poll_interval: the wait before the second poll (the first one shares the task's start); each
            later wait doubles, up to ``poll_interval``.
        not_run_grace: seconds after which a task still "has not run" means the user has no session.
        task_name: override the generated name (tests).

    Returns:
        The user's ``dsregcmd /status`` text.

    Raises:
        CheckFailure: ``NO_INTERACTIVE_USER`` when the task never ran, ``COMMAND_FAILED`` when it failed.
        ConfigurationError: when the SID or task name is malformed (nothing is sent to the host then).
    """
    name = _checked_task_name(task_name or new_task_name())
    xml = task_xml(name, user_sid)
    target = output_path(name)
    cleanup = (
        (cmd("Unregister-ScheduledTask", TaskName=name, Confirm=False),),
        (cmd("Remove-Item", LiteralPath=target, Force=True, ErrorAction="SilentlyContinue"),),
    )
    registered = False
    cleaned = False
    try:
        # Marked before the call: a request that times out may still have registered the task.
        registered = True
        info = cmd("Get-ScheduledTaskInfo", TaskName=name)
        polled_at = started = session.budget.elapsed()
        interval = min(first_poll_interval, poll_interval)
        # Create, register, start and take the first look in one round trip.
        result = _last_result(
            session.run_statements(
                (cmd("New-Item", ItemType="Directory", Path=OUTPUT_DIR, Force=True),),
                (cmd("Register-ScheduledTask", TaskName=name, Xml=xml, Force=True),),
                (cmd("Start-ScheduledTask", TaskName=name),),
                (info,),
            )
        )
        while True:
            if result == 0:
                break
            if result == SCHED_S_TASK_HAS_NOT_RUN:
                if session.budget.elapsed() - started >= not_run_grace:
                    raise CheckFailure(
                        Outcome.NO_INTERACTIVE_USER,
                        f"user session not available: the task for {user_sid} did not run",
                    )
            elif result != SCHED_S_TASK_RUNNING:
                shown = f"0x{result & 0xFFFFFFFF:X}" if result is not None else "unknown"
                raise CheckFailure(Outcome.COMMAND_FAILED, f"dsregcmd in the user's session ended with {shown}")
            # A short task (dsregcmd takes about a second) is usually done by the first or second look, so the
            # waits start short and back off; on a slow link the poll itself already took that long.
            session.budget.sleep(max(0.0, interval - (session.budget.elapsed() - polled_at)))
            interval = min(poll_interval, max(interval * 2, poll_interval / 4))
            polled_at = session.budget.elapsed()
            result = _last_result(session.run(info))
        # Read the output and remove task and file in the same round trip. Should Get-Content fail, the clean-up
        # statements still run (the error is not terminating) and the finally block repeats them to be sure.
        values = session.run_statements((cmd("Get-Content", LiteralPath=target, Raw=True),), *cleanup)
        cleaned = True
        texts = [v for v in values if isinstance(v, str)]
        if not texts:
            raise CheckFailure(Outcome.UNPARSEABLE, "the user's dsregcmd output file is empty")
        return texts[0]
    finally:
        # Always clean up, even after the deadline or a cancellation: the budget grants a short grace.
        if registered and not cleaned:
            with session.budget.cleanup(), contextlib.suppress(Exception):
                session.run_statements(*cleanup, ignore_errors=True)
