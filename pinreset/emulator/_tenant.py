"""The emulated tenant: all in-memory state, one method per operation, no HTTP (moto's ``models.py``).

``Tenant`` combines the directory, permission grant, Intune configuration, status reporting and managed device
operations; each lives in its own module (``_directory.py``, ``_permissiongrants.py``, ``_intune.py``,
``_statusops.py``, ``_deviceops.py``) over the shared containers of ``_base.py``. Domain errors are
:class:`~pinreset.emulator._errors.GraphProblem`, carrying Graph's status and error code.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime

from pinreset.emulator._clock import SimClock
from pinreset.emulator._deviceops import DeviceOps
from pinreset.emulator._devices import DeviceFacts
from pinreset.emulator._directory import DirectoryOps
from pinreset.emulator._dsregcmd import render_dsregcmd
from pinreset.emulator._permissiongrants import GrantOps
from pinreset.emulator._seeddata import PIN_RESET_CLIENT_APP_ID, PIN_RESET_SERVICE_APP_ID, generate_state
from pinreset.emulator._statusops import StatusOps

__all__ = ["PIN_RESET_APP_IDS", "DeviceFacts", "Tenant"]

PIN_RESET_APP_IDS = {"service": PIN_RESET_SERVICE_APP_ID, "client": PIN_RESET_CLIENT_APP_ID}


class Tenant(DirectoryOps, GrantOps, StatusOps, DeviceOps):
    """One emulated Entra ID / Intune tenant with a fleet of simulated Windows devices.

    Build it with :meth:`generate`. Every public method is thread-safe (one re-entrant lock).

    Attributes:
        tenant_id: the tenant's GUID.
        display_name: the organization's name.
        initial_domain: the initial ``*.onmicrosoft.com`` domain.
        custom_domain: the verified custom domain (``Federated`` when generated with ``federated=True``).
        default_domain: the default verified domain (``isDefault`` in ``/organization`` and ``/domains``): the
            custom domain.
        clock: the simulated clock; advancing it runs the devices' periodic check-ins.
    """

    @classmethod
    def generate(
        cls,
        *,
        seed: int = 0,
        devices: int = 25,
        federated: bool = False,
        clock: SimClock | None = None,
        pin_reset_apps: Iterable[str] = (),
        error_devices: int = 0,
    ) -> Tenant:
        """Generate a tenant deterministically from ``seed``.

        Args:
            seed: drives every generated id, name and device fact.
            devices: number of managed Windows devices.
            federated: make the custom domain federated (web sign-in allowed URLs then matter).
            clock: a clock to share (e.g. with the sign-in side); a new ``SimClock(seed)`` otherwise.
            pin_reset_apps: PIN reset service principals to pre-install: ``"service"`` and/or ``"client"``.
            error_devices: how many devices (the last ones) have a broken MDM channel and report ``error``.

        Returns:
            The tenant.

        Raises:
            ValueError: for a negative device count or an unknown ``pin_reset_apps`` name.
        """
        if devices < 0 or error_devices < 0:
            raise ValueError("devices and error_devices must not be negative")
        names = tuple(pin_reset_apps)
        unknown = [n for n in names if n not in PIN_RESET_APP_IDS]
        if unknown:
            raise ValueError(f"unknown pin_reset_apps entries: {unknown}; use 'service' and/or 'client'")
        clock = clock or SimClock(seed)
        rng = random.Random(seed)
        state = generate_state(rng, clock.now(), devices=devices, federated=federated)
        tenant = cls(seed=seed, state=state, rng=rng, clock=clock, federated=federated)
        tenant.install_catalog_apps(include=tuple(PIN_RESET_APP_IDS[n] for n in names))
        for device in list(tenant.devices.values())[max(0, devices - error_devices):]:
            device.policy_error = True
        clock.subscribe(tenant._on_clock)
        return tenant

    def _on_clock(self, now: datetime) -> None:
        self.run_due_checkins(now)

    def advance(self, seconds: float) -> datetime:
        """Advance the simulated clock (devices whose periodic check-in falls due check in)."""
        return self.clock.advance(seconds)

    def render_dsregcmd(self, device: str, *, account: str = "user", admin_account: str | None = None) -> str:
        """The device's ``dsregcmd /status`` output.

        Args:
            device: device name, managed device id or Entra device id.
            account: ``"user"`` for the signed-in user's view, ``"admin"`` for a remote admin's network logon.
            admin_account: the admin's ``DOMAIN\\name`` shown as executing account in the admin view.

        Raises:
            GraphProblem: 404 for an unknown device.
            ValueError: for an unknown ``account``.
        """
        with self.lock:
            facts = self.device_facts(device)
            entity = self.devices[facts.managed_device_id]
            return render_dsregcmd(
                facts,
                tenant_id=self.tenant_id,
                tenant_name=self.display_name,
                thumbprint=entity.device_cert_thumbprint,
                key_container_id=entity.key_container_id,
                tpm_protected=entity.tpm_protected,
                enrolled=entity.enrolled,
                now=self.now(),
                account=account,
                admin_account=admin_account,
            )

    def __repr__(self) -> str:
        return f"Tenant(tenant_id={self.tenant_id!r}, display_name={self.display_name!r}, devices={len(self.devices)})"
