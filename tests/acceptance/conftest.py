"""A running ``pinreset emulator serve`` subprocess, read as its users read it: one JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


@contextmanager
def _served(*options: str, unrelated_ca: Path) -> Iterator[dict[str, Any]]:
    # The CA variables point at an unrelated file, as on many corporate machines: clients must choose the
    # emulator's CA deliberately for the test to pass.
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(unrelated_ca), "CURL_CA_BUNDLE": str(unrelated_ca)}
    with subprocess.Popen(
        [sys.executable, "-m", "pinreset", "emulator", "serve", *options],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, "serve printed no ready line"
            yield json.loads(line)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()  # fail, but leave no server running behind the next test
                process.wait()
                raise
    assert process.returncode == 0


@pytest.fixture
def serve(tmp_path: Path) -> Callable[..., Any]:
    """Start ``pinreset emulator serve OPTIONS…`` and yield its ready line (a context manager)."""
    unrelated = tmp_path / "unrelated-ca.pem"
    unrelated.write_text("not a certificate\n", encoding="utf-8")

    def start(*options: str) -> Any:
        return _served(*options, unrelated_ca=unrelated)

    return start
