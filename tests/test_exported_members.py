"""The public API: complete, sorted, cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pinreset


def test_all_is_sorted_and_resolvable() -> None:
    """Every name in __all__ resolves and the list is sorted."""
    exported = [n for n in pinreset.__all__ if n != "__version__"]
    assert exported == sorted(exported)
    for name in pinreset.__all__:
        assert getattr(pinreset, name) is not None


def test_errors_share_one_root() -> None:
    """Every exported exception derives from PinresetError."""
    for name in pinreset.__all__:
        obj = getattr(pinreset, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, pinreset.PinresetError), name


def test_import_does_not_pull_heavy_dependencies() -> None:
    """`import pinreset` leaves httpx, msal and pypsrp unimported."""
    code = (
        "import sys, pinreset; "
        "heavy = [m for m in ('httpx', 'msal', 'pypsrp', 'requests', 'cattrs') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == ""


def test_lazy_names_are_exported() -> None:
    """Every lazily resolved name is listed in __all__."""
    lazy = pinreset._LAZY  # type: ignore[attr-defined]
    assert set(lazy) <= set(pinreset.__all__)


def test_type_checking_block_matches_the_lazy_table() -> None:
    """mypy users see every lazy name, imported from the very module the lazy loader uses."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(pinreset.__file__).read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                assert stmt.module is not None
                typed.update({alias.asname or alias.name: stmt.module for alias in stmt.names})
    assert typed == pinreset._LAZY  # type: ignore[attr-defined]


def test_import_is_lazy_and_dir_lists_the_api() -> None:
    """`import pinreset` loads only the version and the exceptions; dir() shows exactly __all__."""
    code = (
        "import sys, pinreset; "
        "print(','.join(sorted(m for m in sys.modules if m.startswith('pinreset')))); "
        "print(dir(pinreset) == pinreset.__all__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["pinreset,pinreset._version,pinreset.exceptions", "True"]


def test_readiness_names_are_unambiguous() -> None:
    """pinreset.Readiness is assess()'s result; the fleet check's enum lives only in pinreset.remote."""
    import pinreset.dsreg
    import pinreset.remote

    assert pinreset.Readiness is pinreset.dsreg.Readiness
    assert isinstance(pinreset.assess(pinreset.parse_dsregcmd("AzureAdJoined : YES")), pinreset.Readiness)
    assert pinreset.remote.Readiness is not pinreset.Readiness
    assert "pinreset.remote.Readiness" in (pinreset.Readiness.__doc__ or "")
