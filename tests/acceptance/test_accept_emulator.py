"""Issue-level acceptance: a client written only from Microsoft's documentation works against `emulator serve`.

msal for the token and plain HTTP (httpx) for Graph, over the real loopback HTTPS server that
``pinreset emulator serve`` starts — nothing from pinreset's client side is used.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx
import msal
import pytest
import requests

pytestmark = pytest.mark.slow

SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"


def test_documented_client_does_the_job_against_serve(serve: Callable[..., Any]) -> None:
    """Find/create both apps, create/read/assign an identity protection profile, page devices, sync, read a 404."""
    with serve("--devices", "7", "--seed", "11") as line:
        session = requests.Session()
        session.trust_env = False
        session.verify = line["ca_bundle"]
        app = msal.ConfidentialClientApplication(
            line["client_id"], client_credential=line["client_secret"], authority=line["authority"],
            instance_discovery=False, http_client=session,
        )
        token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])["access_token"]
        tls = ssl.create_default_context(cafile=line["ca_bundle"])
        with httpx.Client(base_url=line["graph_url"], verify=tls, trust_env=False,
                          headers={"Authorization": f"Bearer {token}"}) as graph:
            for app_id in (SERVICE, CLIENT):
                found = graph.get("/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app_id}'"})
                assert found.status_code == 200
                assert found.json()["value"] == []
                created = graph.post("/v1.0/servicePrincipals", json={"appId": app_id})
                assert created.status_code == 201
                again = graph.get("/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app_id}'"}).json()
                assert [sp["id"] for sp in again["value"]] == [created.json()["id"]]

            profile = graph.post("/beta/deviceManagement/deviceConfigurations", json={
                "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
                "displayName": "WHfB - PIN recovery", "description": "",
                "windowsHelloForBusinessBlocked": False, "pinRecoveryEnabled": True,
            })
            assert profile.status_code == 201
            profile_id = profile.json()["id"]
            read = graph.get(f"/beta/deviceManagement/deviceConfigurations/{profile_id}").json()
            assert read["@odata.type"] == "#microsoft.graph.windowsIdentityProtectionConfiguration"
            assert read["pinRecoveryEnabled"] is True
            assigned = graph.post(f"/beta/deviceManagement/deviceConfigurations/{profile_id}/assign", json={
                "assignments": [{"@odata.type": "#microsoft.graph.deviceConfigurationAssignment",
                                 "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}],
            })
            assert assigned.status_code == 200
            targets = graph.get(f"/beta/deviceManagement/deviceConfigurations/{profile_id}/assignments").json()
            assert [a["target"]["@odata.type"] for a in targets["value"]] == [
                "#microsoft.graph.allLicensedUsersAssignmentTarget"
            ]

            devices: list[dict[str, Any]] = []
            url: str | None = "/v1.0/deviceManagement/managedDevices?$top=3"
            pages = 0
            while url:
                page = graph.get(url).json()
                devices += page["value"]
                url = page.get("@odata.nextLink")
                pages += 1
            assert len(devices) == 7
            assert pages == 3
            assert len({d["id"] for d in devices}) == 7
            synced = graph.post(f"/v1.0/deviceManagement/managedDevices/{devices[0]['id']}/syncDevice")
            assert synced.status_code == 204

            missing = graph.get("/v1.0/deviceManagement/deviceConfigurations/00000000-0000-0000-0000-000000000000")
            assert missing.status_code == 404
            error = missing.json()["error"]
            assert error["code"]
            assert error["message"]
            assert error["innerError"]["request-id"] == missing.headers["request-id"]
            assert error["innerError"]["date"]
