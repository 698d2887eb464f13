"""A client written only from Microsoft's documentation (msal for the token, plain HTTP for Graph) does the
issue's whole job against the emulator, in process."""

from __future__ import annotations

import httpx
import msal

from pinreset.emulator import Emulator

SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"


def test_documented_client_job() -> None:
    """Find and create the PIN reset apps, create/read/assign a profile, page devices, sync one, read a 404."""
    emu = Emulator(devices=12, seed=3)
    app = msal.ConfidentialClientApplication(
        emu.client_id, client_credential=emu.client_secret,
        authority=f"https://login.microsoftonline.com/{emu.tenant_id}", instance_discovery=False,
        http_client=emu.msal_http_client,
    )
    token = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])["access_token"]
    with httpx.Client(transport=emu.transport, base_url="https://graph.microsoft.com",
                      headers={"Authorization": f"Bearer {token}"}) as graph:
        for app_id in (SERVICE, CLIENT):
            found = graph.get("/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app_id}'"}).json()
            if not found["value"]:
                assert graph.post("/v1.0/servicePrincipals", json={"appId": app_id}).status_code == 201
        names = {sp["displayName"] for sp in graph.get("/v1.0/servicePrincipals",
                                                       params={"$top": "999"}).json()["value"]}
        assert {"Microsoft Pin Reset Service Production", "Microsoft Pin Reset Client Production"} <= names

        profile = graph.post("/beta/deviceManagement/deviceConfigurations", json={
            "@odata.type": "#microsoft.graph.windowsIdentityProtectionConfiguration",
            "displayName": "WHfB - PIN recovery", "windowsHelloForBusinessBlocked": False,
            "pinRecoveryEnabled": True}).json()
        read = graph.get(f"/beta/deviceManagement/deviceConfigurations/{profile['id']}").json()
        assert read["@odata.type"] == "#microsoft.graph.windowsIdentityProtectionConfiguration"
        assigned = graph.post(f"/beta/deviceManagement/deviceConfigurations/{profile['id']}/assign", json={
            "assignments": [{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]})
        assert assigned.status_code == 200

        devices: list[dict[str, object]] = []
        url: str | None = "/v1.0/deviceManagement/managedDevices?$top=5"
        while url:
            page = graph.get(url).json()
            devices += page["value"]
            url = page.get("@odata.nextLink")
        assert len(devices) == 12
        assert graph.post(f"/v1.0/deviceManagement/managedDevices/{devices[0]['id']}/syncDevice").status_code == 204

        missing = graph.get("/v1.0/deviceManagement/managedDevices/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404
        error = missing.json()["error"]
        assert error["code"]
        assert error["message"]
        assert error["innerError"]["request-id"] == missing.headers["request-id"]
