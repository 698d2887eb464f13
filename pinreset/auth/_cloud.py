"""National clouds: each has its own sign-in authority and Graph root, and tokens do not cross between them."""

from __future__ import annotations

import enum

import attrs

from pinreset.exceptions import ConfigurationError

__all__ = ["Cloud", "CloudEndpoints"]


@attrs.frozen
class CloudEndpoints:
    """Where one cloud signs in and serves Graph.

    Attributes:
        authority_host: the identity platform root (msal authority = host + ``/`` + tenant id).
        graph_url: the Graph root without version.
        powershell_environment: the ``Connect-MgGraph -Environment`` name.
    """

    authority_host: str
    graph_url: str
    powershell_environment: str


class Cloud(enum.Enum):
    """The Microsoft clouds pinreset can manage (GCC keeps the global endpoints)."""

    GLOBAL = "global"
    US_GOV = "us_gov"  # GCC High (US Gov L4)
    US_GOV_DOD = "us_gov_dod"  # DoD (US Gov L5)
    CHINA = "china"  # operated by 21Vianet

    @property
    def endpoints(self) -> CloudEndpoints:
        """This cloud's endpoints."""
        return _ENDPOINTS[self]

    @property
    def authority_host(self) -> str:
        """The identity platform root, e.g. ``https://login.microsoftonline.us``."""
        return _ENDPOINTS[self].authority_host

    @property
    def graph_url(self) -> str:
        """The Graph root, e.g. ``https://graph.microsoft.us``."""
        return _ENDPOINTS[self].graph_url

    @property
    def powershell_environment(self) -> str:
        """The ``Connect-MgGraph -Environment`` value, e.g. ``USGov``."""
        return _ENDPOINTS[self].powershell_environment

    @classmethod
    def parse(cls, name: str | Cloud) -> Cloud:
        """Read a cloud from its name or an alias (``USGov``, ``gcc-high``, ``dod``, ``AzureChinaCloud``).

        Raises:
            ConfigurationError: for an unknown name.
        """
        if isinstance(name, Cloud):
            return name
        key = name.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        cloud = _ALIASES.get(key)
        if cloud is None:
            known = ", ".join(c.value for c in cls)
            raise ConfigurationError(f"unknown cloud {name!r}; use one of: {known}")
        return cloud


_ENDPOINTS: dict[Cloud, CloudEndpoints] = {
    Cloud.GLOBAL: CloudEndpoints("https://login.microsoftonline.com", "https://graph.microsoft.com", "Global"),
    Cloud.US_GOV: CloudEndpoints("https://login.microsoftonline.us", "https://graph.microsoft.us", "USGov"),
    Cloud.US_GOV_DOD: CloudEndpoints("https://login.microsoftonline.us", "https://dod-graph.microsoft.us", "USGovDoD"),
    Cloud.CHINA: CloudEndpoints("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "China"),
}

_ALIASES: dict[str, Cloud] = {
    "global": Cloud.GLOBAL,
    "public": Cloud.GLOBAL,
    "azurecloud": Cloud.GLOBAL,
    "azurepubliccloud": Cloud.GLOBAL,
    "gcc": Cloud.GLOBAL,
    "usgov": Cloud.US_GOV,
    "gcchigh": Cloud.US_GOV,
    "azureusgovernment": Cloud.US_GOV,
    "usgovdod": Cloud.US_GOV_DOD,
    "dod": Cloud.US_GOV_DOD,
    "china": Cloud.CHINA,
    "azurechinacloud": Cloud.CHINA,
}

#: Authority hosts msal knows; any other host (a proxy, the emulator) is used without instance discovery.
KNOWN_AUTHORITY_HOSTS = frozenset(e.authority_host for e in _ENDPOINTS.values())
