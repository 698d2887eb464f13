"""What the tenant should look like: :class:`DesiredState` and its building blocks.

A desired state is pure data. Group names are resolved to ids only when a plan is made, through the backend, so
the same ``DesiredState`` can be kept in a script and applied to several tenants.
"""

from __future__ import annotations

import enum
import re

import attrs

from pinreset.exceptions import ConfigurationError
from pinreset.models import PolicyKind

__all__ = ["DEFAULT_POLICY_NAME", "MARKER", "AllUsers", "DesiredState", "Groups", "Method"]

#: Written into the description of every policy pinreset creates; how pinreset finds its own objects again
#: (after a crash, on another machine, for ``remove``) without keeping any local state.
MARKER = "[managed-by:pinreset]"

DEFAULT_POLICY_NAME = "pinreset: Windows Hello PIN recovery"

# A domain as ConfigureWebSignInAllowedUrls expects it: host names only, no scheme, path or port.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")


class Method(enum.Enum):
    """Which Intune route carries the setting.

    ``SETTINGS_CATALOG`` is the default: Microsoft365DSC deprecated the Identity protection template in favour of
    settings catalog / Account protection policies, and Microsoft's own walkthrough now points there.
    """

    SETTINGS_CATALOG = "settings-catalog"
    IDENTITY_PROTECTION = "identity-protection"
    CUSTOM_OMA_URI = "custom-oma-uri"

    @property
    def kind(self) -> PolicyKind:
        """The policy kind this method creates."""
        return _KINDS[self]


_KINDS = {
    Method.SETTINGS_CATALOG: PolicyKind.SETTINGS_CATALOG,
    Method.IDENTITY_PROTECTION: PolicyKind.IDENTITY_PROTECTION,
    Method.CUSTOM_OMA_URI: PolicyKind.CUSTOM_OMA_URI,
}


@attrs.frozen
class AllUsers:
    """Target every licensed user (Intune's "All users")."""

    def __str__(self) -> str:
        return "all users"


@attrs.frozen(init=False)
class Groups:
    """Target (or exclude) Entra groups, named by their exact display names.

    ``Groups("Pilot", "Helpdesk")``.
    """

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        cleaned = tuple(dict.fromkeys(n.strip() for n in names))
        if not cleaned or any(not n for n in cleaned):
            raise ConfigurationError("Groups() needs at least one non-empty group name")
        self.__attrs_init__(names=cleaned)

    def __str__(self) -> str:
        return ", ".join(f"group {n!r}" for n in self.names)


def _to_domains(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ConfigurationError("web_sign_in_allowed_urls must be a sequence of domain names")
    domains: list[str] = []
    for item in value:
        # Users paste URLs; the CSP wants bare domains separated by ';' (domain.md §7).
        text = str(item).strip().lower()
        text = re.sub(r"^https?://", "", text).rstrip("/")
        if not _DOMAIN.match(text):
            raise ConfigurationError(
                f"web sign-in allowed URL {item!r} is not a domain name (expected e.g. 'signin.contoso.com')"
            )
        if text not in domains:
            domains.append(text)
    return tuple(domains)


def _check_name(_instance: object, _attribute: object, value: str) -> None:
    if not value.strip():
        raise ConfigurationError("the policy name must not be empty")
    if MARKER in value:
        raise ConfigurationError(f"the policy name must not contain the marker {MARKER}")


def _check_assign_to(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, (AllUsers, Groups)):
        raise ConfigurationError("assign_to must be AllUsers() or Groups('name', ...)")


def _check_exclude(_instance: object, _attribute: object, value: object) -> None:
    if value is not None and not isinstance(value, Groups):
        raise ConfigurationError("exclude must be Groups('name', ...) or None")


def _to_method(value: object) -> Method:
    if isinstance(value, Method):
        return value
    try:
        return Method(str(value).replace("_", "-").lower())
    except ValueError:
        choices = ", ".join(m.value for m in Method)
        raise ConfigurationError(f"unknown method {value!r} (choose one of: {choices})") from None


@attrs.frozen(kw_only=True)
class DesiredState:
    """The PIN reset configuration a tenant should have.

    Attributes:
        assign_to: who receives the policy: :class:`AllUsers` or :class:`Groups`.
        exclude: groups excluded from the assignment, or ``None``.
        name: the policy's display name.
        method: the Intune route (:class:`Method`), settings catalog by default.
        web_sign_in_allowed_urls: domains for ConfigureWebSignInAllowedUrls; federated tenants need their
            identity provider's sign-in domains here, or PIN reset above the lock screen fails with "We can't
            open that page right now".
        provision_apps: create the two Microsoft PIN reset service principals when they are missing.
    """

    assign_to: AllUsers | Groups = attrs.field(factory=AllUsers, validator=_check_assign_to)
    exclude: Groups | None = attrs.field(default=None, validator=_check_exclude)  # type: ignore[assignment]
    name: str = attrs.field(default=DEFAULT_POLICY_NAME, validator=_check_name)
    method: Method = attrs.field(default=Method.SETTINGS_CATALOG, converter=_to_method)
    web_sign_in_allowed_urls: tuple[str, ...] = attrs.field(default=(), converter=_to_domains)
    provision_apps: bool = True

    def __attrs_post_init__(self) -> None:
        if self.method is Method.IDENTITY_PROTECTION and self.web_sign_in_allowed_urls:
            # Refused before anything is written: the template has no such setting, so apply would stop midway.
            raise ConfigurationError(
                "the identity protection template cannot set web sign-in allowed URLs; "
                "use the settings-catalog or custom-oma-uri method"
            )
        if isinstance(self.assign_to, Groups) and self.exclude is not None:
            both = sorted(set(self.assign_to.names) & set(self.exclude.names))
            if both:
                raise ConfigurationError(f"group {both[0]!r} is both assigned and excluded")

    @property
    def group_names(self) -> tuple[str, ...]:
        """Every group name this state refers to (targets first, then exclusions)."""
        names = list(self.assign_to.names) if isinstance(self.assign_to, Groups) else []
        if self.exclude is not None:
            names.extend(n for n in self.exclude.names if n not in names)
        return tuple(names)

    @property
    def description(self) -> str:
        """The description pinreset writes on its policy, carrying the marker."""
        return (
            f"{MARKER} Enables Windows Hello for Business and non-destructive PIN recovery. "
            "Created by pinreset; change it with `pinreset apply`, remove it with `pinreset remove`."
        )
