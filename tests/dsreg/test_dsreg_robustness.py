"""Real captures and pastes: each robustness case reads the same sections as the clean output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pinreset import CanReset, JoinState, parse_dsregcmd

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"
BASE = (DATA / "win11-entra-joined-ready.txt").read_text(encoding="utf-8")


def _lines(text: str, change: Callable[[str], str]) -> str:
    return "\n".join(change(line) for line in text.split("\n"))


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "blank line after every line": lambda t: _lines(t, lambda line: line + "\n"),
    "no indentation": lambda t: _lines(t, str.lstrip),
    "misaligned indentation": lambda t: "\n".join(
        (" " * (i % 7)) + line.lstrip() for i, line in enumerate(t.split("\n"))
    ),
    "trailing spaces on every line": lambda t: _lines(t, lambda line: line + "   "),
    "blank lines made of spaces": lambda t: _lines(t, lambda line: line or "        "),
    "tabs for indentation": lambda t: _lines(t, lambda line: "\t" + line.lstrip()),
    "non-breaking spaces from a web page": lambda t: t.replace(" : ", "\xa0:\xa0"),
    "empty values with a trailing space": lambda t: _lines(t, lambda line: line + " " if line.endswith(":") else line),
    "markdown bold keys": lambda t: _lines(
        t, lambda line: line.replace("CanReset", "**CanReset**").replace("NgcSet :", "**NgcSet** :")
    ),
    "markdown fence around it": lambda t: "```\n" + t + "```\n",
    "quoted paste": lambda t: _lines(t, lambda line: "> " + line),
    "prompt and banner before, prompt after": lambda t: (
        "Microsoft Windows [Version 10.0.26100.2314]\n(c) Microsoft Corporation. All rights reserved.\n\n"
        "C:\\Users\\adele>dsregcmd /status\n\n" + t + "\nC:\\Users\\adele>"
    ),
    "closing rule after the last key": lambda t: t.rstrip("\n") + "\n" + "+" + "-" * 70 + "+\n",
    "no final newline": lambda t: t.rstrip("\n"),
    "lone CR line ends": lambda t: t.replace("\n", "\r"),
}


@pytest.mark.parametrize("case", list(TRANSFORMS))
def test_transformed_output_reads_the_same_sections(case: str) -> None:
    """The sections read from a mangled copy equal those of the clean output."""
    clean = parse_dsregcmd(BASE)
    mangled = parse_dsregcmd(TRANSFORMS[case](BASE))
    assert mangled.sections == clean.sections
    assert mangled.user_state == clean.user_state
    assert mangled.assess().verdict is clean.assess().verdict


def test_prompt_lines_and_banner_go_to_other_lines() -> None:
    """A PowerShell banner and prompts are kept aside, not read as keys."""
    status = parse_dsregcmd((DATA / "paste-powershell-prompt-banner.txt").read_text(encoding="utf-8"))
    assert list(status.sections) == ["Device State", "Device Details", "Tenant Details", "User State"]
    assert status.other_lines[0] == "Windows PowerShell"
    assert "PS C:\\Users\\adele> dsregcmd /status" in status.other_lines
    assert status.other_lines[-1] == "PS C:\\Users\\adele>"
    assert status.user_state is not None
    assert status.user_state.can_reset is CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE


def test_markdown_paste_with_fences_bold_and_elision() -> None:
    """A forum paste: prose, a fence, **bold**, `...` elision lines — the keys still read."""
    status = parse_dsregcmd((DATA / "paste-markdown.txt").read_text(encoding="utf-8"))
    assert list(status.sections) == ["Device State", "User State"]
    assert status.device_state is not None
    assert status.device_state.azure_ad_joined is True
    assert status.user_state is not None
    assert status.user_state.can_reset is CanReset.DESTRUCTIVE_ONLY
    assert "```text" in status.other_lines
    assert "..." in status.other_lines
    assert "…" in status.other_lines


def test_console_hard_wrap_is_joined_back() -> None:
    """Values wrapped by an 80-column console are joined without losing or adding characters."""
    status = parse_dsregcmd((DATA / "console-wrap-80.txt").read_text(encoding="utf-8"))
    sso = status.sso_state
    assert sso is not None
    assert sso.azure_ad_prt_authority == "https://login.microsoftonline.com/4c1d9e2f-7a3b-4d5c-8e6f-0a1b2c3d4e5f"
    assert sso.kerb_top_level_names == (
        ".windows.net,.windows.net:1433,.windows.net:3342,.azure.net,.azure.net:1433,.azure.net:3342"
    )
    assert sso.server_error_description is not None
    assert sso.server_error_description.startswith("AADSTS50126: Error validating credentials due to invalid username")
    assert sso.server_error_description.endswith("Correlation ID: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    assert sso.http_status == 400
    assert status.other_lines == ()


def test_repeated_key_in_one_section_is_kept_with_a_suffix() -> None:
    """A second PRT diagnostics block keeps its keys as `Key #2`; the model holds the first block."""
    status = parse_dsregcmd((DATA / "console-wrap-80.txt").read_text(encoding="utf-8"))
    sso_items = status.sections["SSO State"]
    assert sso_items["Attempt Status"] == "0xc000006d"
    assert sso_items["Attempt Status #2"] == "0xc004848c"
    assert status.sso_state is not None
    assert status.sso_state.attempt_status == "0xc000006d"
    assert status.sso_state.extra["Attempt Status #2"] == "0xc004848c"


def test_status_lines_colon_values_and_colon_keys() -> None:
    """No-colon status lines go aside; values keep their `: `; a key ending in `:` is read."""
    status = parse_dsregcmd((DATA / "status-lines-and-colons.txt").read_text(encoding="utf-8"))
    assert status.other_lines == ("Waiting for Diagnostics Task...",)
    diagnostic = status.diagnostic_data
    assert diagnostic is not None
    assert diagnostic.server_message == (
        "The device object by the given id (9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d) is not found : retry later"
    )
    assert diagnostic.key_sign_test == "MUST Run elevated to test."
    assert "KeySignTest:" in status.sections["Diagnostic Data"]
    assert diagnostic.elevated is False
    assert diagnostic.https_status == 400
    ngc = status.ngc_prerequisite_check
    assert ngc is not None
    assert ngc.is_device_joined is True  # printed with no indentation at all
    assert ngc.policy_enabled is False
    assert ngc.raw == {"logon_cert_template_ready": "NOT SET"}


def test_truncated_banner_and_last_line() -> None:
    """A capture cut at both ends keeps what is complete; the cut line is kept aside, a cut time is None."""
    status = parse_dsregcmd((DATA / "truncated.txt").read_text(encoding="utf-8"))
    assert list(status.sections) == ["User State", "SSO State"]
    assert status.user_state is not None
    assert status.user_state.can_reset is CanReset.NON_DESTRUCTIVE_ONLY
    assert status.sso_state is not None
    assert status.sso_state.azure_ad_prt_update_time is None
    assert status.sso_state.raw == {"azure_ad_prt_update_time": "2026-11-23 16:0"}
    assert status.other_lines == ("AzureAdPrtExpir",)


def test_empty_values_with_and_without_trailing_space() -> None:
    """`Key :` and `Key : ` both give an empty printed value."""
    status = parse_dsregcmd("| Tenant Details |\n    MdmUrl :\n MdmTouUrl : \n TenantName : Fabrikam\n")
    assert status.sections["Tenant Details"] == {"MdmUrl": "", "MdmTouUrl": "", "TenantName": "Fabrikam"}
    assert status.tenant_details is not None
    assert status.tenant_details.mdm_url == ""


def test_boxes_lost_in_a_paste() -> None:
    """Bare titles and key lines before any title still find their sections."""
    status = parse_dsregcmd(
        "AzureAdJoined : YES\nDomainJoined : YES\nEnterpriseJoined : NO\n\nUser State\nNgcSet : YES\n"
    )
    assert status.join_type is JoinState.HYBRID_JOINED
    assert status.user_state is not None
    assert status.user_state.ngc_set is True
    wrapped = parse_dsregcmd(
        "CanReset : DestructiveOnly\n"
        "KerbTopLevelNames : .windows.net,.windows.net:1433,.windows.net:3342,.azure.net,.az\nure.net:1433\n"
        "DeviceId : 6e4cbe68-588b-499c-8c04-dcfff140a1ca\n"
    )
    assert wrapped.sections["SSO State"]["KerbTopLevelNames"].endswith(".azure.net,.azure.net:1433")
    assert wrapped.sections["User State"] == {"CanReset": "DestructiveOnly"}
    single = parse_dsregcmd("CanReset : DestructiveOnly\n")
    assert single.user_state is not None
    assert single.user_state.can_reset is CanReset.DESTRUCTIVE_ONLY


def test_repeated_section_title_is_kept_with_a_suffix() -> None:
    """An output pasted twice keeps the second copy as `Title #2`; the model uses the first."""
    status = parse_dsregcmd("| User State |\n NgcSet : YES\n| User State |\n NgcSet : NO\n")
    assert status.sections == {"User State": {"NgcSet": "YES"}, "User State #2": {"NgcSet": "NO"}}
    assert status.user_state is not None
    assert status.user_state.ngc_set is True


def test_wrapped_text_that_looks_like_a_legacy_key_line_is_joined_back() -> None:
    """A wrap that starts a line with `Correlation ID: …` continues the value instead of adding a key."""
    head = (
        "  Server Error Description : AADSTS50126: Error validating credentials due to invalid username or password. "
    )
    status = parse_dsregcmd(
        "| SSO State |\n"
        "            Correlation ID : aaaa0000-bb11-2222-33cc-444444dddddd\n"
        f"{head}\nCorrelation ID: 0a1b2c3d\n"
        "             EnterprisePrt : NO\n"
    )
    assert status.legacy_layout is False
    assert list(status.sections["SSO State"]) == ["Correlation ID", "Server Error Description", "EnterprisePrt"]
    assert status.sections["SSO State"]["Server Error Description"].endswith("password. Correlation ID: 0a1b2c3d")
