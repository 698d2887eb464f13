"""The PowerShell backend against the emulator's admin host: real PSRP over loopback HTTPS with NTLM."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from pinreset.backends.powershell import (
    CertificateSignIn,
    ManagedIdentitySignIn,
    PowerShellBackend,
    SecretSignIn,
)
from pinreset.emulator import Emulator
from pinreset.emulator._throttle import Limits, ThrottleConfig
from pinreset.exceptions import (
    AuthenticationError,
    ModuleMissingError,
    NotFoundError,
    PinresetError,
    TransportError,
)
from pinreset.models import ActionOutcome, DeviceAction, DeviceFilter, PolicyKind, PolicyRef
from pinreset.remote import WinRMConnection

HOSTILE_NAME = "O'Brien'; Remove-Item C:\\ -Recurse -Force; $(whoami) `n #"
HOSTILE_ID = "x'); Stop-Computer -Force; ('"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator serving an admin host (small tenant)."""
    with Emulator(devices=12, seed=3, admin_host=True) as emulator:
        yield emulator


def _connection(emulator: Emulator, **kwargs: Any) -> WinRMConnection:
    admin = emulator.admin_host
    assert admin is not None
    options: dict[str, Any] = {"username": admin.username, "password": admin.password, "ca_bundle": admin.ca_bundle,
                               "auth": "ntlm", "no_proxy": True}
    options.update(kwargs)
    return WinRMConnection(**options)


def _backend(emulator: Emulator, sign_in: Any = None, **kwargs: Any) -> PowerShellBackend:
    admin = emulator.admin_host
    assert admin is not None
    sign_in = sign_in or CertificateSignIn(
        tenant_id=emulator.tenant_id, client_id=admin.certificate_client_id, thumbprint=admin.certificate_thumbprint
    )
    return PowerShellBackend(f"{admin.address}:{admin.https_port}", connection=_connection(emulator),
                             sign_in=sign_in, **kwargs)


def _calls(emulator: Emulator, cmdlet: str) -> list[dict[str, Any]]:
    admin = emulator.admin_host
    assert admin is not None
    return [args for name, args in list(admin.host.calls) if name == cmdlet]


def _open_pipelines(emulator: Emulator) -> int:
    admin = emulator.admin_host
    assert admin is not None
    return sum(len(getattr(shell, "_pipes", {})) for shell in list(admin.host.shells.values()))


@pytest.mark.parametrize("method", ["certificate", "identity", "identity-client-id", "secret"])
def test_each_sign_in_method_reaches_graph(emu: Emulator, method: str) -> None:
    """Certificate, managed identity and secret sign-ins each read the tenant; -Environment is sent."""
    admin = emu.admin_host
    assert admin is not None
    sign_in: Any = {
        "certificate": CertificateSignIn(tenant_id=emu.tenant_id, client_id=admin.certificate_client_id,
                                         thumbprint=admin.certificate_thumbprint),
        "identity": ManagedIdentitySignIn(),
        "identity-client-id": ManagedIdentitySignIn(client_id=admin.managed_identity_client_id),
        "secret": SecretSignIn(tenant_id=emu.tenant_id, client_id=emu.client_id, secret=emu.client_secret),
    }[method]
    with _backend(emu, sign_in) as backend:
        assert backend.tenant_info().id == emu.tenant_id
        assert set(backend.modules) >= {"Microsoft.Graph.Authentication", "Microsoft.Graph.Beta.DeviceManagement"}
    connect = _calls(emu, "Connect-MgGraph")[-1]
    assert connect["Environment"] == "Global"
    if method.startswith("identity"):
        assert connect["Identity"] is True
        assert connect.get("ClientId") == (admin.managed_identity_client_id if method != "identity" else None)
    if method == "secret":
        # The secret arrived inside a PSCredential (a SecureString), not as a plain string parameter.
        assert "ClientSecretCredential" in connect
        assert not isinstance(connect["ClientSecretCredential"], str)


def test_missing_module_is_named_with_install_command() -> None:
    """A host without Microsoft.Graph.Groups fails before signing in, naming module, version and fix."""
    with Emulator(devices=2, seed=4, admin_host={"modules": {"Microsoft.Graph.Groups": None}}) as emulator, \
            _backend(emulator) as backend:
        with pytest.raises(ModuleMissingError) as raised:
            backend.tenant_info()
        assert "Microsoft.Graph.Groups" in str(raised.value)
        assert "Install-Module Microsoft.Graph -Scope AllUsers -MinimumVersion 2.0.0" in str(raised.value)
        assert _calls(emulator, "Connect-MgGraph") == []


def test_too_old_module_reports_the_version_found() -> None:
    """SDK 1.28 on the host is refused with the version found and the update command."""
    old = r"1\.28\.0 .* older than 2\.0\.0"
    with Emulator(devices=2, seed=4, admin_host={"mg_version": "1.28.0"}) as emulator, \
            _backend(emulator) as backend, pytest.raises(ModuleMissingError, match=old):
        backend.tenant_info()


