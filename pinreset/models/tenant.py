"""The tenant itself and its groups."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class TenantInfo:
    """The organization.

    Attributes:
        id: the tenant id (a GUID string).
        display_name: the organization's name.
        verified_domains: every verified domain name.
        default_domain: the default verified domain.
        federated_domains: verified domains whose authentication is federated (AD FS or a third-party IdP);
            non-empty means Entra-joined devices need web sign-in allowed URLs for PIN reset above the lock
            screen.
    """

    id: str
    display_name: str | None = None
    verified_domains: tuple[str, ...] = ()
    default_domain: str | None = None
    federated_domains: tuple[str, ...] = ()

    @property
    def is_federated(self) -> bool:
        """True when any verified domain is federated."""
        return bool(self.federated_domains)


@attrs.frozen(kw_only=True)
class Group:
    """An Entra group used to target policies.

    Attributes:
        id: object id.
        display_name: the group's name.
    """

    id: str
    display_name: str
