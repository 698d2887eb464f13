"""Pure parts of the PowerShell backend: SDK shapes, SDK error messages, sign-in parameters, module versions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pinreset.backends._ps_errors import ErrorRecord, error_from_records, parse_graph_failure
from pinreset.backends._ps_shapes import check_modules, from_native, parse_json_outputs, parse_version, sdk_to_graph
from pinreset.backends._ps_signin import (
    CertificateSignIn,
    ManagedIdentitySignIn,
    SecretCredential,
    SecretSignIn,
    connect_parameters,
    sign_in_from_environment,
)
from pinreset.backends._views import read_targets, to_device, to_policy
from pinreset.exceptions import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    GraphError,
    ModuleMissingError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    PowerShellError,
    ThrottledError,
)
from pinreset.models import GroupTarget, JoinType, PolicyKind

SECRET = "s3cr3t-Value~42"
TENANT = "11111111-2222-3333-4444-555555555555"


def _sdk_error(status: str, code: str, message: str = "Resource not found.", extra: str = "") -> ErrorRecord:
    text = (
        f"{message}\n\nStatus: {status}\nErrorCode: {code}\nDate: 2026-11-24T23:00:00\n\nHeaders:\n"
        "Transfer-Encoding             : chunked\n"
        "request-id                    : 0b6e2d1c-aaaa-bbbb-cccc-000000000001\n"
        f"client-request-id             : 9f00aa00-0000-0000-0000-000000000002\n{extra}"
    )
    return ErrorRecord(text, f"{code},Microsoft.Graph.PowerShell.Cmdlets.GetMgGroup_Get")


def test_sdk_object_becomes_graph_json() -> None:
    """PascalCase becomes camelCase, AdditionalProperties merge in unchanged, AzureAdDeviceId keeps Graph's AD."""
    sdk = {
        "Id": "p1",
        "DisplayName": "PIN",
        "AzureAdDeviceId": "d-1",
        "AdditionalProperties": {"@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                                 "pinRecoveryEnabled": True, "omaSettings": [{"OmaUri": "kept as is"}]},
        "Target": {"DeviceAndAppManagementAssignmentFilterType": "none",
                   "AdditionalProperties": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g"}},
    }
    graph = sdk_to_graph(sdk)
    assert graph["id"] == "p1"
    assert graph["displayName"] == "PIN"
    assert graph["azureADDeviceId"] == "d-1"
    assert graph["pinRecoveryEnabled"] is True
    assert graph["omaSettings"] == [{"OmaUri": "kept as is"}]
    assert read_targets({"assignments": [graph]}) == (GroupTarget(group_id="g"),)


def test_sdk_profile_reads_like_the_graph_one() -> None:
    """An identity protection profile from ConvertTo-Json builds the same Policy as its Graph JSON."""
    sdk = {"Id": "x", "DisplayName": "n", "Description": "", "CreatedDateTime": "2026-01-02T03:04:05Z",
           "AdditionalProperties": {"@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                                    "pinRecoveryEnabled": False, "windowsHelloForBusinessBlocked": False}}
    graph = {"id": "x", "displayName": "n", "description": "", "createdDateTime": "2026-01-02T03:04:05Z",
             "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
             "pinRecoveryEnabled": False, "windowsHelloForBusinessBlocked": False}
    via_ps = to_policy(PolicyKind.IDENTITY_PROTECTION, sdk_to_graph(sdk), None, TENANT)
    direct = to_policy(PolicyKind.IDENTITY_PROTECTION, graph, None, TENANT)
    assert via_ps == direct
    assert via_ps.settings.pin_recovery is False


def test_native_device_object_structures() -> None:
    """A natively deserialized device (properties, enum as ToString, DT as text) becomes a ManagedDevice."""

    class Obj:
        def __init__(self, adapted: dict[str, object], text: str | None = None) -> None:
            self.adapted_properties = adapted
            self.extended_properties: dict[str, object] = {}
            self.to_string = text

    native = Obj({"Id": "m1", "DeviceName": "PC-1", "OperatingSystem": "Windows", "JoinType": Obj({}, "azureADJoined"),
                  "LastSyncDateTime": "2026-11-24T10:00:00.1234567Z", "AzureAdDeviceId": "aad-1"})
    device = to_device(sdk_to_graph(from_native(native)))
    assert device.id == "m1"
    assert device.join_type is JoinType.ENTRA_JOINED
    assert device.azure_ad_device_id == "aad-1"
    assert device.last_sync is not None
    assert device.last_sync.year == 2026


def test_json_outputs_flatten_arrays_and_single_objects() -> None:
    """One array text, one object text, or one text per object all read as one list."""
    assert parse_json_outputs([json.dumps([{"Id": 1}, {"Id": 2}])]) == [{"Id": 1}, {"Id": 2}]
    assert parse_json_outputs([json.dumps({"Id": 1}), json.dumps({"Id": 2}), None, " "]) == [{"Id": 1}, {"Id": 2}]
    with pytest.raises(ParseError):
        parse_json_outputs(["System.Object[]"])


def test_versions_compare_as_numbers() -> None:
    """2.25.0 is newer than 2.3.0; a System.Version as JSON reads too."""
    assert parse_version("2.25.0") > parse_version("2.3.0")  # type: ignore[operator]
    assert parse_version({"Major": 2, "Minor": 9, "Build": 1, "Revision": -1}) == (2, 9, 1)
    assert parse_version("junk") is None


def test_missing_module_names_module_version_and_install_command() -> None:
    """A missing module and a too-old one each raise ModuleMissingError with everything needed to fix it."""
    infos = [{"Name": "Microsoft.Graph.Authentication", "Version": "2.25.0"},
             {"Name": "Microsoft.Graph.Beta.DeviceManagement", "Version": "1.28.0"}]
    with pytest.raises(ModuleMissingError) as missing:
        check_modules(infos, ["Microsoft.Graph.Authentication", "Microsoft.Graph.Groups"], (2, 0, 0), host="adm")
    text = str(missing.value)
    assert "Microsoft.Graph.Groups" in text
    assert "none" in text
    assert "Install-Module Microsoft.Graph -Scope AllUsers -MinimumVersion 2.0.0" in text
    with pytest.raises(ModuleMissingError) as old:
        check_modules(infos, ["Microsoft.Graph.Beta.DeviceManagement"], (2, 0, 0), host="adm")
    assert "1.28.0" in str(old.value)
    assert "Install-Module Microsoft.Graph.Beta -Scope AllUsers -MinimumVersion 2.0.0" in str(old.value)
    ok = check_modules([*infos, {"Name": "Microsoft.Graph.Authentication", "Version": "2.3.0"}],
                       ["Microsoft.Graph.Authentication"], (2, 0, 0), host="adm")
    assert ok == {"Microsoft.Graph.Authentication": "2.25.0"}


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        ("404 (NotFound)", "Request_ResourceNotFound", NotFoundError),
        ("403 (Forbidden)", "Authorization_RequestDenied", PermissionDeniedError),
        ("409 (Conflict)", "Conflict", ConflictError),
        ("429 (TooManyRequests)", "TooManyRequests", ThrottledError),
        ("500 (InternalServerError)", "InternalServerError", GraphError),
    ],
)
def test_sdk_errors_map_like_graph_errors(status: str, code: str, cls: type[GraphError]) -> None:
    """Status and ErrorCode pick the same exception type as the Graph backend, with the request id."""
    err = error_from_records([_sdk_error(status, code, extra="Retry-After : 7\n")], command="Get-MgGroup")
    assert type(err) is cls
    assert isinstance(err, GraphError)
    assert err.status_code == int(status[:3])
    assert err.code == code
    assert err.request_id == "0b6e2d1c-aaaa-bbbb-cccc-000000000001"
    assert err.backend == "powershell"
    assert "Status:" not in err.message
    if isinstance(err, ThrottledError):
        assert err.retry_after == 7.0


def test_parse_reads_request_line_block() -> None:
    """The Graph message is the text before the Status block."""
    failure = parse_graph_failure(_sdk_error("404 (NotFound)", "Request_ResourceNotFound", "Gone away."))
    assert failure is not None
    assert failure.message == "Gone away."
    assert failure.client_request_id == "9f00aa00-0000-0000-0000-000000000002"


def test_not_connected_and_sign_in_failures_are_authentication_errors() -> None:
    """'Authentication needed' and any Connect-MgGraph failure are AuthenticationError; 401 too."""
    needed = error_from_records(
        [ErrorRecord("Authentication needed. Please call Connect-MgGraph.")], command="Get-MgGroup"
    )
    assert isinstance(needed, AuthenticationError)
    refused = error_from_records(
        [ErrorRecord("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.")],
        command="Connect-MgGraph", sign_in=True,
    )
    assert isinstance(refused, AuthenticationError)
    assert refused.error_code == "AADSTS7000215"
    unauthorized = error_from_records([_sdk_error("401 (Unauthorized)", "InvalidAuthenticationToken")], command="x")
    assert isinstance(unauthorized, AuthenticationError)
    binding = error_from_records(
        [ErrorRecord("Cannot validate argument on parameter 'Environment'.",
                     "ParameterArgumentValidationError,Microsoft.Graph.PowerShell.Authentication.Cmdlets.ConnectMgGraph")],
        command="Connect-MgGraph", sign_in=True,
    )
    assert type(binding) is PowerShellError
    assert isinstance(unauthorized, AuthenticationError)


def test_other_errors_are_powershell_errors() -> None:
    """A binding error or a missing cmdlet is a PowerShellError carrying every record."""
    records = [ErrorRecord("A parameter cannot be found that matches parameter name 'Bogus'.",
                           "NamedParameterNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgGroup_List"),
               ErrorRecord("second")]
    err = error_from_records(records, command="Get-MgGroup")
    assert type(err) is PowerShellError
    assert err.errors == [r.message for r in records]
    missing = error_from_records([ErrorRecord("The term 'Get-MgGroup' is not recognized", "CommandNotFoundException")],
                                 command="Get-MgGroup")
    assert "Microsoft.Graph module" in str(missing)


def test_connect_parameters_per_method() -> None:
    """Each sign-in method gives Connect-MgGraph its documented parameters plus -Environment."""
    cert = connect_parameters(CertificateSignIn(tenant_id=TENANT, client_id="c", thumbprint="ab" * 20), "USGov")
    assert cert == [("TenantId", TENANT), ("ClientId", "c"), ("CertificateThumbprint", "AB" * 20),
                    ("Environment", "USGov"), ("NoWelcome", True)]
    assert connect_parameters(ManagedIdentitySignIn(), "Global")[0] == ("Identity", True)
    assert ("ClientId", "u") in connect_parameters(ManagedIdentitySignIn(client_id="u"), "Global")
    secret = dict(connect_parameters(SecretSignIn(tenant_id=TENANT, client_id="c", secret=SECRET), "China"))
    assert secret["ClientSecretCredential"] == SecretCredential("c", SECRET)
    assert secret["Environment"] == "China"


def test_secret_never_in_reprs() -> None:
    """Neither the sign-in nor the pending credential shows the secret."""
    sign_in = SecretSignIn(tenant_id=TENANT, client_id="c", secret=SECRET)
    assert SECRET not in repr(sign_in)
    assert SECRET not in repr(SecretCredential("c", SECRET))


def test_bad_sign_in_input_is_configuration_error() -> None:
    """Empty ids and a malformed thumbprint are refused before anything is contacted."""
    with pytest.raises(ConfigurationError):
        CertificateSignIn(tenant_id=TENANT, client_id="c", thumbprint="not-hex")
    with pytest.raises(ConfigurationError):
        SecretSignIn(tenant_id="", client_id="c", secret=SECRET)


def test_sign_in_from_environment() -> None:
    """The method follows PINRESET_PS_SIGN_IN, else the variables present; missing ones are named."""
    base = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": "c"}
    assert isinstance(sign_in_from_environment({**base, "AZURE_CLIENT_SECRET": SECRET}), SecretSignIn)
    cert = sign_in_from_environment({**base, "PINRESET_PS_THUMBPRINT": "0A" * 20})
    assert isinstance(cert, CertificateSignIn)
    assert sign_in_from_environment({}) == ManagedIdentitySignIn()
    with pytest.raises(ConfigurationError, match="PINRESET_PS_THUMBPRINT"):
        sign_in_from_environment({**base, "PINRESET_PS_SIGN_IN": "certificate"})
    with pytest.raises(ConfigurationError, match="AZURE_CLIENT_SECRET"):
        sign_in_from_environment({**base, "PINRESET_PS_SIGN_IN": "secret"})


class _RunningPipeline:
    """A pipeline still running when its reader gives up; records the signals it is sent."""

    def __init__(self) -> None:
        from pypsrp.complex_objects import PSInvocationState

        self.states = PSInvocationState
        self.state = PSInvocationState.RUNNING
        self.calls: list[str] = []

    def stop(self) -> None:
        self.calls.append("stop")
        self.state = self.states.STOPPED

    def close(self) -> None:
        self.calls.append("close")


def test_running_pipeline_is_stopped_then_terminated() -> None:
    """Closing a running pipeline sends ctrl_c and then Terminate, so the host frees the command."""
    from pinreset.backends._ps_session import PSSession
    from pinreset.remote import WinRMConnection
    from pinreset.remote._hosts import parse_host

    session = PSSession(parse_host("adm01.example.test"), WinRMConnection(username="u", password="p"))
    pipeline = _RunningPipeline()
    session._close_pipeline(pipeline)
    assert pipeline.calls == ["stop", "close"]


class _PagedSession:
    """Answers Invoke-MgGraphRequest pages; the second page's link names another host."""

    def __init__(self) -> None:
        self.uris: list[str] = []

    def invoke(self, commands: Any, **_: Any) -> list[Any]:
        params = dict(commands[0].parameters)
        self.uris.append(params["Uri"])
        if len(self.uris) == 1:
            link = "https://attacker.example.test/beta/deviceManagement/managedDevices?$skiptoken=A%27B"
            return [json.dumps({"value": [{"id": "1"}], "@odata.nextLink": link})]
        return [json.dumps({"value": [{"id": "2"}]})]


def test_powershell_paging_keeps_next_links_on_the_connected_graph_root() -> None:
    """An absolute nextLink reaches Invoke-MgGraphRequest as its path and query only, never with a host."""
    from pinreset.backends._ps_graph import MgClient

    session = _PagedSession()
    items = list(MgClient(session).paginate("/beta/deviceManagement/managedDevices?$top=1"))  # type: ignore[arg-type]
    assert [i["id"] for i in items] == ["1", "2"]
    assert session.uris == [
        "/beta/deviceManagement/managedDevices?$top=1",
        "/beta/deviceManagement/managedDevices?$skiptoken=A%27B",
    ]


def test_sdk_retry_after_as_http_date_is_read() -> None:
    """A Retry-After given as an HTTP date becomes seconds instead of being ignored."""
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=120), usegmt=True)
    record = _sdk_error("429 (TooManyRequests)", "TooManyRequests", extra=f"Retry-After                   : {when}\r\n")
    err = error_from_records([record], command="Get-MgGroup")
    assert isinstance(err, ThrottledError)
    assert err.retry_after is not None
    assert 100 < err.retry_after <= 120
