"""Any input either parses or raises DsregParseError; nothing else escapes, and typed access never fails."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinreset import DsregParseError, DsregStatus, assess, parse_dsregcmd, parse_dsregcmd_bytes
from pinreset.dsreg._schema import SECTION_MODELS

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"
BASE_LINES = (DATA / "win11-entra-joined-ready.txt").read_text(encoding="utf-8").split("\n")

# Pieces real outputs are made of, so that generated text often has structure worth breaking.
PIECES = st.sampled_from(
    [
        "+----------------------------------------------------------------------+",
        "| Device State |",
        "| User State |",
        "| Work Account 1 |",
        "| SSO State |",
        "| Ngc Prerequisite Check |",
        "NgcSet : YES",
        "CanReset : DestructiveOnly",
        "CanReset : ",
        "AzureAdJoined : YES",
        "DomainJoined : NO",
        "AzureAdPrtUpdateTime : 2025-03-09 11:00:27.000 UTC",
        "AzureAdPrtUpdateTime : 9999-99-99",
        "DeviceId : 6e4cbe68-588b-499c-8c04-dcfff140a1ca",
        "DeviceId : {xxxx}",
        "WorkAccountCount : 99999999999999999999999",
        "KeySignTest: : x",
        "WorkplaceJoined:YES",
        "   ",
        "",
        "...",
        "```",
        "> | User State |",
        "- NgcSet : NO",
        "**CanReset : NonDestructiveOnly**",
        "For more information, please visit https://www.microsoft.com/aadjerrors",
        "PS C:\\> dsregcmd /status",
    ]
)


def _touch(status: DsregStatus) -> None:
    """Read every typed view, which is where conversions run."""
    for attr in SECTION_MODELS:
        getattr(status, attr)
    _ = status.work_accounts, status.join_type
    assess(status)
    assert DsregStatus.from_json(status.to_json()) == status


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    """Arbitrary text never raises anything but DsregParseError."""
    try:
        status = parse_dsregcmd(text)
    except DsregParseError:
        return
    _touch(status)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=40), st.sampled_from(["\n", "\r\n", "\r"]))
def test_structured_noise_parses_or_raises_parse_error(pieces: list[str], newline: str) -> None:
    """Shuffled real pieces with random text in between never crash the parser or the typed views."""
    try:
        status = parse_dsregcmd(newline.join(pieces))
    except DsregParseError:
        return
    _touch(status)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_parse_or_raise_parse_error(data: bytes) -> None:
    """Arbitrary bytes, whatever encoding detection decides, never raise anything but DsregParseError."""
    try:
        status = parse_dsregcmd_bytes(data)
    except DsregParseError:
        return
    _touch(status)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_cut_real_output_still_reads(data: st.DataObject) -> None:
    """A real output cut at any line and any character still parses, keeping the complete lines before the cut."""
    cut_line = data.draw(st.integers(min_value=5, max_value=len(BASE_LINES) - 1))
    cut_char = data.draw(st.integers(min_value=0, max_value=len(BASE_LINES[cut_line])))
    text = "\n".join(BASE_LINES[:cut_line]) + "\n" + BASE_LINES[cut_line][:cut_char]
    status = parse_dsregcmd(text)
    assert "Device State" in status.sections
    _touch(status)
