"""Bytes in every encoding a Windows capture can have decode to the same status."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from pinreset import CanReset, DsregParseError, parse_dsregcmd, parse_dsregcmd_bytes

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"
TEXT = (DATA / "win11-entra-joined-ready.txt").read_text(encoding="utf-8").replace("FAB-LT-1138", "BÜRO-LT-1138")
EXPECTED = parse_dsregcmd(TEXT)


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("UTF-16LE with BOM (Windows PowerShell 5.1 '>')", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")),
        ("UTF-16LE without BOM", TEXT.encode("utf-16-le")),
        ("UTF-16BE with BOM", codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be")),
        ("UTF-16BE without BOM", TEXT.encode("utf-16-be")),
        ("UTF-8 with BOM", codecs.BOM_UTF8 + TEXT.encode("utf-8")),
        ("UTF-8 without BOM", TEXT.encode("utf-8")),
        ("UTF-16LE CRLF", codecs.BOM_UTF16_LE + TEXT.replace("\n", "\r\n").encode("utf-16-le")),
        ("OEM code page 850 (cmd.exe redirection)", TEXT.encode("cp850")),
    ],
)
def test_encodings_decode_to_the_same_status(label: str, data: bytes) -> None:
    """Each encoding gives the same sections, non-ASCII device name included."""
    status = parse_dsregcmd_bytes(data)
    assert status.sections == EXPECTED.sections, label
    assert status.device_state is not None
    assert status.device_state.device_name == "BÜRO-LT-1138"


def test_explicit_encoding_overrides_detection() -> None:
    """cp437 bytes decode correctly when the caller names the code page."""
    status = parse_dsregcmd_bytes(TEXT.encode("cp437"), encoding="cp437")
    assert status.device_state is not None
    assert status.device_state.device_name == "BÜRO-LT-1138"


def test_truncated_utf16_capture_still_parses() -> None:
    """A UTF-16 capture cut in the middle of a character keeps everything before it."""
    data = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")
    cut = len(codecs.BOM_UTF16_LE) + 2 * TEXT.index("WorkplaceJoined", TEXT.index("CanReset")) + 1
    status = parse_dsregcmd_bytes(data[:cut])
    assert status.other_lines == ()  # the half character is dropped, not kept as a line
    assert status.user_state is not None
    assert status.user_state.can_reset is CanReset.DESTRUCTIVE_AND_NON_DESTRUCTIVE


def test_unknown_encoding_is_a_parse_error() -> None:
    """A codec name that does not exist is reported as DsregParseError."""
    with pytest.raises(DsregParseError, match="unknown encoding"):
        parse_dsregcmd_bytes(b"| User State |", encoding="no-such-codec")


def test_text_to_the_bytes_parser_is_a_parse_error() -> None:
    """Passing str to parse_dsregcmd_bytes points at parse_dsregcmd."""
    with pytest.raises(DsregParseError, match="parse_dsregcmd"):
        parse_dsregcmd_bytes("| User State |")  # type: ignore[arg-type]
