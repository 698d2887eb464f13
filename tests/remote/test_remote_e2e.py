"""check_device end to end through the emulator's WinRM listener: every outcome, scopes, injection, clean-up."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.remote import Outcome, PolicySource, Readiness, WinRMConnection, check_device, check_fleet
from pinreset.remote._interactive import OUTPUT_DIR

pytestmark = pytest.mark.slow


def _no_leftovers(host: Any) -> None:
    assert host.tasks == {}
    assert not [path for path in host.files if path.startswith(OUTPUT_DIR.lower())]


def test_ok_reads_the_signed_in_users_own_state_labelled_as_such(lab: Any) -> None:
    """The user's CanReset comes from the task in their session; the admin's own view is kept apart."""
    spec, host = lab.take()
    lab.make_ready(host)
    result = check_device(spec, connection=lab.connection(), deadline=20)
    assert result.outcome is Outcome.OK, result.error
    assert result.readiness is Readiness.READY, (result.users, host.facts())
    user = result.users[0]
    assert user.sid == host.user().sid
    assert user.can_reset == "DestructiveAndNonDestructive"
    assert user.ngc_set is True
    assert user.recovery_key_event is not None
    assert user.recovery_key_event.event_id == 8060
    assert result.connecting_account.dsreg is not None
    assert result.connecting_account.dsreg.can_reset != user.can_reset
    assert result.device is not None
    assert result.device.policy.enabled is True
    assert result.device.policy.source is PolicySource.MDM_DEVICE
    assert result.device.os_build is not None
    record = result.to_record()
    assert record["user_scope"] == "signed_in_user"
    assert record["user_can_reset"] == "DestructiveAndNonDestructive"
    assert record["user_verdict"] == "ready"
    assert result.connecting_account.dsreg.verdict != "ready"
    registered = [args for name, args in host.calls if name == "Register-ScheduledTask"]
    assert len(registered) == 1
    assert f"<UserId>{user.sid}</UserId>" in registered[0]["Xml"]
    assert "<RunLevel>LeastPrivilege</RunLevel>" in registered[0]["Xml"]
    _no_leftovers(host)


def test_group_policy_shadows_intune(lab: Any) -> None:
    """A GPO EnablePinRecovery=0 wins over the MDM value: not ready, and MDM does not win."""
    spec, host = lab.take()
    lab.make_ready(host)
    host.gpo["EnablePinRecovery"] = 0
    result = check_device(spec, connection=lab.connection(), deadline=20)
    assert result.outcome is Outcome.OK
    assert result.device is not None
    policy = result.device.policy
    assert (policy.enabled, policy.source, policy.mdm_wins, policy.conflict) == (False, PolicySource.GPO, False, True)
    assert result.readiness is Readiness.NOT_READY


def test_http_with_ntlm_message_encryption(lab: Any) -> None:
    """Plain HTTP works with NTLM sealing; the device is not ready before the policy arrives."""
    _, host = lab.take()
    connection = lab.connection(transport="http")
    result = check_device(lab.http_spec(host), connection=connection, deadline=20)
    assert result.outcome is Outcome.OK, result.error
    assert result.users[0].can_reset == "DestructiveOnly"
    assert result.readiness is Readiness.NOT_READY


def test_refused_connection_is_unreachable(lab: Any) -> None:
    """Nothing listening -> unreachable, with the error text kept."""
    spec, host = lab.take()
    host.misbehave("refuse")
    result = check_device(spec, connection=lab.connection(), deadline=5)
    assert result.outcome is Outcome.UNREACHABLE
    assert "refused" in (result.error or "").lower()


def test_untrusted_certificate_is_unreachable(lab: Any, tmp_path: Any) -> None:
    """Certificate validation is on: a CA bundle that does not sign the host fails the TLS handshake."""
    spec, _ = lab.take()
    from pinreset.emulator._tls import TlsMaterial

    other = TlsMaterial.generate(extra_names=["127.0.0.1"])
    try:
        result = check_device(spec, connection=lab.connection(ca_bundle=str(other.ca_path)), deadline=5)
    finally:
        other.cleanup()
    assert result.outcome is Outcome.UNREACHABLE
    assert "TLS" in (result.error or "")


@pytest.mark.parametrize("how", ["wrong_password", "reject_credentials"])
def test_refused_credentials_are_auth_failed(lab: Any, how: str) -> None:
    """A wrong password or a host refusing everyone -> auth_failed; the password never shows in the text."""
    spec, host = lab.take()
    connection = lab.connection()
    if how == "wrong_password":
        connection = lab.connection(password="not-the-password")
    else:
        host.misbehave("reject_credentials")
    result = check_device(spec, connection=connection, deadline=5)
    assert result.outcome is Outcome.AUTH_FAILED
    assert lab.hosts.password not in (result.error or "")
    assert "not-the-password" not in (result.error or "")


def test_hanging_host_times_out_at_its_deadline(lab: Any) -> None:
    """A host that accepts but never answers ends in timeout at its deadline, not after the HTTP read timeout."""
    spec, host = lab.take()
    host.misbehave("hang")
    # Timeouts far beyond the deadline: only the deadline can end the wait in time. The margin is for a loaded
    # machine and stays well below what the read timeout (or pypsrp's Receive retries) would take.
    connection = lab.connection(connection_timeout=30.0, operation_timeout=30, read_timeout=40.0)
    started = time.monotonic()
    result = check_device(spec, connection=connection, deadline=1.0)
    took = time.monotonic() - started
    assert result.outcome is Outcome.TIMEOUT
    assert took < 1.0 + 10


@pytest.mark.parametrize("mode", ["garbage", "truncate"])
def test_garbage_or_truncated_dsregcmd_is_unparseable(lab: Any, mode: str) -> None:
    """dsregcmd text that is not dsregcmd output, or is cut short, -> unparseable with the reason."""
    spec, host = lab.take()
    host.misbehave(mode)
    result = check_device(spec, connection=lab.connection(), deadline=10)
    assert result.outcome is Outcome.UNPARSEABLE
    assert result.error
    assert result.device is not None  # the OS facts read before the failure are kept


def test_dropped_connection_is_unreachable(lab: Any) -> None:
    """A connection closed in the middle of an answer -> unreachable (dropped mid-response)."""
    spec, host = lab.take()
    host.misbehave("drop")
    result = check_device(spec, connection=lab.connection(), deadline=10)
    assert result.outcome is Outcome.UNREACHABLE
    assert "dropped" in (result.error or "")


def test_nobody_signed_in_is_no_interactive_user(lab: Any) -> None:
    """No explorer.exe session -> no_interactive_user, device facts kept, no task created."""
    spec, host = lab.take()
    lab.make_ready(host)
    host.misbehave("no_user")
    result = check_device(spec, connection=lab.connection(), deadline=10)
    assert result.outcome is Outcome.NO_INTERACTIVE_USER
    assert result.device is not None
    assert result.device.policy.enabled is True
    assert result.to_record()["user_scope"] == "no user signed in"
    assert result.readiness is Readiness.UNKNOWN
    assert not [name for name, _ in host.calls if name == "Register-ScheduledTask"]


def test_user_without_session_for_the_task_is_no_interactive_user(lab: Any) -> None:
    """The user signs out between discovery and the task: it never runs -> no_interactive_user, task removed."""
    spec, host = lab.take()
    original = host.user

    def user_gone_after_discovery() -> Any:
        found = original()
        registered = any(name == "Register-ScheduledTask" for name, _ in host.calls)
        return None if registered else found

    host.user = user_gone_after_discovery
    try:
        result = check_device(spec, connection=lab.connection(), deadline=15)
    finally:
        host.user = original
    assert result.outcome is Outcome.NO_INTERACTIVE_USER
    assert "session not available" in (result.error or "")
    _no_leftovers(host)


def test_failed_task_is_command_failed_and_cleaned_up(lab: Any, mocker: Any) -> None:
    """The user's task cannot write its file (a host-side denial) -> command_failed; task and file removed."""
    spec, host = lab.take()
    mocker.patch.object(host, "write_file", return_value=False)
    result = check_device(spec, connection=lab.connection(), deadline=15)
    assert result.outcome is Outcome.COMMAND_FAILED
    assert "0x" in (result.error or "")
    _no_leftovers(host)


