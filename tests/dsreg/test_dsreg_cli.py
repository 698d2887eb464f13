"""`pinreset dsregcmd` as scripts use it: exit codes, JSON shape, one-line errors."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "dsregcmd"
EXAMPLE = ROOT / "examples" / "data" / "dsregcmd-entra-joined.txt"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pinreset", "dsregcmd", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_example_output_is_ready() -> None:
    """The README's example prints its sections and a ready verdict, exit 0."""
    result = _run(str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "Device State" in result.stdout
    assert "CanReset:   DestructiveAndNonDestructive" in result.stdout
    assert "Verdict:    ready" in result.stdout
    assert result.stderr == ""


def test_not_ready_exits_one_and_json_has_the_documented_shape() -> None:
    """DestructiveOnly exits 1; --format json gives status and readiness objects."""
    result = _run(str(DATA / "win11-hybrid-destructive-only.txt"), "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["status", "readiness"]
    assert document["readiness"]["verdict"] == "destructive_only"
    assert document["readiness"]["reasons"][0].startswith("CanReset is DestructiveOnly")
    assert document["status"]["user_state"]["can_reset"] == "DestructiveOnly"
    assert document["status"]["join_type"] == "hybrid_joined"
    assert "User State" in document["status"]["sections"]


def test_standard_input_in_utf16_is_read() -> None:
    """`dsregcmd /status | pinreset dsregcmd -` with a UTF-16LE capture works."""
    data = codecs.BOM_UTF16_LE + EXAMPLE.read_text(encoding="utf-8").encode("utf-16-le")
    result = subprocess.run(
        [sys.executable, "-m", "pinreset", "dsregcmd", "-", "--format", "json"],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["readiness"]["verdict"] == "ready"


def test_missing_file_is_one_line_exit_three(tmp_path: Path) -> None:
    """A missing file gives exit 3 and one line on stderr, no traceback."""
    result = _run(str(tmp_path / "nope.txt"))
    assert result.returncode == 3
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot read" in lines[0]
    assert "nope.txt" in lines[0]
    assert "Traceback" not in result.stderr


def test_unparseable_input_is_one_line_exit_three(tmp_path: Path) -> None:
    """Text that is not dsregcmd output gives exit 3 and says why and where."""
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n- milk\n", encoding="utf-8")
    result = _run(str(path))
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not dsregcmd /status output" in lines[0]
    assert "(line 1)" in lines[0]


@pytest.mark.parametrize("args", [("--format", "xml"), ("a", "b"), ("--bogus",)])
def test_usage_errors_exit_two(args: tuple[str, ...]) -> None:
    """Bad arguments exit 2 (argparse)."""
    assert _run(*args).returncode == 2


@pytest.mark.parametrize("close", ["import os; os.close(0)", "import sys; sys.stdin = None"])
def test_closed_standard_input_is_one_line_exit_three(close: str) -> None:
    """With standard input closed or absent, reading '-' is one line and exit 3, not a traceback."""
    code = f"{close}; from pinreset.cli import main; raise SystemExit(main(['dsregcmd']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, encoding="utf-8", cwd=ROOT, timeout=60, check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "standard input" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
