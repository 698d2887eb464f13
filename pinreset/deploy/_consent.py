"""Microsoft's two admin-consent URLs for the PIN reset apps, exactly as the PIN reset article publishes them.

Creating the service principals through Graph instantiates the apps but grants nothing; which permissions the
apps request is not published, so the interactive consent by an Application Administrator stays the documented
way to grant them. Microsoft's article notes that the consent page for one app may install only that app: open
both URLs, one after the other. A blank page (or a browser message about ``ms-appx-web``) after accepting is
expected.
"""

from __future__ import annotations

from pinreset.models import PinResetApp

__all__ = ["consent_urls"]

_URLS = {
    PinResetApp.SERVICE: (
        "https://login.windows.net/common/oauth2/authorize?response_type=code"
        "&client_id=b8456c59-1230-44c7-a4a2-99b085333e84"
        "&resource=https%3A%2F%2Fgraph.windows.net"
        "&redirect_uri=https%3A%2F%2Fcred.microsoft.com"
        "&state=e9191523-6c2f-4f1d-a4f9-c36f26f89df0&prompt=admin_consent"
    ),
    PinResetApp.CLIENT: (
        "https://login.windows.net/common/oauth2/authorize?response_type=code"
        "&client_id=9115dd05-fad5-4f9c-acc7-305d08b1b04e"
        "&resource=https%3A%2F%2Fcred.microsoft.com%2F"
        "&redirect_uri=ms-appx-web%3A%2F%2FMicrosoft.AAD.BrokerPlugin%2F9115dd05-fad5-4f9c-acc7-305d08b1b04e"
        "&state=6765f8c5-f4a7-4029-b667-46a6776ad611&prompt=admin_consent"
    ),
}


def consent_urls() -> dict[PinResetApp, str]:
    """Microsoft's admin-consent URLs for both PIN reset apps, Service first.

    Returns:
        app -> URL, verbatim from Microsoft's PIN reset article; open both (Service, then Client) as an
        Application Administrator and accept.
    """
    return dict(_URLS)