def test_task_cleaned_up_after_deadline(lab: Any) -> None:
    """A task still running at the deadline -> timeout, and the task is still unregistered in the grace period."""
    spec, host = lab.take()
    host.task_polls = 10_000
    # Long enough for a loaded machine to reach the task before the deadline; the task then never finishes.
    result = check_device(spec, connection=lab.connection(), deadline=4.0, cleanup_grace=3.0)
    assert result.outcome is Outcome.TIMEOUT
    assert any(name == "Register-ScheduledTask" for name, _ in host.calls)
    _no_leftovers(host)


def test_hostile_user_name_travels_as_data(lab: Any) -> None:
    """A user name full of quotes and separators is reported verbatim and never reaches a command line."""
    spec, host = lab.take()
    facts = host.facts()
    hostile = "o'brien\"; Remove-Item C:\\ -Recurse & calc"
    user = lab.tenant.users[facts.signed_in_user_id]
    original_upn = user.user_principal_name
    user.user_principal_name = f"{hostile}@contoso.example"
    try:
        result = check_device(spec, connection=lab.connection(), deadline=20)
    finally:
        user.user_principal_name = original_upn
    assert result.outcome is Outcome.OK, result.error
    assert result.users[0].name is not None
    assert result.users[0].name.endswith(hostile)
    commands = {name for name, _ in host.calls}
    assert "Remove-Item" in commands  # only our own clean-up of the task's file
    removed = [path for name, args in host.calls if name == "Remove-Item" for path in args["LiteralPath"]]
    assert removed
    assert all(path.startswith(f"{OUTPUT_DIR}\\pinreset-") for path in removed)


