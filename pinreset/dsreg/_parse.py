"""The public parsing functions: text or bytes in, :class:`DsregStatus` out. Pure: no I/O."""

from __future__ import annotations

from pinreset.dsreg._decode import decode_output
from pinreset.dsreg._sections import split_sections
from pinreset.dsreg.status import DsregStatus
from pinreset.exceptions import DsregParseError

__all__ = ["parse_dsregcmd", "parse_dsregcmd_bytes"]


def parse_dsregcmd(text: str) -> DsregStatus:
    """Parse the text of ``dsregcmd /status`` — a whole capture, a paste, or a few sections of it.

    Args:
        text: the output as text. Prompts, banners, markdown, CRLF and console hard-wraps are tolerated.

    Returns:
        The status: every section as printed, and typed section models (built on first access); sections that
        were not printed are ``None``.

    Raises:
        DsregParseError: the text has no dsregcmd structure (the message says why and at which line), or is
            not a ``str``.
    """
    if not isinstance(text, str):
        raise DsregParseError(
            f"expected the output as str, got {type(text).__name__}; use parse_dsregcmd_bytes for bytes"
        )
    try:
        sections, other_lines, legacy = split_sections(text)
    except DsregParseError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        # A defect of ours on some unforeseen input must still surface as the documented error.
        raise DsregParseError(f"could not read the output: {exc.__class__.__name__}: {exc}") from exc
    return DsregStatus(sections=sections, other_lines=tuple(other_lines), legacy_layout=legacy)


def parse_dsregcmd_bytes(data: bytes, *, encoding: str | None = None) -> DsregStatus:
    """Parse ``dsregcmd /status`` output from bytes, detecting the encoding.

    Detects UTF-16LE/BE with or without a byte order mark (``dsregcmd /status > out.txt`` in Windows
    PowerShell 5.1 writes UTF-16LE), UTF-8 with or without BOM, and falls back to the OEM code page cp850.

    Args:
        data: the captured bytes.
        encoding: a codec name to use instead of detection (e.g. ``"cp437"``).

    Returns:
        The status, as :func:`parse_dsregcmd` returns it.

    Raises:
        DsregParseError: the bytes are not dsregcmd output, or ``encoding`` is unknown.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DsregParseError(f"expected bytes, got {type(data).__name__}; use parse_dsregcmd for text")
    return parse_dsregcmd(decode_output(bytes(data), encoding=encoding))
