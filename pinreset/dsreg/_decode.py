"""Bytes of a dsregcmd capture to text: byte order marks, BOM-less UTF-16, UTF-8, then the OEM code page."""

from __future__ import annotations

import codecs

from pinreset.exceptions import DsregParseError

__all__ = ["OEM_FALLBACK", "decode_output"]

# cmd.exe redirection writes the console's OEM code page; cp850 (Western Europe) decodes every byte and agrees
# with cp437 (US) on the accented letters device and tenant names use.
OEM_FALLBACK = "cp850"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16LE: its BOM starts with FF FE too
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NUL bytes sit in every other position, as ASCII text in UTF-16 has."""
    sample = data[:512]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls >= half * 0.6 and even_nuls <= half * 0.1:
        return "utf-16-le"
    if even_nuls >= half * 0.6 and odd_nuls <= half * 0.1:
        return "utf-16-be"
    return None


def _drop_cut_character(text: str) -> str:
    # A capture cut in the middle of a character ends in one replacement character: drop it.
    return text[:-1] if text.endswith("\ufffd") else text


def decode_output(data: bytes, *, encoding: str | None = None) -> str:
    """Decode captured dsregcmd output.

    Args:
        data: the bytes as captured.
        encoding: a codec to use instead of detection.

    Returns:
        The text. Undecodable bytes in a detected Unicode encoding become U+FFFD instead of failing (a
        truncated UTF-16 capture may end in half a character).

    Raises:
        DsregParseError: ``encoding`` names no codec.
    """
    if encoding is not None:
        try:
            return data.decode(encoding, errors="replace")
        except LookupError as exc:
            raise DsregParseError(f"unknown encoding {encoding!r}") from exc
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _drop_cut_character(data[len(bom) :].decode(codec, errors="replace"))
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return _drop_cut_character(data.decode(utf16, errors="replace"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(OEM_FALLBACK)
