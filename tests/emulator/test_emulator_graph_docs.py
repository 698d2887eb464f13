"""The coverage table in docs/emulator.md lists every emulated Graph route and permission family."""

from __future__ import annotations

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


def test_route_table_is_consistent() -> None:
    """Every route names a known permission family and throttling family, and no two routes collide."""
    from pinreset.emulator._throttle import DEFAULT_LIMITS

    assert all(route.permission in PERMISSIONS for route in ROUTES)
    assert all(route.family in DEFAULT_LIMITS for route in ROUTES)
    keys = [(route.method, route.pattern.lower(), tuple(sorted(route.versions))) for route in ROUTES]
    assert len(keys) == len(set(keys))
