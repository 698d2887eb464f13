"""Issue-level acceptance: unmodified pywinrm and pypsrp against `emulator serve --winrm-hosts N`, then
`pinreset verify` over every host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import winrm
from pypsrp.client import Client

import pinreset

pytestmark = pytest.mark.slow


def test_real_clients_and_verify_against_served_hosts(serve: Callable[..., Any]) -> None:
    """pywinrm and pypsrp read dsregcmd, the parser reads it, and verify returns one labelled result per host."""
    with serve("--devices", "10", "--seed", "5", "--winrm-hosts", "3", "--winrm-misbehave", "2=refuse") as line:
        winrm_info = line["winrm"]
        hosts = winrm_info["hosts"]
        user, password, ca = winrm_info["username"], winrm_info["password"], winrm_info["ca_bundle"]

        first = hosts[0]
        with Client(first["address"], port=first["https_port"], username=user, password=password,
                    auth="ntlm", cert_validation=ca, no_proxy=True) as client:
            stdout, _stderr, rc = client.execute_cmd("dsregcmd /status")
        assert rc == 0
        status = pinreset.parse_dsregcmd(stdout)
        assert status.device_state is not None
        assert status.device_state.azure_ad_joined is True

        second = hosts[1]
        session = winrm.Session(
            f"http://{second['address']}:{second['http_port']}/wsman", auth=(user, password),
            transport="ntlm", message_encryption="always",
        )
        result = session.run_cmd("dsregcmd", ["/status"])
        assert result.status_code == 0
        assert pinreset.parse_dsregcmd(result.std_out.decode("cp437")).tenant_details is not None

        specs = [f"{h['address']}:{h['https_port']}" for h in hosts]
        env = {**os.environ, **line["env"]}
        verify = subprocess.run(
            [sys.executable, "-m", "pinreset", "verify", *specs, "--auth", "ntlm", "--no-proxy", "--output", "json"],
            capture_output=True, text=True, env=env, timeout=180, check=False,
        )
    assert verify.returncode in (0, 1), verify.stderr
    report = json.loads(verify.stdout)
    rows = {row["host"]: row for row in report["hosts"]}
    assert len(rows) == len(hosts) == 3
    assert report["summary"]["hosts"] == 3
    refused = rows[specs[2]]
    assert refused["outcome"] == "unreachable"
    for spec in specs[:2]:
        row = rows[spec]
        assert row["outcome"] in ("ok", "no_interactive_user"), row
        if row["outcome"] == "ok":
            # The interactive user's CanReset is labelled as theirs, apart from the connecting account's view.
            assert row["user_scope"] == "signed_in_user"
            assert row["user_sid"]
            assert row["user_can_reset"]
            assert "connecting_account_can_reset" in row
    assert any(rows[s]["outcome"] == "ok" for s in specs[:2])
