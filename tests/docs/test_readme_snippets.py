"""The README's runnable snippets stay true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _block_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no python block after {heading!r}"
    return match.group(1)


def test_emulator_snippet_runs_against_the_emulator(tmp_path: Path) -> None:
    """The 'test your own automation' snippet signs in with msal and pages devices with httpx."""
    script = tmp_path / "snippet.py"
    script.write_text(_block_after("## Test your own automation against the emulator"), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "10 devices; next page: True"
