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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_names_are_exported() -> None:
    """Every lazily resolved name is listed in __all__."""
    lazy = pinreset._LAZY  # type: ignore[attr-defined]
    assert set(lazy) <= set(pinreset.__all__)
