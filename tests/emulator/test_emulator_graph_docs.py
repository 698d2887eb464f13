"""The coverage table in docs/emulator.md lists every emulated Graph route and permission family."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pinreset.emulator._graph import ROUTES
from pinreset.emulator._permissions import PERMISSIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


@pytest.mark.skipif(not DOC.exists(), reason="documentation not in this checkout")
def test_every_route_and_permission_is_documented() -> None:
    """Each route's operation name and each permission family appears in the coverage documentation."""
    text = DOC.read_text(encoding="utf-8")
    missing = [route.name for route in ROUTES if f"| {route.name} |" not in text]
    assert missing == []
    assert [family for family in PERMISSIONS if f"`{family}`" not in text] == []


def _coverage_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line.startswith("| "):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells
    return rows


@pytest.mark.skipif(not DOC.exists(), reason="documentation not in this checkout")
def test_coverage_rows_match_the_routes() -> None:
    """Each route's row names its method, a path its pattern matches, exactly its versions, and only permissions
    its family accepts."""
    rows = _coverage_rows(DOC.read_text(encoding="utf-8"))
    wrong = []
    for route in ROUTES:
        operation, method_path, versions, permissions = rows[route.name][:4]
        method, path = re.findall(r"`([^`]+)`", method_path)[0].split(" ", 1)
        sample = re.sub(r"\{[^}]+\}", "0b4f6c8e-1a2b-4c3d-8e9f-112233445566", path).lstrip("/")
        if method != route.method or not re.fullmatch(route.pattern, sample, re.IGNORECASE):
            wrong.append((operation, "method or path"))
        if {v.strip() for v in versions.split(",")} != set(route.versions):
            wrong.append((operation, "versions"))
        if not set(re.findall(r"`([^`]+)`", permissions)) <= set(PERMISSIONS[route.permission]):
            wrong.append((operation, "permissions"))
    assert wrong == []


def test_route_table_is_consistent() -> None:
    """Every route names a known permission family and throttling family, and no two routes collide."""
    from pinreset.emulator._throttle import DEFAULT_LIMITS

    assert all(route.permission in PERMISSIONS for route in ROUTES)
    assert all(route.family in DEFAULT_LIMITS for route in ROUTES)
    keys = [(route.method, route.pattern.lower(), tuple(sorted(route.versions))) for route in ROUTES]
    assert len(keys) == len(set(keys))
