"""``--backend powershell`` on the command line: the demo and the tenant commands."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pinreset.cli import main
from pinreset.emulator import Emulator


def _summary_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Summary: "))


def test_demo_ends_with_the_same_summary_on_both_backends(capsys: pytest.CaptureFixture[str]) -> None:
    """`pinreset demo --backend powershell --seed S` ends with the summary of `--backend graph --seed S`."""
    assert main(["demo", "--backend", "graph", "--seed", "4", "--devices", "8"]) == 0
    graph = capsys.readouterr().out
    assert main(["demo", "--backend", "powershell", "--seed", "4", "--devices", "8"]) == 0
    powershell = capsys.readouterr().out
    assert "Microsoft Graph PowerShell on admin host" in powershell
    assert _summary_line(powershell) == _summary_line(graph)
    assert "tenant_ready True" in _summary_line(powershell)


def test_demo_json_steps_match(capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON demo reports the same steps' outcomes and readiness rows through either backend."""
    docs = []
    for backend in ("graph", "powershell"):
        assert main(["demo", "--backend", backend, "--seed", "9", "--devices", "6", "--output", "json"]) == 0
        docs.append(json.loads(capsys.readouterr().out))
    graph, powershell = docs
    assert powershell["summary"] == graph["summary"]
    assert powershell["steps"]["readiness"] == graph["steps"]["readiness"]
    assert powershell["steps"]["sync"] == graph["steps"]["sync"]
    assert powershell["steps"]["apply"]["changes"] == graph["steps"]["apply"]["changes"]


@pytest.fixture
def admin_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator with an admin host, its variables in the environment (NO_PROXY for loopback)."""
    with Emulator(devices=6, seed=6, admin_host=True) as emu:
        for key, value in emu.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("NO_PROXY", "127.0.0.0/8,localhost")
        yield emu


def test_tenant_commands_run_through_the_admin_host(admin_env: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    """status, plan, apply, sync and remove work with --backend powershell --ps-host HOST."""
    admin = admin_env.admin_host
    assert admin is not None
    host = ["--backend", "powershell", "--ps-host", f"{admin.address}:{admin.https_port}"]
    assert main(["status", *host, "--no-devices"]) == 0
    assert "NOT READY" in capsys.readouterr().out
    cert = ["--ps-sign-in", "certificate", "--ps-thumbprint", admin.certificate_thumbprint,
            "--client-id", admin.certificate_client_id]
    assert main(["apply", *host, *cert, "--yes"]) == 0
    capsys.readouterr()
    assert main(["sync", *host, "--output", "json"]) == 0
    synced = json.loads(capsys.readouterr().out)
    assert synced["results"]
    assert {r["outcome"] for r in synced["results"]} == {"succeeded"}
    assert main(["status", *host, "--check"]) == 0
    assert main(["remove", *host, "--yes"]) == 0
    connects = [args for name, args in admin.host.calls if name == "Connect-MgGraph"]
    assert any("CertificateThumbprint" in c for c in connects)
    assert any("ClientSecretCredential" in c for c in connects)

