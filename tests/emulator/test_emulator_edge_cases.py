"""Edge cases found in review: concurrent cache clears, malformed sign-in and batch input, bounded stores."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from cryptography import x509

from pinreset.emulator import Emulator, _grants, _oauth
from pinreset.emulator._http import Request
from pinreset.emulator._tls import TlsMaterial
from pinreset.exceptions import EmulatorError


class _ClearedByAnotherThread(dict[str, Any]):
    """A cache that another thread empties right after a membership test, as a concurrent clear can."""

    def __contains__(self, key: object) -> bool:
        present = super().__contains__(key)
        self.clear()
        return present


def test_request_log_survives_a_concurrent_app_id_cache_clear() -> None:
    """A token seen before is logged with its app id even if the cache is cleared while it is looked up."""
    emu = Emulator(devices=1, seed=2)
    router = emu.app
    token = emu.access_token()
    router.handle(Request("GET", "/v1.0/organization", headers={"authorization": f"Bearer {token}"}))
    router._app_ids = _ClearedByAnotherThread(router._app_ids)
    response = router.handle(Request("GET", "/v1.0/organization", headers={"authorization": f"Bearer {token}"}))
    assert response.status == 200
    assert router.snapshot()[-1].app_id == emu.client_id


def _form_post(emu: Emulator, endpoint: str, form: dict[str, str]) -> Any:
    body = urllib.parse.urlencode(form).encode()
    request = Request("POST", f"/{emu.tenant_id}/oauth2/v2.0/{endpoint}",
                      headers={"host": "127.0.0.1", "content-type": "application/x-www-form-urlencoded"}, body=body)
    return emu.app.handle(request).json()


def test_device_code_store_keeps_only_the_newest_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting flows without end keeps at most FLOW_LIMIT of them: the oldest code is forgotten, the newest works."""
    monkeypatch.setattr(_oauth, "FLOW_LIMIT", 3)
    emu = Emulator(devices=1, seed=2, device_code_delay=0.0)
    app = emu.register_app(permissions={"Organization.Read.All"}, secret=False)
    start = {"client_id": app.client_id, "scope": "https://graph.microsoft.com/.default"}
    codes = [_form_post(emu, "devicecode", start)["device_code"] for _ in range(5)]
    assert len(emu._identity.flows._flows) == 3

    def poll(code: str) -> Any:
        return _form_post(emu, "token", {"client_id": app.client_id, "device_code": code,
                                         "grant_type": "urn:ietf:params:oauth:grant-type:device_code"})

    assert poll(codes[0])["error"] == "bad_verification_code"
    assert "access_token" in poll(codes[-1])


