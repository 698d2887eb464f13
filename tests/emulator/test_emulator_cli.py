"""``pinreset emulator serve`` as users run it: a subprocess, one JSON line, msal and httpx against it."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
import requests

pytestmark = pytest.mark.slow

ENV_KEYS = {
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "PINRESET_GRAPH_URL",
    "PINRESET_CA_BUNDLE",
}


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    decoy = tmp_path / "unrelated.pem"
    decoy.write_text("not a certificate\n")
    env = dict(os.environ, REQUESTS_CA_BUNDLE=str(decoy), CURL_CA_BUNDLE=str(decoy), SSL_CERT_FILE=str(decoy))
    process = subprocess.Popen(
        [sys.executable, "-m", "pinreset", "emulator", "serve", "--port", "0", "--devices", "5", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.fail(f"no ready line; stderr: {process.communicate()[1]}")
    return process, json.loads(line)


def _finish(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str, str]:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # fail, but leave no server running behind the next test
        process.communicate()
        raise
    return process.returncode, out, err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    """A running ``pinreset emulator serve`` and its ready line."""
    process, line = _start(tmp_path, "--app", "reader=Organization.Read.All")
    yield process, line
    if process.poll() is None:
        process.kill()
        process.communicate()


def _token(line: dict[str, Any], client_id: str, secret: str) -> dict[str, Any]:
    session = requests.Session()
    session.trust_env = False
    session.verify = line["ca_bundle"]
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=line["authority"],
        instance_discovery=False,
        http_client=session,
    )
    result: dict[str, Any] = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    return result


def test_ready_line_drives_msal_and_httpx(served: tuple[subprocess.Popen[str], dict[str, Any]]) -> None:
    """The JSON line has everything msal and httpx need; Graph answers; SIGINT ends it cleanly with one line."""
    process, line = served
    assert {"graph_url", "authority", "authority_host", "tenant_id", "client_id", "client_secret"} <= set(line)
    assert line["devices"] == 5
    assert set(line["env"]) == ENV_KEYS
    assert line["env"]["AZURE_AUTHORITY_HOST"] == line["authority_host"]
    assert line["authority"] == f"{line['authority_host']}/{line['tenant_id']}"
    assert line["graph_url"].startswith("https://127.0.0.1:")
    token = _token(line, line["client_id"], line["client_secret"])
    assert "access_token" in token, token.get("error_description")
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(verify=ssl.create_default_context(cafile=line["ca_bundle"]), headers=headers) as client:
        organization = client.get(f"{line['graph_url']}/v1.0/organization")
        missing = client.get(f"{line['graph_url']}/v1.0/servicePrincipals/{uuid.uuid4()}")
    assert organization.status_code == 200
    assert organization.json()["value"][0]["id"] == line["tenant_id"]
    assert missing.status_code == 404
    assert {"code", "message", "innerError"} <= set(missing.json()["error"])
    code, out, err = _finish(process)
    assert code == 0
    assert out == ""  # the ready line was the only output
    assert "Traceback" not in err


def test_registered_app_has_only_its_permissions(served: tuple[subprocess.Popen[str], dict[str, Any]]) -> None:
    """An app registered with --app signs in and is refused what its permissions do not cover."""
    _, line = served
    [reader] = line["apps"]
    assert reader["permissions"] == ["Organization.Read.All"]
    token = _token(line, reader["client_id"], reader["client_secret"])
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(verify=ssl.create_default_context(cafile=line["ca_bundle"]), headers=headers) as client:
        allowed = client.get(f"{line['graph_url']}/v1.0/organization")
        denied = client.get(f"{line['graph_url']}/v1.0/deviceManagement/managedDevices")
    assert allowed.status_code == 200
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "Authorization_RequestDenied"


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    """SIGTERM ends the server with exit status 0 and no traceback."""
    process, _ = _start(tmp_path)
    code, _, err = _finish(process, signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err


def test_plain_http_when_asked(tmp_path: Path) -> None:
    """--http serves plain HTTP: no CA bundle in the line or the environment."""
    process, line = _start(tmp_path, "--http")
    try:
        assert line["graph_url"].startswith("http://")
        assert line["ca_bundle"] is None
        assert "PINRESET_CA_BUNDLE" not in line["env"]
    finally:
        assert _finish(process)[0] == 0


def test_bad_option_is_one_clear_line(tmp_path: Path) -> None:
    """An out-of-range fault rate fails with one line on stderr and the error exit code, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "pinreset", "emulator", "serve", "--fault-rate", "2"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "--fault-rate" in result.stderr


def test_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    """Serving on a port that is taken fails with one line naming the address and the error exit code."""
    process, line = _start(tmp_path)
    try:
        port = line["graph_url"].rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "pinreset", "emulator", "serve", "--port", port],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        _finish(process)
    assert result.returncode == 3
    assert result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
