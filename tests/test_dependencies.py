"""Every third-party module the package imports is declared: the README's first command installs no extras."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the check itself needs one interpreter only

ROOT = Path(__file__).resolve().parents[1]
# Import name -> distribution name where they differ.
DISTRIBUTION = {"jwt": "pyjwt", "spnego": "pyspnego"}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].strip().lower() for r in requirements}


def _third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / "pinreset").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "pinreset" and top not in sys.stdlib_module_names:
                    found.setdefault(DISTRIBUTION.get(top, top).lower(), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_is_a_declared_dependency() -> None:
    """Runtime imports are runtime dependencies; pandas, matplotlib and tqdm come from the notebook extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _requirement_names(project["dependencies"])
    notebook = _requirement_names(project["optional-dependencies"]["notebook"])
    undeclared = {
        name: sorted(paths) for name, paths in _third_party_imports().items() if name not in runtime | notebook
    }
    assert undeclared == {}
    assert {"pandas", "matplotlib", "tqdm"} <= notebook
