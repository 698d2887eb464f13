"""Intune configuration operations: device configuration profiles, settings catalog policies, assignments,
assignment filters, per-device statuses and the configuration policy devices report."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pinreset.emulator._base import TenantBase
from pinreset.emulator._entities import Profile, iso
from pinreset.emulator._errors import GraphProblem, bad_request, not_found
from pinreset.emulator._policies import ACCOUNT_PROTECTION_TEMPLATE_ID, compile_filter_rule
from pinreset.emulator._schemas import (
    ASSIGNMENT_TARGET_TYPES,
    DEVICE_CONFIGURATION_BASE,
    validate_device_configuration,
)

__all__ = ["KIND_CONFIGURATION", "KIND_POLICY", "IntuneOps"]

KIND_CONFIGURATION = "deviceConfiguration"
KIND_POLICY = "configurationPolicy"
# Special assignment ids Intune uses for its two virtual "all" groups.
_ALL_USERS_ID = "adadadad-808e-44e2-905a-0b7873a8a531"
_ALL_DEVICES_ID = "acacacac-9df4-4c7d-9d50-4ef0226f57a9"
_TEMPLATES = {ACCOUNT_PROTECTION_TEMPLATE_ID: ("endpointSecurityAccountProtection", "Account Protection", "Version 1")}
# The writable properties of a settings catalog policy and the JSON type each must have (None allowed where the
# property is nullable); anything else is refused as Graph's OData reader refuses an undeclared property.
_POLICY_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "description": (str, type(None)),
    "platforms": (str,),
    "technologies": (str,),
    "roleScopeTagIds": (list,),
    "templateReference": (Mapping, type(None)),
    "settings": (list,),
    "creationSource": (str, type(None)),
    "priorityMetaData": (Mapping, type(None)),
}


class IntuneOps(TenantBase):
    """Profiles, policies, assignments, filters and status reporting."""

    # --- shared --------------------------------------------------------------------------------------------------

    def _profile(self, kind: str, profile_id: str) -> Profile:
        profile = self.profiles.get(profile_id)
        if profile is None or profile.kind != kind:
            raise not_found(profile_id)
        return profile

    def profile_json(
        self, profile: Profile, *, beta: bool = True, expand: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """A profile or policy in Graph's shape (``@odata.type`` kept for derived configuration types)."""
        if profile.kind == KIND_POLICY:
            return self._policy_json(profile, expand)
        data = profile.data
        result: dict[str, Any] = {"@odata.type": data.get("@odata.type")}
        result.update(DEVICE_CONFIGURATION_BASE)
        result.update({
            "id": profile.id,
            "lastModifiedDateTime": iso(profile.modified),
            "createdDateTime": iso(profile.created),
            "version": profile.version,
        })
        result.update(validate_device_configuration(data, beta=beta, defaults_only=True))
        result.update({k: copy.deepcopy(v) for k, v in data.items() if k != "@odata.type"})
        if "assignments" in expand:
            result["assignments"] = self._assignments_json(profile)
        return result

    def _policy_json(self, profile: Profile, expand: frozenset[str]) -> dict[str, Any]:
        data = profile.data
        template = data.get("templateReference") or {}
        template_id = str(template.get("templateId") or "")
        family, name, version = _TEMPLATES.get(template_id, (template.get("templateFamily") or "none", None, None))
        result: dict[str, Any] = {
            "createdDateTime": iso(profile.created),
            "creationSource": data.get("creationSource"),
            "description": data.get("description") or "",
            "lastModifiedDateTime": iso(profile.modified),
            "name": data.get("name"),
            "platforms": data.get("platforms", "windows10"),
            "priorityMetaData": data.get("priorityMetaData"),
            "roleScopeTagIds": list(data.get("roleScopeTagIds") or ["0"]),
            "settingCount": len(data.get("settings") or []),
            "technologies": data.get("technologies", "mdm"),
            "id": profile.id,
            "templateReference": {
                "templateId": template_id,
                "templateFamily": family,
                "templateDisplayName": template.get("templateDisplayName", name),
                "templateDisplayVersion": template.get("templateDisplayVersion", version),
            },
            "isAssigned": bool(profile.assignments),
        }
        if "settings" in expand:
            result["settings"] = self._settings_json(profile)
        if "assignments" in expand:
            result["assignments"] = self._assignments_json(profile)
        return result

    # --- profiles (deviceConfigurations) and policies (configurationPolicies) ------------------------------------

    def list_profiles(self, kind: str) -> list[Profile]:
        """Every profile of one kind, in creation order."""
        with self.lock:
            return [p for p in self.profiles.values() if p.kind == kind]

    def get_profile(self, kind: str, profile_id: str) -> Profile:
        """One profile of one kind; 404 when absent."""
        with self.lock:
            return self._profile(kind, profile_id)

    def create_profile(self, kind: str, body: Any, *, beta: bool = True) -> Profile:
        """``POST …/deviceConfigurations`` or ``POST …/configurationPolicies``.

        Raises:
            GraphProblem: 400 for a body Graph would refuse (abstract or beta-only type on v1.0, unknown property of
                a known type, out-of-range value, policy without name or with malformed settings).
        """
        data = self._validated(kind, body, beta=beta)
        with self.lock:
            now = self.now()
            profile = Profile(kind=kind, id=self.new_id(), data=data, created=now, modified=now)
            self.profiles[profile.id] = profile
            self.targeting_changed()
            return profile

    def _validated(self, kind: str, body: Any, *, beta: bool, existing: dict[str, Any] | None = None) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise bad_request("The request body must be a JSON object.")
        data = {k: copy.deepcopy(v) for k, v in body.items()
                if (k not in ("id", "createdDateTime", "lastModifiedDateTime", "version", "assignments",
                             "settingCount", "isAssigned") and not k.startswith("@odata.")) or k == "@odata.type"}
        if kind == KIND_POLICY:
            data.pop("@odata.type", None)
            _check_policy_properties(data)
            merged = {**(existing or {}), **data}
            if not merged.get("name"):
                raise bad_request("The 'name' property is required.")
            settings = merged.get("settings", [])
            if not isinstance(settings, list):
                raise bad_request("The 'settings' property must be a collection.")
            for index, setting in enumerate(settings):
                instance = setting.get("settingInstance") if isinstance(setting, Mapping) else None
                if not isinstance(instance, Mapping) or not instance.get("settingDefinitionId") \
                        or not str(instance.get("@odata.type", "")).startswith("#microsoft.graph."):
                    raise bad_request(f"Setting {index} needs a settingInstance with @odata.type and "
                                      "settingDefinitionId.")
            return merged
        merged = {**(existing or {}), **data}
        if existing is not None and "@odata.type" in data and data["@odata.type"] != existing.get("@odata.type"):
            raise bad_request("The @odata.type of an existing configuration cannot change.")
        validate_device_configuration(merged, beta=beta)
        return merged

    def update_profile(
        self, kind: str, profile_id: str, body: Any, *, beta: bool = True, replace: bool = False
    ) -> Profile:
        """``PATCH`` (merge) or ``PUT`` (replace) a profile or policy; bumps its version."""
        with self.lock:
            profile = self._profile(kind, profile_id)
            base = None if replace else profile.data
            if replace and kind == KIND_CONFIGURATION:
                base = {"@odata.type": profile.data.get("@odata.type")}
            profile.data = self._validated(kind, body, beta=beta, existing=base or {})
            profile.modified = self.now()
            profile.version += 1
            self.targeting_changed()
            return profile

    def delete_profile(self, kind: str, profile_id: str) -> None:
        """``DELETE`` a profile or policy; devices drop it at their next check-in."""
        with self.lock:
            self._profile(kind, profile_id)
            del self.profiles[profile_id]
            self.targeting_changed()

    def _settings_json(self, profile: Profile) -> list[dict[str, Any]]:
        return [
            {"id": str(index), "settingInstance": copy.deepcopy(setting.get("settingInstance"))}
            for index, setting in enumerate(profile.data.get("settings") or [])
        ]

    def policy_settings(self, profile_id: str) -> list[dict[str, Any]]:
        """``GET …/configurationPolicies/{id}/settings``."""
        with self.lock:
            return self._settings_json(self._profile(KIND_POLICY, profile_id))

    # --- assignments ---------------------------------------------------------------------------------------------

    def _assignments_json(self, profile: Profile) -> list[dict[str, Any]]:
        return [copy.deepcopy(a) for a in profile.assignments]

    def _assignment(self, profile: Profile, raw: Any) -> dict[str, Any]:
        target = raw.get("target") if isinstance(raw, Mapping) else None
        if not isinstance(target, Mapping):
            raise bad_request("Each assignment needs a 'target'.")
        kind = str(target.get("@odata.type", ""))
        if kind not in ASSIGNMENT_TARGET_TYPES:
            raise bad_request(f"Unsupported assignment target type '{kind}'.")
        clean = {k: copy.deepcopy(v) for k, v in target.items()}
        clean.setdefault("deviceAndAppManagementAssignmentFilterId", None)
        clean.setdefault("deviceAndAppManagementAssignmentFilterType", "none")
        if clean["deviceAndAppManagementAssignmentFilterType"] not in ("none", "include", "exclude"):
            raise bad_request("deviceAndAppManagementAssignmentFilterType must be none, include or exclude.")
        filter_id = clean["deviceAndAppManagementAssignmentFilterId"]
        if not isinstance(filter_id, (str, type(None))):
            raise bad_request("deviceAndAppManagementAssignmentFilterId must be a string.")
        if filter_id and filter_id not in self.filters:
            raise bad_request(f"Assignment filter '{filter_id}' does not exist.")
        if "GroupAssignmentTarget" in kind or kind == "#microsoft.graph.groupAssignmentTarget":
            group_id = target.get("groupId")
            if not isinstance(group_id, str) or not group_id:
                raise bad_request("A group assignment target needs a 'groupId'.")
            suffix = group_id + ("_1" if kind.endswith("exclusionGroupAssignmentTarget") else "_0")
        elif kind.endswith("allDevicesAssignmentTarget"):
            suffix = _ALL_DEVICES_ID
        elif kind.endswith("allLicensedUsersAssignmentTarget"):
            suffix = _ALL_USERS_ID
        else:
            suffix = str(target.get("collectionId") or self.new_id())
        if profile.kind == KIND_POLICY:
            return {"id": f"{profile.id}_{suffix}", "source": "direct", "sourceId": profile.id, "target": clean}
        return {
            "@odata.type": "#microsoft.graph.deviceConfigurationAssignment",
            "id": f"{profile.id}_{suffix}",
            "source": "direct",
            "sourceId": profile.id,
            "intent": "apply",
            "target": clean,
        }

    def assign(self, kind: str, profile_id: str, body: Any) -> list[dict[str, Any]]:
        """``POST …/{id}/assign``: the posted list REPLACES the whole assignment set.

        Raises:
            GraphProblem: 404 for a missing profile; 400 for a malformed assignment list.
        """
        assignments = body.get("assignments") if isinstance(body, Mapping) else None
        if not isinstance(assignments, list):
            raise bad_request("The request body needs an 'assignments' collection.")
        with self.lock:
            profile = self._profile(kind, profile_id)
            new = [self._assignment(profile, raw) for raw in assignments]
            ids = [a["id"] for a in new]
            if len(set(ids)) != len(ids):
                raise bad_request("The same target appears twice in 'assignments'.")
            profile.assignments = new
            profile.modified = self.now()
            self.targeting_changed()
            return self._assignments_json(profile)

    def add_assignment(self, kind: str, profile_id: str, body: Any) -> dict[str, Any]:
        """``POST …/{id}/assignments``: add one assignment to the set (409 when its target is there already)."""
        with self.lock:
            profile = self._profile(kind, profile_id)
            assignment = self._assignment(profile, body)
            if any(a["id"] == assignment["id"] for a in profile.assignments):
                raise GraphProblem(409, "Conflict", "An assignment for this target exists already.")
            profile.assignments.append(assignment)
            self.targeting_changed()
            return copy.deepcopy(assignment)

    def list_assignments(self, kind: str, profile_id: str) -> list[dict[str, Any]]:
        """``GET …/{id}/assignments``."""
        with self.lock:
            return self._assignments_json(self._profile(kind, profile_id))

    # --- assignment filters --------------------------------------------------------------------------------------

    def list_filters(self) -> list[dict[str, Any]]:
        """Every assignment filter."""
        with self.lock:
            return [copy.deepcopy(f) for f in self.filters.values()]

    def get_filter(self, filter_id: str) -> dict[str, Any]:
        """One assignment filter; 404 when absent."""
        with self.lock:
            found = self.filters.get(filter_id)
            if found is None:
                raise not_found(filter_id)
            return copy.deepcopy(found)

    def create_filter(self, body: Any) -> dict[str, Any]:
        """``POST /deviceManagement/assignmentFilters``: needs displayName, platform and a readable rule."""
        if not isinstance(body, Mapping) or not body.get("displayName") or not body.get("platform"):
            raise bad_request("An assignment filter needs 'displayName' and 'platform'.")
        _check_filter_properties(body)
        rule = self._compile_rule(body.get("rule"))
        with self.lock:
            now = iso(self.now())
            created = {
                "id": self.new_id(),
                "createdDateTime": now,
                "lastModifiedDateTime": now,
                "displayName": body["displayName"],
                "description": body.get("description") or "",
                "platform": body["platform"],
                "rule": body.get("rule"),
                "roleScopeTags": list(body.get("roleScopeTags") or ["0"]),
                "payloads": [],
                "assignmentFilterManagementType": body.get("assignmentFilterManagementType", "devices"),
            }
            self.filters[created["id"]] = created
            self.filter_rules[created["id"]] = rule
            self.targeting_changed()
            return copy.deepcopy(created)

    @staticmethod
    def _compile_rule(rule: Any) -> Any:
        if not isinstance(rule, str) or not rule.strip():
            raise bad_request("An assignment filter needs a 'rule'.")
        try:
            return compile_filter_rule(rule)
        except ValueError as exc:
            raise bad_request(f"The filter rule is not valid: {exc}.") from None

    def update_filter(self, filter_id: str, body: Any) -> dict[str, Any]:
        """``PATCH /deviceManagement/assignmentFilters/{id}`` (displayName, description, rule); returns the
        updated filter."""
        if not isinstance(body, Mapping):
            raise bad_request("The request body must be a JSON object.")
        _check_filter_properties(body)
        with self.lock:
            found = self.filters.get(filter_id)
            if found is None:
                raise not_found(filter_id)
            if "rule" in body:
                self.filter_rules[filter_id] = self._compile_rule(body["rule"])
                found["rule"] = body["rule"]
            for key in ("displayName", "description", "roleScopeTags"):
                if key in body:
                    found[key] = copy.deepcopy(body[key])
            found["lastModifiedDateTime"] = iso(self.now())
            self.targeting_changed()
            return copy.deepcopy(found)

    def delete_filter(self, filter_id: str) -> None:
        """``DELETE /deviceManagement/assignmentFilters/{id}``; 400 while an assignment uses it."""
        with self.lock:
            if filter_id not in self.filters:
                raise not_found(filter_id)
            for profile in self.profiles.values():
                for assignment in profile.assignments:
                    if assignment["target"].get("deviceAndAppManagementAssignmentFilterId") == filter_id:
                        raise bad_request("The assignment filter is in use by an assignment.")
            del self.filters[filter_id]
            del self.filter_rules[filter_id]
            self.targeting_changed()


