"""``pinreset verify`` against the emulator's WinRM hosts: output formats, exit codes, secrets from the env."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pinreset.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def winrm_env(lab: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The WinRM variables `pinreset emulator serve` would print."""
    for name, value in lab.hosts.env().items():
        monkeypatch.setenv(name, value)


def test_json_output_and_not_ready_exit_code(lab: Any, winrm_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    """One record per host in JSON; a host that is not ready makes the exit code 1."""
    ready_spec, ready = lab.take()
    lab.make_ready(ready)
    other_spec, _ = lab.take()
    code = main(["verify", str(ready_spec), str(other_spec), "--auth", "ntlm", "--no-proxy", "--output", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    by_host = {h["host"]: h for h in data["hosts"]}
    assert by_host[str(ready_spec)]["readiness"] == "ready"
    assert by_host[str(ready_spec)]["user_can_reset"] == "DestructiveAndNonDestructive"
    assert by_host[str(other_spec)]["user_can_reset"] == "DestructiveOnly"
    assert data["summary"]["hosts"] == 2


def test_all_ready_exits_zero_with_a_labelled_table(
    lab: Any, winrm_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every host ok and ready -> exit 0; the table says CanReset is the signed-in user's own."""
    spec, host = lab.take()
    lab.make_ready(host)
    hosts_file = tmp_path / "hosts.txt"
    hosts_file.write_text(f"# lab\n{spec}\n", encoding="utf-8")
    code = main(["verify", "--hosts-file", str(hosts_file), "--auth", "ntlm", "--no-proxy"])
    out = capsys.readouterr().out
    assert code == 0
    assert "USER CanReset" in out
    assert "signed-in user's own" in out
    assert str(spec) in out


def test_csv_output_from_a_csv_host_list(
    lab: Any, winrm_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV host list in, CSV records out, failures included with their outcome."""
    spec, host = lab.take()
    host.misbehave("refuse")
    hosts_csv = tmp_path / "hosts.csv"
    hosts_csv.write_text(f"device_name,address,port\n{host.device_name},{spec.host},{spec.port}\n", encoding="utf-8")
    code = main(["verify", "--hosts-csv", str(hosts_csv), "--auth", "ntlm", "--no-proxy", "--output", "csv"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].startswith("host,outcome,readiness,error")
    assert lines[1].startswith(f"{spec},unreachable,unknown,")


def test_usage_errors_exit_two(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No hosts, a hostile host or --group without --from-intune are usage errors."""
    for argv in (["verify"], ["verify", "pc-01;calc"], ["verify", "pc-01", "--group", "G"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "pc-01;calc" in capsys.readouterr().err


def test_missing_password_without_terminal_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a user name but no PINRESET_WINRM_PASSWORD and no terminal, verify stops with exit 3."""
    monkeypatch.delenv("PINRESET_WINRM_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code = main(["verify", "pc-01", "--username", "admin", "--auth", "ntlm"])
    assert code == 3
    assert "PINRESET_WINRM_PASSWORD" in capsys.readouterr().err


def test_basic_over_http_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Basic credentials over plain HTTP are refused before any connection (exit 3)."""
    monkeypatch.setenv("PINRESET_WINRM_PASSWORD", "S3cr3t-pw!")
    code = main(["verify", "pc-01", "--username", "admin", "--auth", "basic", "--transport", "http"])
    assert code == 3
    err = capsys.readouterr().err
    assert "clear" in err
    assert "S3cr3t" not in err


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1"])
def test_unusable_deadline_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--deadline nan/inf/0/-1 exits 2 before any host is contacted, instead of failing every host."""
    monkeypatch.setenv("PINRESET_WINRM_PASSWORD", "pw")
    with pytest.raises(SystemExit) as exc:
        main(["verify", "127.0.0.1:1", "--username", "admin", "--auth", "ntlm", "--deadline", value])
    assert exc.value.code == 2
    assert "--deadline" in capsys.readouterr().err
