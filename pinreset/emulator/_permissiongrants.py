"""Delegated permission grants (``oAuth2PermissionGrant``) of the emulated tenant.

A grant links a client service principal to a resource service principal with a set of delegated scopes, for all
users (``AllPrincipals``) or one (``Principal``). Deleting a service principal removes its grants
(:mod:`pinreset.emulator._directory`).
"""

from __future__ import annotations

from typing import Any

from pinreset.emulator._base import TenantBase
from pinreset.emulator._errors import GraphProblem, bad_request, not_found

__all__ = ["GrantOps"]


class GrantOps(TenantBase):
    """``/oauth2PermissionGrants``: list, get, create, update (scope only), delete."""

    def list_grants(self) -> list[dict[str, Any]]:
        """Every ``oAuth2PermissionGrant``."""
        with self.lock:
            return [dict(g) for g in self.grants.values()]

    def get_grant(self, grant_id: str) -> dict[str, Any]:
        """One grant; 404 when absent."""
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None:
                raise not_found(grant_id, directory=True)
            return dict(grant)

    def create_grant(self, body: Any) -> dict[str, Any]:
        """``POST /oauth2PermissionGrants``: clientId and resourceId are service principal object ids.

        Raises:
            GraphProblem: 400 for a missing/unknown client or resource, a bad consentType, or a Principal grant
                without principalId; 409 when the same client/resource/principal grant exists.
        """
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.", code="Request_BadRequest")
        consent = body.get("consentType")
        if not isinstance(body.get("scope") or "", str):
            raise bad_request("Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant'.",
                              code="Request_BadRequest")
        principal = body.get("principalId")
        with self.lock:
            for field in ("clientId", "resourceId"):
                if not isinstance(body.get(field), str) or body[field] not in self.service_principals:
                    raise bad_request(f"Invalid value specified for property '{field}' of resource "
                                      "'OAuth2PermissionGrant'.", code="Request_BadRequest")
            if consent not in ("AllPrincipals", "Principal"):
                raise bad_request("Invalid value specified for property 'consentType' of resource "
                                  "'OAuth2PermissionGrant'.", code="Request_BadRequest")
            if consent == "Principal" and (not isinstance(principal, str) or principal not in self.users):
                raise bad_request("Invalid value specified for property 'principalId' of resource "
                                  "'OAuth2PermissionGrant'.", code="Request_BadRequest")
            key = (body["clientId"], body["resourceId"], principal if consent == "Principal" else None)
            for grant in self.grants.values():
                if (grant["clientId"], grant["resourceId"], grant["principalId"]) == key:
                    raise GraphProblem(409, "Request_MultipleObjectsWithSameKeyValue",
                                       "Permission entry already exists.")
            grant = {
                "id": self.new_id().replace("-", "")[:27],
                "clientId": body["clientId"],
                "consentType": consent,
                "principalId": key[2],
                "resourceId": body["resourceId"],
                "scope": str(body.get("scope") or ""),
            }
            self.grants[grant["id"]] = grant
            return dict(grant)

    def update_grant(self, grant_id: str, body: Any) -> None:
        """``PATCH /oauth2PermissionGrants/{id}``: only ``scope`` may change."""
        with self.lock:
            grant = self.grants.get(grant_id)
            if grant is None:
                raise not_found(grant_id, directory=True)
            if not isinstance(body, dict) or set(body) - {"scope"}:
                raise bad_request("Only 'scope' can be updated.", code="Request_BadRequest")
            if not isinstance(body.get("scope") or "", str):
                raise bad_request("Invalid value specified for property 'scope' of resource "
                                  "'OAuth2PermissionGrant'.", code="Request_BadRequest")
            grant["scope"] = str(body.get("scope") or "")

    def delete_grant(self, grant_id: str) -> None:
        """``DELETE /oauth2PermissionGrants/{id}``."""
        with self.lock:
            if self.grants.pop(grant_id, None) is None:
                raise not_found(grant_id, directory=True)
