"""GraphBackend request paths the emulator does not serve, scripted through httpx's transport seam."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from pinreset.auth import AccessToken
from pinreset.backends.graph import GraphBackend
from pinreset.exceptions import ConfigurationError, NotFoundError
from pinreset.models import PolicyKind, PolicyRef

ROOT = "https://graph.example.test"


class Token:
    """A static credential."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        return AccessToken("t", int(time.time()) + 3600)


def backend_with(handler: Any) -> GraphBackend:
    transport = httpx.MockTransport(handler)
    return GraphBackend.connect(credential=Token(), graph_url=ROOT, transport=transport, pacing=False)


def test_transitive_members_in_one_paged_query() -> None:
    """Where Graph serves transitiveMembers, member ids come from it (each once, across pages)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "skiptoken" in str(request.url):
            return httpx.Response(200, json={"value": [{"id": "u2"}, {"id": "u3"}]})
        return httpx.Response(
            200, json={"value": [{"id": "u1"}, {"id": "u2"}], "@odata.nextLink": f"{ROOT}/v1.0/next?skiptoken=1"}
        )

    with backend_with(handler) as backend:
        assert list(backend.list_group_member_ids("g/1")) == ["u1", "u2", "u3"]
    assert seen[0].startswith(f"{ROOT}/v1.0/groups/g%2F1/transitiveMembers/microsoft.graph.user?")


def test_domains_endpoint_decides_federation() -> None:
    """Federated domains come from /domains authenticationType when the app may read domains."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1.0/organization":
            domains = [{"name": "contoso.com", "isDefault": True, "type": "Managed"}, {"name": "fed.contoso.com"}]
            org = {"id": "tid", "displayName": "Contoso", "verifiedDomains": domains}
            return httpx.Response(200, json={"value": [org]})
        assert request.url.path == "/v1.0/domains"
        return httpx.Response(
            200,
            json={"value": [{"id": "contoso.com", "authenticationType": "Managed"},
                            {"id": "fed.contoso.com", "authenticationType": "Federated"}]},
        )  # fmt: skip

    with backend_with(handler) as backend:
        info = backend.tenant_info()
    assert info.federated_domains == ("fed.contoso.com",)
    assert info.default_domain == "contoso.com"


def test_dot_and_empty_ids_never_leave_their_collection() -> None:
    """An id of ".." stays one escaped segment; an empty id is refused before anything is sent."""
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(404, json={"error": {"code": "Request_ResourceNotFound", "message": "no"}})

    with backend_with(handler) as backend:
        with pytest.raises(NotFoundError):
            backend.get_group("..")
        with pytest.raises(NotFoundError):
            backend.delete_policy(PolicyRef(kind=PolicyKind.SETTINGS_CATALOG, id="."))
        with pytest.raises(ConfigurationError, match="id is required"):
            backend.delete_policy(PolicyRef(kind=PolicyKind.SETTINGS_CATALOG, id=""))
    assert [p.split("?")[0] for p in paths] == [
        "/v1.0/groups/%2E%2E",
        "/beta/deviceManagement/configurationPolicies/%2E",
    ]
