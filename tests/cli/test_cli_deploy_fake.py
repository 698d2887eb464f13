"""The deploy commands' behaviour (confirmation, output forms, exit codes) over the in-memory fake backend.

End-to-end runs against the emulator server live in test_cli_apply.py; these pin down the command logic fast.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pinreset.cli import main
from pinreset.cli._tenant_opts import BACKENDS
from pinreset.models import AllUsersTarget
from tests.deploy.fakes import FakeTenantBackend, foreign_policy


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTenantBackend:
    """Route --backend graph to one shared fake tenant."""
    backend = FakeTenantBackend()
    monkeypatch.setitem(BACKENDS, "graph", lambda _args: backend)
    return backend


def _no_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def test_plan_json_lists_changes_then_none(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """plan --output json has a changes list, empty after apply --yes."""
    assert main(["plan", "--output", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [c["type"] for c in first["changes"]] == [
        "CreateServicePrincipal", "CreateServicePrincipal", "CreatePolicy", "AssignPolicy",
    ]
    assert main(["apply", "--assign-to", "all-users", "--yes", "--output", "json"]) == 0
    applied = json.loads(capsys.readouterr().out)
    assert applied["complete"] is True
    assert main(["plan", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []


def test_apply_without_tty_or_yes_refuses(
    fake: FakeTenantBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a terminal and without --yes, apply changes nothing and exits 2."""
    _no_tty(monkeypatch)
    assert main(["apply"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert fake.writes == []


def test_apply_failure_shows_partial_result(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """A failing change exits 3 after printing what was done and what was not."""
    from tests.deploy.fakes import denied

    fake.fail["create_policy"] = denied("create policies")
    assert main(["apply", "--yes"]) == 3
    captured = capsys.readouterr()
    assert "[applied]" in captured.out
    assert "[failed]" in captured.out
    assert "[not_run]" in captured.out
    assert "Traceback" not in captured.err
    assert "run apply again to resume" in captured.err


def test_status_check_exit_codes(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """status --check exits 1 before apply, 0 after, 1 again with a conflicting policy."""
    assert main(["status", "--check"]) == 1
    main(["apply", "--yes"])
    assert main(["status", "--check", "--output", "json"]) == 0
    capsys.readouterr()
    fake.add_policy(foreign_policy("Old WHfB", pin_recovery=False, assignments=(AllUsersTarget(),)))
    assert main(["status", "--check", "--output", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ready"] is False
    assert report["conflicts"][0]["policy_name"] == "Old WHfB"


def test_bad_group_option_is_one_clear_line(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed --assign-to (usage, 2) and an unknown group (tenant, 3) both end in one error line."""
    assert main(["plan", "--assign-to", "Pilot"]) == 2
    assert "expected group:NAME" in capsys.readouterr().err
    assert main(["plan", "--assign-to", "group:Nope"]) == 3
    err = capsys.readouterr().err
    assert "'Nope'" in err
    assert "Traceback" not in err


def test_sync_csv_has_one_row_per_device(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """sync --output csv prints a header and one row per device; --restart adds one restart row each."""
    fake.add_devices(3)
    assert main(["sync", "--assign-to", "all-users", "--output", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "device_id,device_name,action,outcome,error"
    assert len(lines) == 4
    assert main(["sync", "--restart", "--assign-to", "all-users", "--output", "csv"]) == 0
    assert sum("rebootNow" in line for line in capsys.readouterr().out.splitlines()) == 3


def test_sync_restart_follows_the_deployed_pilot_assignment(
    fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a pilot roll-out, plain `sync --restart` restarts the pilot's devices only; with no policy it refuses."""
    devices = fake.add_devices(3)
    assert main(["sync", "--restart"]) == 3
    assert "no pinreset policy" in capsys.readouterr().err
    assert fake.writes == []
    fake.add_group("Pilot", members=[devices[0].user_id or ""])
    assert main(["apply", "--assign-to", "group:Pilot", "--yes"]) == 0
    capsys.readouterr()
    assert main(["sync", "--restart", "--output", "json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    pairs = [(r["device_id"], r["action"]) for r in results]
    assert pairs == [(devices[0].id, "syncDevice"), (devices[0].id, "rebootNow")]


def test_sync_unknown_device_exits_1(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """A device name that matches nothing is reported and makes the exit code 1."""
    fake.add_devices(1)
    assert main(["sync", "--device", "GHOST"]) == 1
    assert "GHOST" in capsys.readouterr().out


def test_remove_dry_run_and_yes(fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]) -> None:
    """remove --dry-run deletes nothing; remove --yes deletes the marked policy only."""
    fake.add_policy(foreign_policy("Hand made", pin_recovery=True))
    main(["apply", "--yes"])
    capsys.readouterr()
    assert main(["remove", "--dry-run", "--output", "json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert [p["status"] for p in dry["policies"]] == ["would delete"]
    assert len(fake.policies) == 2
    assert main(["remove", "--yes"]) == 0
    assert [p.name for p in fake.policies.values()] == ["Hand made"]


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--assign-to", "all-users", "--assign-to", "group:Pilot"],
        ["plan", "--exclude", "Kiosks"],
        ["plan", "--assign-to", "group:Pilot", "--exclude", "group:Pilot"],
        ["apply", "--yes", "--web-sign-in-url", "not a domain"],
        ["status", "--chart", "x.png", "--no-devices"],
        ["sync", "--group", "Pilot", "--device", "pc-01"],
    ],
)
def test_malformed_options_exit_2_as_documented(
    fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Bad or contradictory option values are usage errors (exit 2, one line), and nothing is written."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pinreset {argv[0]}: error: ")
    assert err.count("\n") == 1
    assert fake.policies == {}


def test_powershell_backend_needs_an_admin_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--backend powershell without an admin host is refused with a clear message."""
    monkeypatch.delenv("PINRESET_PS_HOST", raising=False)
    assert main(["status", "--backend", "powershell"]) == 3
    assert "--ps-host" in capsys.readouterr().err


def test_secret_env_var_must_exist(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """--client-secret-env naming an unset variable is a clear configuration error."""
    monkeypatch.delenv("NO_SUCH_SECRET_VAR", raising=False)
    code = main(["status", "--tenant-id", "t", "--client-id", "c", "--client-secret-env", "NO_SUCH_SECRET_VAR"])
    assert code == 3
    assert "NO_SUCH_SECRET_VAR" in capsys.readouterr().err


def test_consent_urls_json() -> None:
    """consent-urls --output json names both apps with their URLs."""
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        assert main(["consent-urls", "--output", "json"]) == 0
    data = json.loads(out.getvalue())
    assert set(data) == {"service", "client"}
    assert data["client"]["url"].startswith("https://login.windows.net/common/oauth2/authorize?")


def test_sync_retry_failed_reruns_only_failures(
    fake: FakeTenantBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--retry-failed reads an earlier JSON result and syncs just the devices that did not succeed."""
    devices = fake.add_devices(3)
    fake.drop_results_for = {devices[2].id}
    assert main(["sync", "--assign-to", "all-users", "--output", "json"]) == 1
    previous = tmp_path / "sync.json"
    previous.write_text(capsys.readouterr().out, encoding="utf-8")
    fake.drop_results_for = set()
    fake.writes.clear()
    assert main(["sync", "--retry-failed", str(previous), "--output", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["device_id"] for r in again["results"]] == [devices[2].id]
    assert fake.writes == ["syncDevice"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["sync", "--retry-failed", str(bad)]) == 3
    assert "not the JSON output" in capsys.readouterr().err


class _Terminal(io.StringIO):
    """A stdin that claims to be a terminal, with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "applied"), [("y\n", 0, True), ("n\n", 1, False)])
def test_apply_asks_on_a_terminal(
    fake: FakeTenantBackend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    code: int,
    applied: bool,
) -> None:
    """On a terminal apply shows the plan on stderr and applies only after a yes."""
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    assert main(["apply"]) == code
    err = capsys.readouterr().err
    assert "Apply 4 change(s)? [y/N]" in err
    assert "Create the service principal of Microsoft Pin Reset Service Production" in err
    assert bool(fake.policies) is applied


def test_contradictory_credential_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Two credential kinds at once are refused as a usage error before any sign-in is tried."""
    argv = ["status", "--tenant-id", "t", "--client-id", "c", "--certificate", "c.pem", "--device-code"]
    assert main(argv) == 2
    assert "choose one of" in capsys.readouterr().err


class _InterruptedTerminal(io.StringIO):
    """A terminal whose user presses Ctrl+C at the prompt."""

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        raise KeyboardInterrupt


def test_ctrl_c_at_the_prompt_exits_130_and_changes_nothing(
    fake: FakeTenantBackend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl+C while apply asks ends with exit 130 and one line, and nothing is written to the tenant."""
    monkeypatch.setattr("sys.stdin", _InterruptedTerminal())
    assert main(["apply"]) == 130
    err = capsys.readouterr().err
    assert err.endswith("pinreset: interrupted\n")
    assert "Traceback" not in err
    assert fake.policies == {}
    assert fake.sps == {}


def test_plan_and_apply_csv_use_the_documented_record_columns(
    fake: FakeTenantBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """plan/apply --output csv write the columns of Plan/ApplyResult.to_records; plan's warnings go to stderr."""
    from pinreset.reports import CHANGE_COLUMNS, OUTCOME_COLUMNS

    assert main(["plan", "--output", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CHANGE_COLUMNS
    assert [(r["step"], r["type"]) for r in rows] == [
        ("1", "CreateServicePrincipal"), ("2", "CreateServicePrincipal"), ("3", "CreatePolicy"), ("4", "AssignPolicy"),
    ]
    assert "consent" in err
    assert main(["apply", "--yes", "--output", "csv"]) == 0
    applied = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert tuple(applied[0]) == OUTCOME_COLUMNS
    assert {r["status"] for r in applied} == {"applied"}
    assert len(applied) == 4
