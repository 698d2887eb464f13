"""OData query helpers: string literal quoting and filter building (pure).

Every value that reaches a ``$filter`` goes through :func:`odata_quote`: Graph reads a string literal between
single quotes and an embedded quote doubled (``'O''Brien'``), so a hostile name such as ``x' or 1 eq 1`` stays
one literal instead of becoming part of the expression.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["odata_any_eq", "odata_eq", "odata_quote"]


def odata_quote(value: str) -> str:
    """Quote ``value`` as an OData string literal.

    Args:
        value: any string.

    Returns:
        ``value`` in single quotes with each ``'`` doubled, e.g. ``odata_quote("O'Brien") == "'O''Brien'"``.

    Raises:
        TypeError: when ``value`` is not a string (numbers and GUIDs are passed as strings on purpose).
    """
    if not isinstance(value, str):
        raise TypeError(f"odata_quote takes a str, not {type(value).__name__}")
    return "'" + value.replace("'", "''") + "'"


def odata_eq(prop: str, value: str) -> str:
    """``prop eq '<value>'`` with the value quoted."""
    return f"{prop} eq {odata_quote(value)}"


def odata_any_eq(prop: str, values: Iterable[str]) -> str:
    """``(prop eq 'a' or prop eq 'b' …)``; the caller keeps the list short (Graph caps filter clauses).

    Raises:
        ValueError: when ``values`` is empty (an empty disjunction would silently match nothing).
    """
    clauses = [odata_eq(prop, v) for v in values]
    if not clauses:
        raise ValueError("odata_any_eq needs at least one value")
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"