def _check_policy_properties(data: Mapping[str, Any]) -> None:
    """400 for a property a settings catalog policy does not have, or a value of the wrong JSON type (stored, it
    would break every later read of the policy)."""
    for key, value in data.items():
        allowed = _POLICY_FIELDS.get(key)
        if allowed is None:
            raise bad_request(f"Could not find a property named '{key}' on type "
                              "'microsoft.graph.deviceManagementConfigurationPolicy'.")
        if not isinstance(value, allowed):
            raise bad_request(f"Invalid value for property '{key}' of type "
                              "'microsoft.graph.deviceManagementConfigurationPolicy'.")
    tags = data.get("roleScopeTagIds")
    if tags is not None and not all(isinstance(tag, str) for tag in tags):
        raise bad_request("Invalid value for property 'roleScopeTagIds': a collection of strings is expected.")
    template = data.get("templateReference")
    if template and not isinstance(template.get("templateId", ""), (str, type(None))):
        raise bad_request("Invalid value for property 'templateId' of 'templateReference'.")


def _check_filter_properties(body: Mapping[str, Any]) -> None:
    """400 for an assignment filter's text properties or role scope tags of the wrong JSON type."""
    for key in ("displayName", "description", "platform", "assignmentFilterManagementType"):
        if not isinstance(body.get(key) or "", str):
            raise bad_request(f"Invalid value for property '{key}' of type "
                              "'microsoft.graph.deviceAndAppManagementAssignmentFilter'.")
    tags = body.get("roleScopeTags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
        raise bad_request("Invalid value for property 'roleScopeTags': a collection of strings is expected.")
