"""Fixtures for driving the emulator's Graph application directly (no network): a static authenticator, an app
factory and a request helper."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from pinreset.emulator._graph import GraphApp
from pinreset.emulator._http import Principal, Request, Response, Unauthorized
from pinreset.emulator._tenant import Tenant
from pinreset.emulator._throttle import ThrottleConfig

ADMIN_ROLES = (
    "Organization.Read.All", "User.Read.All", "Group.Read.All", "Application.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All", "DeviceManagementConfiguration.ReadWrite.All",
    "DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.PrivilegedOperations.All",
)


class StaticAuthenticator:
    """Accepts any request carrying a bearer token as one app with fixed roles; refuses the rest."""

    def __init__(self, tenant_id: str, roles: tuple[str, ...] = ADMIN_ROLES, app_id: str = "app-1") -> None:
        self.tenant_id = tenant_id
        self.roles = roles
        self.app_id = app_id

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized("InvalidAuthenticationToken", "Access token is empty.")
        app_id = header.removeprefix("Bearer ").strip() or self.app_id
        return Principal(app_id=app_id, tenant_id=self.tenant_id, roles=frozenset(self.roles))


def _make_app(*, seed: int = 1, devices: int = 25, roles: tuple[str, ...] = ADMIN_ROLES, **kwargs: Any
             ) -> tuple[Tenant, GraphApp]:
    tenant = Tenant.generate(seed=seed, devices=devices, **{k: v for k, v in kwargs.items()
                                                            if k in ("federated", "pin_reset_apps", "error_devices")})
    throttle = kwargs.get("throttle", ThrottleConfig(enabled=False))
    app = GraphApp(tenant, StaticAuthenticator(tenant.tenant_id, roles), throttle=throttle,
                   page_size=kwargs.get("page_size"))
    return tenant, app


def _call(app: GraphApp, method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None,
          caller: str = "app-1") -> Response:
    path, _, query = url.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    merged = {"host": "graph.test", "authorization": f"Bearer {caller}"}
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    raw = json.dumps(body).encode() if body is not None else b""
    if raw:
        merged.setdefault("content-type", "application/json")
    return app.handle(Request(method=method, path=path, query=params, headers=merged, body=raw, raw_query=query))


def _error_code(response: Response) -> str:
    body = response.json()
    inner = body["error"]["innerError"]
    assert inner["request-id"]
    assert inner["date"]
    return str(body["error"]["code"])


@pytest.fixture
def make_app() -> Any:
    """Factory: ``make_app(seed=, devices=, roles=, throttle=, page_size=, ...) -> (tenant, app)``."""
    return _make_app


@pytest.fixture
def call() -> Any:
    """``call(app, method, url, body=None, headers=None, caller=app id) -> Response``."""
    return _call


@pytest.fixture
def error_code() -> Any:
    """``error_code(response) -> str``: Graph's error code, after checking the innerError fields."""
    return _error_code
