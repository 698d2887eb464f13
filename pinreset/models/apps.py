"""The two Microsoft PIN reset enterprise apps and service principals."""

from __future__ import annotations

import enum

import attrs


class PinResetApp(enum.Enum):
    """The two multi-tenant Microsoft apps a tenant needs for non-destructive PIN reset.

    Values are the apps' application (client) ids, as published in Microsoft's PIN reset article.
    """

    SERVICE = "b8456c59-1230-44c7-a4a2-99b085333e84"
    CLIENT = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"

    @property
    def app_id(self) -> str:
        """The application (client) id."""
        return self.value

    @property
    def display_name(self) -> str:
        """The enterprise app's display name as Entra shows it."""
        return _DISPLAY_NAMES[self]


_DISPLAY_NAMES = {
    PinResetApp.SERVICE: "Microsoft Pin Reset Service Production",
    PinResetApp.CLIENT: "Microsoft Pin Reset Client Production",
}

PIN_RESET_APPS: tuple[PinResetApp, ...] = (PinResetApp.SERVICE, PinResetApp.CLIENT)


@attrs.frozen(kw_only=True)
class ServicePrincipal:
    """An enterprise app (service principal) in the tenant.

    Attributes:
        id: the service principal's object id in this tenant.
        app_id: the application (client) id it instantiates.
        display_name: as shown in Entra.
        account_enabled: ``False`` when an admin disabled sign-in for the app; ``None`` when unknown.
        app_owner_organization_id: the tenant that owns the application (Microsoft's, for the PIN reset apps).
    """

    id: str
    app_id: str
    display_name: str | None = None
    account_enabled: bool | None = None
    app_owner_organization_id: str | None = None