def test_bad_secret_is_authentication_error_without_the_secret(emu: Emulator,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """A wrong secret is an AuthenticationError; neither it nor the WinRM password shows in logs or errors."""
    wrong = "Wr0ng-Secret-Value-" + "z" * 12
    sign_in = SecretSignIn(tenant_id=emu.tenant_id, client_id=emu.client_id, secret=wrong)
    caplog.set_level(logging.DEBUG)
    with _backend(emu, sign_in) as backend:
        with pytest.raises(AuthenticationError) as raised:
            backend.tenant_info()
        text = f"{raised.value} {raised.value!r} {backend!r} {backend.sign_in!r} {backend.connection!r}"
    admin = emu.admin_host
    assert admin is not None
    assert raised.value.backend == "powershell"
    for secret in (wrong, admin.password):
        assert secret not in text
        assert secret not in caplog.text


def test_graph_errors_keep_type_and_request_id(emu: Emulator) -> None:
    """A missing group is NotFoundError with Graph's request id, as from the Graph backend."""
    with _backend(emu) as backend, pytest.raises(NotFoundError) as raised:
        backend.get_group("00000000-0000-0000-0000-000000000000")
    assert raised.value.status_code == 404
    assert raised.value.request_id
    assert raised.value.backend == "powershell"


def test_hostile_values_reach_the_host_as_data(emu: Emulator) -> None:
    """Names, filter values and ids arrive literally as parameters; OData literals have ' doubled."""
    with _backend(emu) as backend:
        assert backend.find_groups([HOSTILE_NAME]) == {}
        assert list(backend.list_managed_devices(DeviceFilter(device_names=(HOSTILE_NAME,)))) == []
        with pytest.raises(NotFoundError):
            backend.get_policy(PolicyRef(kind=PolicyKind.IDENTITY_PROTECTION, id=HOSTILE_ID))
        results = list(backend.run_device_action(DeviceAction.SYNC, [HOSTILE_ID]))
    quoted = "'" + HOSTILE_NAME.replace("'", "''") + "'"
    assert _calls(emu, "Get-MgGroup")[-1]["Filter"] == f"displayName eq {quoted}"
    listing = next(c for c in reversed(_calls(emu, "Invoke-MgGraphRequest")) if "managedDevices" in str(c["Uri"]))
    query = dict(parse_qsl(urlsplit(str(listing["Uri"])).query))
    assert f"deviceName eq {quoted}" in query["$filter"]
    assert _calls(emu, "Get-MgBetaDeviceManagementDeviceConfiguration")[-1]["DeviceConfigurationId"] == HOSTILE_ID
    bulk = _calls(emu, "Invoke-MgBetaExecuteDeviceManagementManagedDeviceAction")[-1]
    assert list(bulk["DeviceIds"]) == [HOSTILE_ID]
    assert [(r.device_id, r.outcome) for r in results] == [(HOSTILE_ID, ActionOutcome.NOT_FOUND)]


def test_both_device_listings_agree_and_quote_the_filter(emu: Emulator) -> None:
    """Page-by-page and cmdlet listing yield the same devices; the cmdlet gets the quoted filter as -Filter."""
    with _backend(emu) as pages, _backend(emu, device_listing="cmdlet") as cmdlet:
        everything = DeviceFilter(operating_system=None)
        assert [d.id for d in pages.list_managed_devices(everything)] == [
            d.id for d in cmdlet.list_managed_devices(everything)
        ]
        named = next(iter(cmdlet.list_managed_devices()))
        assert [d.id for d in cmdlet.list_managed_devices(DeviceFilter(device_names=(named.device_name,)))] == [
            named.id
        ]
        assert list(cmdlet.list_managed_devices(DeviceFilter(device_names=(HOSTILE_NAME,)))) == []
    sent = _calls(emu, "Get-MgBetaDeviceManagementManagedDevice")[-1]
    assert "deviceName eq '" + HOSTILE_NAME.replace("'", "''") + "'" in sent["Filter"]
    assert "azureADDeviceId" in list(sent["Property"])


def test_pipelines_are_closed_and_pool_released(emu: Emulator) -> None:
    """After many operations no pipeline stays open on the host; closing the backend deletes the pool."""
    admin = emu.admin_host
    assert admin is not None
    before = set(admin.host.shells)
    with _backend(emu) as backend:
        backend.tenant_info()
        devices = list(backend.list_managed_devices())
        list(backend.run_device_action(DeviceAction.SYNC, [d.id for d in devices]))
        list(backend.list_policies())
        with pytest.raises(NotFoundError):
            backend.get_group("00000000-0000-0000-0000-000000000000")
        assert backend.session.pipelines >= 6
        assert _open_pipelines(emu) == 0
        assert len(set(admin.host.shells) - before) == 1  # one runspace pool for the whole session
    assert set(admin.host.shells) - before == set()


def test_stream_survives_an_interleaved_call(emu: Emulator) -> None:
    """Reading devices object by object while another call runs still yields every device once."""
    with _backend(emu, device_listing="cmdlet") as backend:
        expected = {d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))}
        stream = backend.list_managed_devices(DeviceFilter(operating_system=None))
        first = next(stream)
        assert backend.tenant_info().id == emu.tenant_id
        assert {first.id, *(d.id for d in stream)} == expected
        assert _open_pipelines(emu) == 0


