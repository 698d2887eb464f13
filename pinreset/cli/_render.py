"""Shared rendering for the deploy commands: JSON-ready values, CSV rows, and small text tables."""

from __future__ import annotations

import csv
import enum
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import IO, Any

import attrs

from pinreset.reports._csvsafe import csv_safe

__all__ = ["OUTPUTS", "jsonable", "print_json", "write_csv", "write_table"]

OUTPUTS = ("table", "json", "csv")


def jsonable(value: Any) -> Any:
    """Turn results (attrs classes, enums, datetimes, mappings, tuples) into JSON-ready data.

    Fields declared ``repr=False`` (raw Graph bodies, secrets) are left out. Objects with a ``description``
    property (plan changes, conflicts) get it as a field, and a ``type`` naming their class.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        if hasattr(type(value), "description") and isinstance(type(value).description, property):
            out["type"] = type(value).__name__
            out["description"] = value.description
        for field in attrs.fields(type(value)):
            if field.repr is False:
                continue
            out[field.name] = jsonable(getattr(value, field.name))
        return out
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    return value


def print_json(data: Any, stream: IO[str] | None = None) -> None:
    """Write one JSON document (already JSON-ready or a result object)."""
    stream = stream or sys.stdout
    json.dump(jsonable(data), stream, indent=2, sort_keys=False)
    stream.write("\n")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: IO[str] | None = None) -> None:
    """Write rows as CSV with a header line; formula-like text cells get a leading ``'`` (tenant values)."""
    writer = csv.writer(stream or sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else csv_safe(jsonable(v)) for v in row])


def write_table(header: Sequence[str], rows: Iterable[Sequence[Any]], stream: IO[str] | None = None) -> None:
    """Write rows as an aligned text table."""
    stream = stream or sys.stdout
    text_rows = [[str(h) for h in header], *[["" if v is None else str(jsonable(v)) for v in r] for r in rows]]
    widths = [max(len(r[i]) for r in text_rows) for i in range(len(header))]
    for n, row in enumerate(text_rows):
        stream.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
