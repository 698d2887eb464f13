"""DesiredState validation and consent URLs."""

from __future__ import annotations

import pytest

from pinreset.deploy import AllUsers, DesiredState, Groups, Method, consent_urls
from pinreset.exceptions import ConfigurationError
from pinreset.models import PinResetApp, PolicyKind


def test_defaults_target_all_users_with_settings_catalog() -> None:
    """The default state assigns to all users through the settings catalog and provisions the apps."""
    desired = DesiredState()
    assert isinstance(desired.assign_to, AllUsers)
    assert desired.method is Method.SETTINGS_CATALOG
    assert desired.method.kind is PolicyKind.SETTINGS_CATALOG
    assert desired.provision_apps is True
    assert "[managed-by:pinreset]" in desired.description


def test_web_sign_in_urls_are_normalised_to_domains() -> None:
    """Pasted URLs become bare lower-case domains, deduplicated."""
    urls = ("https://SignIn.Contoso.com/", "signin.contoso.com", "adfs.contoso.com")
    desired = DesiredState(web_sign_in_allowed_urls=urls)
    assert desired.web_sign_in_allowed_urls == ("signin.contoso.com", "adfs.contoso.com")


@pytest.mark.parametrize("bad", ["signin.contoso.com/path", "a;b.com", "nodot", ""])
def test_bad_web_sign_in_url_names_the_value(bad: str) -> None:
    """A value that is not a domain is refused with a message that quotes it."""
    with pytest.raises(ConfigurationError, match="not a domain"):
        DesiredState(web_sign_in_allowed_urls=(bad,))


def test_method_accepts_cli_spelling_and_rejects_unknown() -> None:
    """Methods can be given as strings; an unknown one lists the choices."""
    assert DesiredState(method="identity-protection").method is Method.IDENTITY_PROTECTION  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="settings-catalog"):
        DesiredState(method="gpo")  # type: ignore[arg-type]


def test_group_both_assigned_and_excluded_is_refused() -> None:
    """Assigning and excluding the same group is a contradiction."""
    with pytest.raises(ConfigurationError, match="Pilot"):
        DesiredState(assign_to=Groups("Pilot", "IT"), exclude=Groups("Pilot"))


def test_groups_need_a_name() -> None:
    """Groups() without names is an error, not an empty assignment."""
    with pytest.raises(ConfigurationError):
        Groups()
    assert Groups("A", "A", " B ").names == ("A", "B")


def test_name_must_not_hold_the_marker() -> None:
    """The marker belongs in the description only, so a name cannot fake it."""
    with pytest.raises(ConfigurationError):
        DesiredState(name="x [managed-by:pinreset]")


def test_consent_urls_are_microsofts_published_ones() -> None:
    """Both URLs are returned verbatim as the PIN reset article publishes them, Service first."""
    urls = consent_urls()
    assert list(urls) == [PinResetApp.SERVICE, PinResetApp.CLIENT]
    assert urls[PinResetApp.SERVICE] == (
        "https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=b8456c59-1230-44c7-a4a2-"
        "99b085333e84&resource=https%3A%2F%2Fgraph.windows.net&redirect_uri=https%3A%2F%2Fcred.microsoft.com"
        "&state=e9191523-6c2f-4f1d-a4f9-c36f26f89df0&prompt=admin_consent"
    )
    assert urls[PinResetApp.CLIENT] == (
        "https://login.windows.net/common/oauth2/authorize?response_type=code&client_id=9115dd05-fad5-4f9c-acc7-"
        "305d08b1b04e&resource=https%3A%2F%2Fcred.microsoft.com%2F&redirect_uri=ms-appx-web%3A%2F%2FMicrosoft.AAD."
        "BrokerPlugin%2F9115dd05-fad5-4f9c-acc7-305d08b1b04e&state=6765f8c5-f4a7-4029-b667-46a6776ad611"
        "&prompt=admin_consent"
    )


def test_identity_protection_cannot_carry_web_sign_in_urls() -> None:
    """Web sign-in URLs with the identity protection method are refused before anything is written."""
    with pytest.raises(ConfigurationError, match="settings-catalog"):
        DesiredState(method=Method.IDENTITY_PROTECTION, web_sign_in_allowed_urls=("adfs.contoso.com",))