def test_abandoned_stream_closes_its_pipeline(emu: Emulator) -> None:
    """A reader that stops early leaves no pipeline open."""
    with _backend(emu, device_listing="cmdlet") as backend:
        stream = backend.list_managed_devices(DeviceFilter(operating_system=None))
        next(stream)
        stream.close()
        assert _open_pipelines(emu) == 0
        assert backend.tenant_info().id == emu.tenant_id


def test_throttled_bulk_action_is_retried_after_retry_after(emu: Emulator) -> None:
    """A 429 from Graph is waited out (Retry-After, on the injected sleep) and every device still answers."""
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    config = ThrottleConfig(clock=lambda: now[0], limits={
        "devices": Limits(tenant_writes=1, app_writes=1, tenant_all=1000, app_all=1000)
    })
    emu.set_throttling(config)
    try:
        with _backend(emu, sleep=sleep) as backend:
            ids = [d.id for d in backend.list_managed_devices(DeviceFilter(operating_system=None))]
            wanted = ids * 1 + [f"missing-{n}" for n in range(150)]
            results = list(backend.run_device_action(DeviceAction.SYNC, wanted))
            assert backend.mg.throttled >= 1
    finally:
        emu.set_throttling(False)
    assert len(results) == len(wanted)
    assert {r.device_id for r in results if r.outcome is ActionOutcome.SUCCEEDED} == set(ids)
    assert waits
    assert all(w > 0 for w in waits)


def test_wrong_winrm_password_and_closed_port(emu: Emulator) -> None:
    """WinRM refusal is AuthenticationError, an unreachable host TransportError; no pypsrp exception escapes."""
    admin = emu.admin_host
    assert admin is not None
    sign_in = ManagedIdentitySignIn()
    bad = PowerShellBackend(f"{admin.address}:{admin.https_port}",
                            connection=_connection(emu, password="not-the-password"), sign_in=sign_in)
    with bad, pytest.raises(AuthenticationError) as refused:
        bad.tenant_info()
    assert "not-the-password" not in str(refused.value)
    closed = PowerShellBackend("127.0.0.1:9", connection=_connection(emu, connection_timeout=2.0), sign_in=sign_in)
    with closed, pytest.raises(TransportError):
        closed.tenant_info()


def test_from_environment_uses_the_emulator_variables(emu: Emulator) -> None:
    """PINRESET_PS_HOST, the WinRM variables and AZURE_* configure a working backend."""
    env = dict(emu.env)
    assert "PINRESET_PS_HOST" in env
    with PowerShellBackend.from_environment(environ=env, connection=_connection(emu)) as backend:
        assert isinstance(backend.sign_in, SecretSignIn)
        assert backend.tenant_info().id == emu.tenant_id


def test_closed_backend_refuses_further_calls(emu: Emulator) -> None:
    """Using a closed backend is a clear PinresetError, not a pypsrp failure."""
    backend = _backend(emu)
    backend.tenant_info()
    backend.close()
    with pytest.raises(PinresetError, match="closed"):
        backend.get_group("x")


@pytest.mark.parametrize("strategy", ["batch", "per_device", "execute_action"])
def test_every_action_strategy_answers_each_device_once(emu: Emulator, strategy: str) -> None:
    """$batch through Invoke-MgGraphRequest, the per-device cmdlets and the bulk cmdlet: one result per id."""
    with _backend(emu) as backend:
        ids = [d.id for d in backend.list_managed_devices()][:5]
        unknown = "00000000-0000-0000-0000-00000000abcd"
        results = list(backend.run_device_action(DeviceAction.SYNC, [*ids, unknown, ids[0]], strategy=strategy))
    assert sorted(r.device_id for r in results) == sorted([*ids, unknown])
    outcome = {r.device_id: r.outcome for r in results}
    assert outcome[unknown] is ActionOutcome.NOT_FOUND
    assert all(outcome[i] is ActionOutcome.SUCCEEDED for i in ids)


def test_non_terminating_errors_fail_the_call(emu: Emulator) -> None:
    """A pipeline that completes but writes to the error stream is a failure (had_errors alone misses it)."""
    from pinreset.backends._ps_session import Cmd
    from pinreset.exceptions import PowerShellError

    with _backend(emu) as backend:
        with pytest.raises(PowerShellError) as raised:
            backend.session.invoke([Cmd("Get-Content", ("Path", "C:\\no\\such\\file.txt"))])
        assert raised.value.errors
        assert "Get-Content" in str(raised.value)
        assert _open_pipelines(emu) == 0


def test_national_cloud_is_passed_as_environment(emu: Emulator) -> None:
    """cloud=us_gov signs in with Connect-MgGraph -Environment USGov."""
    # The emulated tenant lives in the global cloud; only the parameter matters here.
    with _backend(emu, cloud="us_gov") as backend, contextlib.suppress(PinresetError):
        backend.tenant_info()
    assert _calls(emu, "Connect-MgGraph")[-1]["Environment"] == "USGov"
