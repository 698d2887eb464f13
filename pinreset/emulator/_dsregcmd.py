"""Render a simulated device's ``dsregcmd /status`` output in the real layout.

The layout follows Microsoft's published outputs: ``+---+`` ruled section boxes 72 characters wide, and each field
as a right-aligned ``Name : Value`` line (names right-aligned to 26 columns). Values come from the device's state;
the account parameter decides whose User State, SSO State and Ngc Prerequisite Check are printed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pinreset.emulator._devices import DeviceFacts

__all__ = ["render_dsregcmd"]

_RULE = "+" + "-" * 70 + "+"
_WAM_GUID = "{B16898C6-A148-4967-9171-64D755DA8520} (AzureAd)"
_KERB_NAMES = ".windows.net,.windows.net:1433,.windows.net:3342,.azure.net,.azure.net:1433,.azure.net:3342"


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000 UTC")


def _section(title: str, fields: list[tuple[str, str]]) -> list[str]:
    lines = [_RULE, f"| {title:<68} |", _RULE, ""]
    for name, value in fields:
        if name == "":
            lines.append("")
            continue
        lines.append(f"{name:>26} : {value}".rstrip())
    lines.append("")
    return lines


def render_dsregcmd(
    facts: DeviceFacts,
    *,
    tenant_id: str,
    tenant_name: str,
    thumbprint: str,
    key_container_id: str,
    tpm_protected: bool,
    enrolled: datetime,
    now: datetime,
    account: str = "user",
    admin_account: str | None = None,
) -> str:
    """The full ``dsregcmd /status`` text of a device.

    Args:
        facts: the device snapshot.
        tenant_id / tenant_name: the tenant the device is joined to.
        thumbprint / key_container_id / tpm_protected / enrolled: device certificate facts.
        now: the simulated current instant (PRT times).
        account: ``"user"`` (the signed-in user's view) or ``"admin"`` (a remote administrator's network logon).
        admin_account: the administrator's ``DOMAIN\\name`` for the admin view.

    Returns:
        The output, lines joined with ``\\n`` and ending with the aadjerrors link as Windows prints it.

    Raises:
        ValueError: for an unknown ``account``.
    """
    if account not in ("user", "admin"):
        raise ValueError("account must be 'user' or 'admin'")
    admin = account == "admin"
    entra_joined = facts.join_type in ("azureADJoined", "hybridAzureADJoined")
    domain_joined = facts.join_type in ("hybridAzureADJoined", "domainJoined")
    registered = facts.join_type == "azureADRegistered"
    user_present = facts.signed_in_user_upn is not None and not admin
    suffix = f".{facts.domain_name.lower()}.local" if domain_joined and facts.domain_name else ""
    hostname = facts.device_name + suffix

    device_state = [("AzureAdJoined", _yes(entra_joined)), ("EnterpriseJoined", "NO"),
                    ("DomainJoined", _yes(domain_joined))]
    if domain_joined:
        device_state.append(("DomainName", facts.domain_name or ""))
    device_state += [("Virtual Desktop", "NOT SET"), ("Device Name", hostname)]
    lines = _section("Device State", device_state)

    if entra_joined:
        validity = f"[ {_stamp(enrolled)} -- {_stamp(enrolled.replace(year=enrolled.year + 10))} ]"
        lines += _section("Device Details", [
            ("DeviceId", facts.azure_ad_device_id),
            ("Thumbprint", thumbprint),
            ("DeviceCertificateValidity", validity),
            ("KeyContainerId", key_container_id),
            ("KeyProvider", "Microsoft Platform Crypto Provider" if tpm_protected
             else "Microsoft Software Key Storage Provider"),
            ("TpmProtected", _yes(tpm_protected)),
            ("DeviceAuthStatus", "SUCCESS"),
        ])
        drs = "urn:ms-drs:enterpriseregistration.windows.net"
        lines += _section("Tenant Details", [
            ("TenantName", tenant_name),
            ("TenantId", tenant_id),
            ("Idp", "login.windows.net"),
            ("AuthCodeUrl", f"https://login.microsoftonline.com/{tenant_id}/oauth2/authorize"),
            ("AccessTokenUrl", f"https://login.microsoftonline.com/{tenant_id}/oauth2/token"),
            ("MdmUrl", "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"),
            ("MdmTouUrl", "https://portal.manage.microsoft.com/TermsofUse.aspx"),
            ("MdmComplianceUrl", "https://portal.manage.microsoft.com/?portalAction=Compliance"),
            ("SettingsUrl", ""),
            ("JoinSrvVersion", "2.0"),
            ("JoinSrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/device/"),
            ("JoinSrvId", drs),
            ("KeySrvVersion", "1.0"),
            ("KeySrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/key/"),
            ("KeySrvId", drs),
            ("WebAuthNSrvVersion", "1.0"),
            ("WebAuthNSrvUrl", f"https://enterpriseregistration.windows.net/webauthn/{tenant_id}/"),
            ("WebAuthNSrvId", drs),
            ("DeviceManagementSrvVer", "1.0"),
            ("DeviceManagementSrvUrl", f"https://enterpriseregistration.windows.net/manage/{tenant_id}/"),
            ("DeviceManagementSrvId", drs),
        ])

    ngc = user_present and facts.ngc_set
    user_state = [("NgcSet", _yes(ngc))]
    if ngc:
        user_state.append(("NgcKeyId", facts.ngc_key_id or ""))
        user_state.append(("CanReset", facts.can_reset or "DestructiveOnly"))
    user_state.append(("WorkplaceJoined", _yes(registered and user_present)))
    if registered and user_present:
        user_state.append(("WorkAccountCount", "1"))
    wam = user_present and entra_joined
    user_state.append(("WamDefaultSet", _yes(wam)))
    if wam:
        user_state += [("WamDefaultAuthority", "organizations"), ("WamDefaultId", "https://login.microsoft.com"),
                       ("WamDefaultGUID", _WAM_GUID)]
    lines += _section("User State", user_state)

    prt = user_present and entra_joined
    sso = [("AzureAdPrt", _yes(prt))]
    if prt:
        issued = now - timedelta(hours=2)
        sso += [("AzureAdPrtUpdateTime", _stamp(issued)),
                ("AzureAdPrtExpiryTime", _stamp(issued + timedelta(days=14))),
                ("AzureAdPrtAuthority", f"https://login.microsoftonline.com/{tenant_id}")]
    sso += [("EnterprisePrt", "NO"), ("EnterprisePrtAuthority", ""),
            ("OnPremTgt", _yes(prt and domain_joined)), ("CloudTgt", _yes(prt)),
            ("KerbTopLevelNames", _KERB_NAMES if prt else "")]
    lines += _section("SSO State", sso)

    if registered and user_present:
        lines += _section("Work Account 1", [
            ("WorkplaceDeviceId", facts.azure_ad_device_id),
            ("WorkplaceThumbprint", thumbprint),
            ("KeyContainerId", key_container_id),
            ("TpmProtected", _yes(tpm_protected)),
            ("WorkplaceTenantId", tenant_id),
            ("WorkplaceTenantName", tenant_name),
            ("WorkplaceMdmUrl", "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"),
            ("WorkplaceSettingsUrl", ""),
            ("NgcSet", "NO"),
        ])

    if admin:
        executing = admin_account or f"{facts.domain_name or facts.device_name}\\Administrator"
    elif facts.signed_in_user_upn:
        prefix = facts.domain_name if facts.join_type == "hybridAzureADJoined" and facts.domain_name else "AzureAD"
        executing = f"{prefix}\\{facts.signed_in_user_upn.split('@')[0]}, {facts.signed_in_user_upn}"
    else:
        executing = f"{facts.device_name}\\defaultuser0"
    lines += _section("Diagnostic Data", [
        ("AadRecoveryEnabled", "NO"),
        ("Executing Account Name", executing),
        ("KeySignTest", "PASSED" if admin and entra_joined else "MUST Run elevated to test."),
        ("", ""),
        ("DisplayNameUpdated", "YES"),
        ("OsVersionUpdated", "YES"),
        ("HostNameUpdated", "YES"),
        ("", ""),
        ("Last HostName Update", "NONE"),
    ])
    lines += _section("IE Proxy Config for Current User", [
        ("Auto Detect Settings", "YES"), ("Auto-Configuration URL", ""), ("Proxy Server List", ""),
        ("Proxy Bypass List", ""),
    ])
    lines += _section("WinHttp Default Proxy Config", [("Access Type", "DIRECT")])

    user_azure = user_present and entra_joined
    eligible_device = entra_joined and facts.build >= 15063
    policy_enabled = not facts.whfb_blocked
    session_local = not admin
    will = entra_joined and user_azure and policy_enabled and eligible_device and session_local
    ngc_check = [
        ("IsDeviceJoined", _yes(entra_joined)),
        ("IsUserAzureAD", _yes(user_azure)),
        ("PolicyEnabled", _yes(policy_enabled)),
        ("PostLogonEnabled", "YES"),
        ("DeviceEligible", _yes(eligible_device)),
        ("SessionIsNotRemote", _yes(session_local)),
        ("CertEnrollment", "none"),
        ("PreReqResult", "WillProvision" if will else "WillNotProvision"),
    ]
    lines += _section("Ngc Prerequisite Check", ngc_check)
    lines.append("For more information, please visit https://www.microsoft.com/aadjerrors")
    return "\n".join(lines) + "\n"