def test_refresh_token_store_keeps_only_the_newest_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issuing refresh tokens without end keeps at most REFRESH_LIMIT: the oldest is invalid_grant, the newest works."""
    monkeypatch.setattr(_grants, "REFRESH_LIMIT", 2)
    emu = Emulator(devices=1, seed=2, device_code_delay=0.0)
    app = emu.register_app(permissions={"Organization.Read.All"}, secret=False)
    start = {"client_id": app.client_id, "scope": "https://graph.microsoft.com/.default"}
    refresh_tokens = []
    for _ in range(3):
        code = _form_post(emu, "devicecode", start)["device_code"]
        tokens = _form_post(emu, "token", {"client_id": app.client_id, "device_code": code,
                                           "grant_type": "urn:ietf:params:oauth:grant-type:device_code"})
        refresh_tokens.append(tokens["refresh_token"])
    assert len(emu._identity.grants._refresh) == 2

    def redeem(token: str) -> Any:
        return _form_post(emu, "token", {"client_id": app.client_id, "refresh_token": token,
                                         "grant_type": "refresh_token"})

    assert redeem(refresh_tokens[0])["error"] == "invalid_grant"
    assert "access_token" in redeem(refresh_tokens[-1])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "emulator.example"])
def test_listening_beyond_loopback_warns(host: str) -> None:
    """An emulator asked to listen on a non-loopback address warns that its credentials become reachable."""
    with pytest.warns(RuntimeWarning, match="not a loopback address"):
        Emulator(devices=0, host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.10.3", "::1", "localhost"])
def test_loopback_hosts_do_not_warn(host: str, recwarn: pytest.WarningsRecorder) -> None:
    """Loopback addresses and localhost need no warning."""
    Emulator(devices=0, host=host)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


_FILTER = {"displayName": "f", "platform": "windows10AndLater", "rule": '(device.osVersion -startsWith "10")'}


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1.0/oauth2PermissionGrants",
         {"clientId": ["{sp}"], "resourceId": "{sp}", "consentType": "AllPrincipals", "scope": "User.Read"}),
        ("POST", "/v1.0/oauth2PermissionGrants",
         {"clientId": "{sp}", "resourceId": "{sp}", "consentType": "Principal", "principalId": {"id": "x"}}),
        ("POST", "/v1.0/oauth2PermissionGrants",
         {"clientId": "{sp}", "resourceId": "{sp}", "consentType": "AllPrincipals", "scope": ["User.Read"]}),
        ("POST", "/beta/deviceManagement/managedDevices/executeAction",
         {"actionName": ["syncDevice"], "deviceIds": ["{device}"]}),
        ("POST", "/beta/deviceManagement/deviceConfigurations/{config}/assign",
         {"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                                      "deviceAndAppManagementAssignmentFilterId": ["x"]}}]}),
        ("POST", "/beta/deviceManagement/assignmentFilters", {**_FILTER, "roleScopeTags": 5}),
        ("POST", "/beta/deviceManagement/assignmentFilters", {**_FILTER, "displayName": 5}),
    ],
)
def test_mistyped_json_values_are_400_not_500(make_app: Any, call: Any, method: str, url: str, body: Any) -> None:
    """A value of the wrong JSON type (a list where Graph expects a string, a number for a collection) is 400."""
    _, app = make_app(devices=2)
    ids = {
        "sp": call(app, "GET", "/v1.0/servicePrincipals").json()["value"][0]["id"],
        "device": call(app, "GET", "/v1.0/deviceManagement/managedDevices").json()["value"][0]["id"],
        "config": call(app, "POST", "/beta/deviceManagement/deviceConfigurations",
                       {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "c",
                        "omaSettings": []}).json()["id"],
    }
    filled = json.loads(json.dumps(body).replace("{sp}", ids["sp"]).replace("{device}", ids["device"]))
    response = call(app, method, url.format(**ids), filled)
    assert response.status == 400
    assert response.json()["error"]["code"] in ("BadRequest", "Request_BadRequest")


def test_unparsable_resource_urls_in_scopes_are_invalid_resource() -> None:
    """A scope whose resource URL cannot be parsed is the identity platform's 400 invalid_resource, not a 500."""
    emu = Emulator(devices=1, seed=2)
    for endpoint in ("token", "devicecode"):
        answer = _form_post(emu, endpoint, {"client_id": emu.client_id, "client_secret": emu.client_secret,
                                            "grant_type": "client_credentials", "scope": "https://[::1/.default"})
        assert (answer["error"], answer["error_codes"]) == ("invalid_resource", [500011])


def test_instance_discovery_of_an_unparsable_authority_is_invalid_instance() -> None:
    """Instance discovery for an authority URL that cannot be parsed answers 400 invalid_instance."""
    emu = Emulator(devices=1, seed=2)
    response = emu.app.handle(Request("GET", "/common/discovery/instance", headers={"host": "127.0.0.1"},
                                      query={"authorization_endpoint": "https://[::1/x/oauth2/v2.0/authorize"}))
    assert response.status == 400
    assert (response.json()["error"], response.json()["error_codes"]) == ("invalid_instance", [50049])


@pytest.mark.parametrize("url", ["/v1.0/servicePrincipals", "/v1.0/$batch"])
@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000])
def test_json_nested_beyond_the_parser_is_400(make_app: Any, url: str, body: bytes) -> None:
    """A request body nested deeper than the JSON parser can follow is Graph's 400, not a RecursionError 500."""
    _, app = make_app(devices=1)
    request = Request("POST", url, headers={"host": "x", "authorization": "Bearer a",
                                            "content-type": "application/json"}, body=body)
    response = app.handle(request)
    assert response.status == 400
    assert response.json()["error"]["code"] == "BadRequest"


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf"), 1e20])
def test_advance_refuses_unusable_durations_with_an_emulator_error(seconds: float) -> None:
    """Negative, non-finite or calendar-overflowing durations raise EmulatorError and leave the clock alone."""
    emu = Emulator(devices=1, seed=2)
    before = emu.clock.now()
    with pytest.raises(EmulatorError, match="simulated clock"):
        emu.advance(seconds)
    assert emu.clock.now() == before


def test_internationalised_extra_names_go_into_the_certificate_as_a_labels() -> None:
    """A Unicode host name is certified in its xn-- form; an impossible one is an EmulatorError, not a ValueError."""
    material = TlsMaterial.generate(extra_names=("bücher.example",))
    try:
        cert = x509.load_pem_x509_certificate(material.cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "xn--bcher-kva.example" in names.get_values_for_type(x509.DNSName)
    finally:
        material.cleanup()
    with pytest.raises(EmulatorError, match="cannot make a certificate"):
        Emulator(devices=0, extra_names=("a..b",)).start()
