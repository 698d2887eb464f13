"""Layering rules that keep the emulator an independent peer of the client."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pinreset"
# The client side: what the emulator must never import, so a mistake cannot be mirrored on both sides.
CLIENT_SIDE = (
    "pinreset.backends",
    "pinreset._converter",
    "pinreset.models",
    "pinreset.graph",
    "pinreset.auth",
    "pinreset.deploy",
    "pinreset.dsreg",
    "pinreset.remote",
    "pinreset.reports",
    "pinreset.policy_body",
)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "pinreset":
                names.extend(f"pinreset.{alias.name}" for alias in node.names)
    return names


def test_emulator_imports_nothing_from_the_client_side() -> None:
    """No module under pinreset/emulator imports a client-side module (directly or via `from pinreset import`)."""
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / "emulator").rglob("*.py"))
        for name in _imports(path)
        if name.startswith(CLIENT_SIDE)
    ]
    assert offenders == []
    assert any((PACKAGE / "emulator").rglob("*.py"))
