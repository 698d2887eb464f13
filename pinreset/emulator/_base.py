"""The state every part of the emulated tenant shares, and the helpers its operations use."""

from __future__ import annotations

import random
import threading
from datetime import datetime
from typing import Any

from pinreset.emulator._clock import SimClock
from pinreset.emulator._entities import Group, ManagedDevice, Profile, User
from pinreset.emulator._policies import DeviceRule, PinIntent, intent_of, targeted_devices
from pinreset.emulator._seeddata import SeedState, new_guid

__all__ = ["TenantBase"]


class TenantBase:
    """Containers and shared helpers; the operations live in the mixins that :class:`Tenant` combines.

    All public operations take ``self.lock`` (one re-entrant lock), because the HTTPS server is threaded.
    """

    def __init__(self, *, seed: int, state: SeedState, rng: random.Random, clock: SimClock, federated: bool) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock
        self.federated = federated
        self._rng = rng
        self.tenant_id = state.tenant_id
        self.display_name = state.display_name
        # The initial *.onmicrosoft.com domain; the verified custom domain is the default one (new users get it),
        # as in most production tenants.
        self.initial_domain = state.initial_domain
        self.custom_domain = state.custom_domain
        self.default_domain = state.custom_domain
        self.netbios = state.netbios
        self.domain_sid = state.domain_sid
        self.created = clock.now().replace(year=clock.now().year - 3)
        self.users: dict[str, User] = state.users
        self.groups: dict[str, Group] = state.groups
        self.devices: dict[str, ManagedDevice] = state.devices
        self.device_names: dict[str, str] = {d.device_name.lower(): d.id for d in state.devices.values()}
        self.service_principals: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        # Single-tenant applications registered in this tenant: appId -> {"displayName": ...}.
        self.applications: dict[str, dict[str, Any]] = {}
        self.profiles: dict[str, Profile] = {}
        self.filters: dict[str, dict[str, Any]] = {}
        self.filter_rules: dict[str, DeviceRule] = {}
        # Targeting is recomputed lazily when anything that influences it changes.
        self._targeting_version = 0
        self._targeting_cache_version = -1
        self._targets_by_profile: dict[str, set[str]] = {}
        self._profiles_by_device: dict[str, list[tuple[Profile, PinIntent]]] = {}

    # --- helpers -------------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The simulated current instant."""
        return self.clock.now()

    def new_id(self) -> str:
        """A fresh GUID from the tenant's seeded generator (deterministic for a given history)."""
        with self.lock:
            return new_guid(self._rng)

    def targeting_changed(self) -> None:
        """Invalidate the targeting cache (assignments, groups, filters or profiles changed)."""
        self._targeting_version += 1

    def _refresh_targeting(self) -> None:
        if self._targeting_cache_version == self._targeting_version:
            return
        by_profile: dict[str, set[str]] = {}
        by_device: dict[str, list[tuple[Profile, PinIntent]]] = {}
        for profile in self.profiles.values():
            targets = targeted_devices(profile, self.groups, self.devices, self.filter_rules)
            by_profile[profile.id] = targets
            intent = intent_of(profile, self.tenant_id)
            for device_id in targets:
                by_device.setdefault(device_id, []).append((profile, intent))
        self._targets_by_profile = by_profile
        self._profiles_by_device = by_device
        self._targeting_cache_version = self._targeting_version

    def profile_targets(self, profile_id: str) -> set[str]:
        """Ids of the devices a profile currently targets."""
        with self.lock:
            self._refresh_targeting()
            return self._targets_by_profile.get(profile_id, set())

    def device_targeting(self, device_id: str) -> list[tuple[Profile, PinIntent]]:
        """The profiles (with their intent) that currently target a device."""
        with self.lock:
            self._refresh_targeting()
            return self._profiles_by_device.get(device_id, [])