def test_hostile_connection_user_name_is_only_a_credential(lab: Any) -> None:
    """A user name with PowerShell syntax is just a wrong credential: auth_failed, nothing executed."""
    spec, host = lab.take()
    before = len(host.calls)
    result = check_device(spec, connection=lab.connection(username="x'; Remove-Item C:\\ #"), deadline=5)
    assert result.outcome is Outcome.AUTH_FAILED
    assert len(host.calls) == before


def test_hostile_host_names_never_connect(lab: Any) -> None:
    """Host entries with separators or quotes are refused before any connection is made."""
    with pytest.raises(ConfigurationError):
        check_device("127.0.0.1;calc", connection=lab.connection())
    with pytest.raises(ConfigurationError):
        list(check_fleet(["127.0.0.1", "pc'01"], connection=lab.connection()))


def test_winrs_output_is_decoded_in_the_hosts_code_page(lab: Any) -> None:
    """WinRS bytes come in the host's OEM code page: decoding them as cp437 garbles what winrs_run gets right."""
    from pypsrp.client import Client
    from pypsrp.wsman import WSMan

    from pinreset.remote._probes import parse_dsreg
    from pinreset.remote._session import winrs_run

    spec, host = lab.take()
    connection: WinRMConnection = lab.connection(codepage=850)
    host.codepage = 850  # a Western European host
    original = lab.tenant.display_name
    lab.tenant.display_name = "Bjørn & Søn A/S"
    try:
        with WSMan(**connection.wsman_kwargs(spec)) as wsman:
            stdout, _, rc = winrs_run(wsman, "dsregcmd", ["/status"], codepage=connection.codepage)
        with Client(**connection.wsman_kwargs(spec)) as client:
            naive, _, _ = client.execute_cmd("dsregcmd /status")  # pypsrp's default: decode as cp437
    finally:
        lab.tenant.display_name = original
    assert rc == 0
    assert "Bjørn & Søn A/S" in stdout
    assert "Bjørn & Søn A/S" not in naive
    view = parse_dsreg(stdout)
    assert view.device_name is not None
    assert view.device_name.split(".")[0].lower() == host.device_name.lower()


def test_listener_counts_every_request_the_client_sends(lab: Any, monkeypatch: Any) -> None:
    """The hosts' request count (what the fleet benchmark divides by) matches what the client sent, NTLM included."""
    import requests.adapters

    sent: list[str] = []
    original = requests.adapters.HTTPAdapter.send

    def counting(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(request.url)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting)
    spec, host = lab.take()
    before = host.requests_seen
    result = check_device(spec, connection=lab.connection(), deadline=20)
    assert result.outcome is Outcome.OK, result.error
    assert host.requests_seen - before == len(sent)
    assert 10 <= len(sent) <= 20  # pool open (NTLM legs), device probes, the user's task, pool close


def test_finished_pipelines_end_with_the_pool(lab: Any, monkeypatch: Any) -> None:
    """Pipelines left for the pool's Delete are gone with it; past the cap, each one is closed at once."""
    from pinreset.remote import _session

    closed: list[object] = []
    original = _session.PowerShell.close

    def close(self: Any) -> None:
        closed.append(self)
        original(self)

    monkeypatch.setattr(_session.PowerShell, "close", close)
    monkeypatch.setattr(_session, "_LEFT_OPEN_MAX", 2)
    spec, host = lab.take()
    host.task_polls = 3  # six pipelines: device probes, task start, three polls, read and remove
    result = check_device(spec, connection=lab.connection(), deadline=20)
    assert result.outcome is Outcome.OK, result.error
    assert len(closed) == 4  # the first two are left for the pool's Delete
    assert host.shells == {}
    _no_leftovers(host)
