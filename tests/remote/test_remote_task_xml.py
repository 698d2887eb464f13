"""The scheduled task definition: principal, run level, command line, and refusal of hostile values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.remote._interactive import TASK_NAME_PATTERN, new_task_name, output_path, task_xml

NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
SID = "S-1-12-1-1111-2222-3333-4444"


def test_task_runs_as_the_user_interactively_and_not_elevated() -> None:
    """Principal = SID, InteractiveToken, LeastPrivilege; cmd.exe redirects dsregcmd into the task's own file."""
    name = new_task_name()
    root = ET.fromstring(task_xml(name, SID))  # noqa: S314 - our own document
    principal = root.find("t:Principals/t:Principal", NS)
    assert principal is not None
    assert principal.findtext("t:UserId", namespaces=NS) == SID
    assert principal.findtext("t:LogonType", namespaces=NS) == "InteractiveToken"
    assert principal.findtext("t:RunLevel", namespaces=NS) == "LeastPrivilege"
    assert root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS) == "cmd.exe"
    arguments = root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS)
    assert arguments == f'/c dsregcmd /status > "C:\\ProgramData\\pinreset\\{name}.txt"'
    assert root.find("t:Actions", NS).get("Context") == principal.get("id")  # type: ignore[union-attr]


def test_task_names_are_unique_and_well_formed() -> None:
    """Generated names match pinreset-<32 hex> and differ every time."""
    names = {new_task_name() for _ in range(50)}
    assert len(names) == 50
    assert all(TASK_NAME_PATTERN.fullmatch(n) for n in names)


@pytest.mark.parametrize(
    "sid",
    [
        "",
        "S-1",
        "S-1-5-21-1-2-3-1001</UserId><RunLevel>HighestAvailable</RunLevel><UserId>",
        "S-1-5-21-1 & calc",
        "S-1-5-18\n",
        "NT AUTHORITY\\SYSTEM",
        "s-1-5-x",
        "S-1-5-21-\u0661\u0662-1001",  # Arabic-Indic digits
        "S-1-\uff15-18",  # a fullwidth digit
    ],
)
def test_hostile_sids_are_refused(sid: str) -> None:
    """Anything but S-1-<n>(-<n>)+ is refused before XML is built."""
    with pytest.raises(ConfigurationError):
        task_xml(new_task_name(), sid)


@pytest.mark.parametrize(
    "name",
    ['pinreset-x" & calc & "', "pinreset-" + "g" * 32, "other-" + "0" * 32, "pinreset-" + "0" * 31, "..\\x"],
)
def test_hostile_task_names_are_refused(name: str) -> None:
    """Only pinreset-<32 hex> may reach the cmd.exe command line or a file path."""
    with pytest.raises(ConfigurationError):
        task_xml(name, SID)
    with pytest.raises(ConfigurationError):
        output_path(name)


def test_element_text_is_escaped_by_the_library() -> None:
    """The document parses back exactly, with the ampersand-free fixed description intact."""
    text = task_xml(new_task_name(), SID)
    assert "<UserId>" in text or "UserId>" in text
    root = ET.fromstring(text)  # noqa: S314 - our own document
    assert root.findtext("t:RegistrationInfo/t:Description", namespaces=NS).startswith("pinreset:")  # type: ignore[union-attr]
