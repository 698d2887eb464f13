"""Split ``dsregcmd /status`` text into sections of ``key -> value`` strings (sans-IO, one pass).

What real captures and pastes contain, and what happens to it:

- ``+----+`` rules are separators; ``| Title |`` starts a section (also a bare known title such as
  ``User State`` or ``## User State`` when a paste lost its boxes, and ``| Title`` without the closing bar).
- ``Key : Value`` (right-aligned keys) and the Windows 10 1607 ``Key: value`` layout are key lines. The first
  `` :`` separates key from value, so values may contain ``: `` and keys may end in ``:``
  (``KeySignTest: : MUST Run elevated to test.``). Indentation, alignment, trailing spaces, CRLF, tabs,
  non-breaking spaces and ``**bold**`` do not matter. An empty value is kept as ``""``.
- A line that is not a key line, right after a key line at least ``_WRAP_MIN`` characters long, is that value
  hard-wrapped by the console: it is joined back.
- Blank lines are ignored; when *every* line is followed by a blank one, a wrapped value may also continue
  across one blank line.
- Everything else — prompts, shell banners, status lines without a colon, markdown fences, ``...`` elision,
  the closing ``For more information`` line, a truncated line — goes to ``other_lines``, never lost.
- Key lines before the first title (a paste without boxes) go to the section their key belongs to.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pinreset.dsreg._naming import attribute_name
from pinreset.dsreg._schema import ATTRIBUTE_SECTION, KNOWN_ATTRIBUTES, SECTION_MODELS, title_id
from pinreset.exceptions import DsregParseError

__all__ = ["Layout", "split_sections"]

# A console hard-wraps only lines at least this long; shorter ones cannot have been wrapped.
_WRAP_MIN = 60
_MAX_KEY = 64
_UNTITLED = "(untitled)"
_PROMPT = re.compile(r"(?:PS )?[A-Za-z]:\\[^>]*>|PS>|[$#] ")
_ELISION = frozenset({"...", "…", "[...]", "[…]", "(...)", "(…)", "<...>", "<snip>", "[snip]", "(snip)", "snip"})


class Layout(NamedTuple):
    """The sections of one output, before typing.

    Attributes:
        sections: title as printed -> key as printed -> value as printed.
        other_lines: stripped lines that were neither structure nor key lines.
        legacy: True when any key line used the 1607 ``Key: value`` layout.
    """

    sections: dict[str, dict[str, str]]
    other_lines: list[str]
    legacy: bool


_RULE = "+" + "-" * 70 + "+"
_TITLES: dict[str, tuple[str, bool]] = {}


def _title_line(s: str) -> tuple[str, bool]:
    """``("Device State", known)`` for a ``| Device State |`` line; ``("", False)`` when it is no title."""
    title = s.strip("|").strip()
    if not title or "|" in title:
        return "", False
    title = " ".join(title.split())
    result = title, title_id(title)[0] is not None
    if len(_TITLES) < 512:
        _TITLES[s] = result
    return result


def _normalise(text: str) -> str:
    # Whole-text replacements run in C; each is skipped when its character is absent.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "*" in text:  # a one-character search is a memchr; "**" in text would scan ten times slower
        text = text.replace("**", "")
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\xa0" in text:
        text = text.replace("\xa0", " ")
    if "\x00" in text:
        text = text.replace("\x00", "")
    # The standard 72-column rule becomes an empty line in one C-level pass: line numbers stay, and the
    # 27 rules of a full output skip the per-line work (a blank line also ends a wrapped value, as a rule does).
    return text.replace(_RULE, "")


def _legacy_key(s: str) -> tuple[str, str] | None:
    """``Key: value`` / ``Key:`` of the 1607 layout (or a paste that lost the space before the colon)."""
    colon = s.find(":")
    if colon <= 0:
        return None
    rest = s[colon + 1 :]
    key = s[:colon].rstrip()
    if rest and rest[0] != " ":
        # "Key:value" only for keys we know; URLs and drive letters ("https://", "C:\") are not keys.
        if attribute_name(key) not in KNOWN_ATTRIBUTES:
            return None
    elif not key.isalnum() and attribute_name(key) not in KNOWN_ATTRIBUTES:
        return None
    return key, rest.strip()


def _bare_title(s: str) -> str | None:
    """A known section title printed without its box (``User State``, ``## User State``, ``[User State]``)."""
    candidate = s.lstrip("#").strip().strip("[]").strip()
    if len(candidate) > 40:
        return None
    attr, _ = title_id(" ".join(candidate.split()))
    return " ".join(candidate.split()) if attr is not None else None


def _is_status_line(s: str) -> bool:
    """Lines that are never a wrapped value: status messages, prompts, fences, the closing pointer."""
    return (
        s.endswith(("...", "…"))
        or s.startswith(("For more information", "```", "~~~"))
        or s in _ELISION
        or _PROMPT.match(s) is not None
    )


def _wraps(lines: list[str], last_key: str | None, last_index: int, index: int) -> bool:
    """True when line ``index`` directly follows a long modern key line, as a console-wrapped value does."""
    if last_key is None or index - last_index != 1:
        return False
    previous = lines[last_index]
    return " :" in previous and len(previous.rstrip()) >= _WRAP_MIN


def _double_spaced(lines: list[str]) -> bool:
    """True when no two non-blank lines are adjacent: a paste with a blank line after every line."""
    previous_blank = True
    for line in lines:
        blank = not line.strip()
        if not blank and not previous_blank:
            return False
        previous_blank = blank
    return True


def _unique(mapping: dict[str, str] | dict[str, dict[str, str]], key: str) -> str:
    # A repeated key (a second PRT diagnostics block) or title keeps its value under "Key #2", "Key #3", …
    n = 2
    while f"{key} #{n}" in mapping:
        n += 1
    return f"{key} #{n}"


def split_sections(text: str) -> Layout:
    """Split dsregcmd text into sections.

    Args:
        text: the whole output, or any part of it.

    Returns:
        The sections, the other lines and whether the legacy layout was seen.

    Raises:
        DsregParseError: the text contains no section title and no key that dsregcmd prints.
    """
    lines = _normalise(text).split("\n")
    sections: dict[str, dict[str, str]] = {}
    other: list[str] = []
    legacy = False
    known = False  # saw a title or key that dsregcmd prints
    current: dict[str, str] | None = None
    last_key: str | None = None  # key whose value a wrapped line would continue
    last_target: dict[str, str] = {}  # the section holding last_key when no title was seen yet
    last_index = -1
    double_spaced: bool | None = None

    for index, s in enumerate(map(str.strip, lines)):
        if not s:
            continue
        # Hot path: a well-formed "Key : Value" line inside a section.
        key, sep, value = s.partition(" :")
        if sep:
            if current is not None:
                key = key.rstrip()
                # The checks of _key_line, inlined; a stripped line's key is never empty.
                if key[0].isalnum() and len(key) <= 64 and ": " not in key:
                    if key in current:
                        key = _unique(current, key)
                    current[key] = value.lstrip()
                    last_key = key
                    last_index = index
                    continue
        else:
            first = s[0]
            if first == "+":
                if not s.strip("+-="):
                    last_key = None
                    continue
            elif first == "|":
                cached = _TITLES.get(s)
                if cached is None:
                    cached = _title_line(s)
                if cached[0]:
                    title, is_known = cached
                    known = known or is_known
                    if title in sections:
                        title = _unique(sections, title)
                    current = sections[title] = {}
                    last_key = None
                    continue
                if not s.strip("|").strip():
                    last_key = None  # an empty box line
                    continue

        # Everything else: markdown and quoting around key lines, the legacy layout, keys before any title.
        first = s[0]
        unwrapped = s
        if first == "-" or first == "=" or first == "*":
            if not s.strip("+-="):
                last_key = None  # a rule drawn without "+", or the tail of a truncated one
                continue
            if s[1:2] == " ":
                s = s[2:].lstrip()  # a markdown list item ("- Key : value")
        elif first == ">":
            s = s.lstrip("> ")  # a quoted paste ("> Key : value")
        elif first == "`":
            if s.startswith("```"):
                other.append(s)  # a markdown fence
                last_key = None
                continue
            s = s.strip("`").strip()  # inline code around a key line

        if s is not unwrapped and s[:1] in ("+", "|"):
            # Structure revealed by removing a quote or list prefix ("> | User State |").
            if not s.strip("+-="):
                last_key = None
                continue
            title, is_known = _title_line(s)
            if title:
                known = known or is_known
                if title in sections:
                    title = _unique(sections, title)
                current = sections[title] = {}
                last_key = None
                continue

        pair = _key_line(s)
        if pair is not None and pair[2] and _wraps(lines, last_key, last_index, index):
            # "Correlation ID: 0a1b…" right after a long "Key : value" line is the wrapped rest of that value,
            # not a 1607-layout key line: the two layouts do not mix within an output.
            pair = None
        if pair is not None:
            key, value, old_layout = pair
            legacy = legacy or old_layout
            target = _untitled_section(sections, key) if current is None else current
            if key in target:
                key = _unique(target, key)
            target[key] = value
            last_key = key
            last_target = target
            last_index = index
            continue
        if not s:
            continue

        # Not structure and not a key line: a wrapped value, or a line to keep aside.
        bare = _bare_title(s)
        if last_key is not None and bare is None and not _is_status_line(s):
            gap = index - last_index
            if gap == 2 and double_spaced is None:
                double_spaced = _double_spaced(lines)
            previous = lines[last_index]
            if (gap == 1 or (gap == 2 and double_spaced)) and len(previous.rstrip()) >= _WRAP_MIN:
                target = current if current is not None else last_target
                joiner = " " if previous.rstrip("\r\n")[-1:] == " " or lines[index][:1] == " " else ""
                target[last_key] = f"{target[last_key]}{joiner}{s}".strip()
                last_index = index
                continue
        if bare is not None:
            known = True
            if bare in sections:
                bare = _unique(sections, bare)
            current = sections[bare] = {}
            last_key = None
            continue
        other.append(s)
        last_key = None

    if not known:
        known = any(attribute_name(key) in KNOWN_ATTRIBUTES for section in sections.values() for key in section)
    if not known:
        _fail(lines)
    return Layout(sections, other, legacy)


def _key_line(s: str) -> tuple[str, str, bool] | None:
    """``(key, value, legacy)`` when ``s`` is a key line in either layout, else None."""
    key, sep, value = s.partition(" :")
    if sep:
        key = key.rstrip()
        if key and key[0].isalnum() and len(key) <= _MAX_KEY and ": " not in key:
            return key, value.strip(), False
    pair = _legacy_key(s)
    if pair is None:
        return None
    return pair[0], pair[1], True


def _untitled_section(sections: dict[str, dict[str, str]], key: str) -> dict[str, str]:
    """The section for a key line printed before any title: its key's section, else the previous one."""
    section_attr = ATTRIBUTE_SECTION.get(attribute_name(key))
    if section_attr is not None:
        title = SECTION_MODELS[section_attr][1]
    else:
        title = next(reversed(sections)) if sections else _UNTITLED
    return sections.setdefault(title, {})


def _fail(lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        s = line.strip()
        if s:
            shown = s if len(s) <= 60 else s[:57] + "..."
            raise DsregParseError(
                f"not dsregcmd /status output: no section title such as '| Device State |' and no key such as "
                f"'AzureAdJoined : YES' was found; the first line is {shown!r}",
                line_number=number,
            )
    raise DsregParseError("not dsregcmd /status output: the text is empty", line_number=None)
