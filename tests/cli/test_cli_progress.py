"""Progress on stderr: silent off a terminal, a counter without tqdm, tqdm when installed."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from pinreset.cli._progress import Progress
from pinreset.deploy import DesiredState, status
from tests.deploy.fakes import FakeTenantBackend


def test_silent_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Off a terminal nothing is drawn."""
    with Progress("devices", enabled=False) as progress:
        progress(5, 10)
    assert capsys.readouterr().err == ""


def test_counter_without_tqdm(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Without tqdm a counter is rewritten in place, with or without a known total, and the line is ended."""
    real_import = builtins.__import__

    def no_tqdm(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "tqdm":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with Progress("devices", enabled=True) as progress:
        progress(3, 10)
        progress(10, 10)
    with Progress("records", enabled=True) as unknown:
        unknown(250, 0)
    err = capsys.readouterr().err
    assert "\rdevices: 3/10" in err
    assert "\rdevices: 10/10\n" in err
    assert "\rrecords: 250\n" in err


def test_tqdm_bar_and_status_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """With tqdm a bar is drawn on stderr; status reports its device pass through the callback."""
    pytest.importorskip("tqdm")
    backend = FakeTenantBackend()
    backend.add_devices(600)
    seen: list[tuple[int, int]] = []
    status(backend, DesiredState(), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(250, 0), (500, 0)]
    with Progress("devices", enabled=True) as progress:
        for done in range(1, 4):
            progress(done, 3)
    assert "devices" in capsys.readouterr().err
