"""Spreadsheet-safe CSV cells: the one place that guards CSV exports against formula injection.

Exports are opened in Excel and other spreadsheets, and their values come from the tenant and from devices
(policy, device and user names, error texts), so any of them may be hostile. A spreadsheet evaluates a cell that
starts with ``=``, ``+``, ``-`` or ``@`` (and, after trimming, one that starts with a tab or carriage return) as a
formula. Following OWASP's advice, such text cells get a leading single quote, which makes the spreadsheet show
the text as typed. Nothing else changes: numbers stay numbers, so ``-3`` is still a number.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_TRIGGERS", "csv_safe"]

#: First characters that make a spreadsheet treat a text cell as a formula.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """One CSV cell, neutralised against formula injection.

    Args:
        value: the cell as it would be written.

    Returns:
        ``value`` with a leading ``'`` when it is text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
        carriage return; any other value (numbers, other text, ``None``) unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
