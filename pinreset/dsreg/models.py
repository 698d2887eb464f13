"""Typed, frozen models of the sections of ``dsregcmd /status`` output, one class per section.

Attribute names come from the printed keys by one rule (see ``docs/dsregcmd.md``): ``AzureAdPrtUpdateTime`` ->
``azure_ad_prt_update_time``. Each field's metadata names the converter that types its printed text. Keys a
model does not know stay in its ``extra`` mapping (printed key -> text), and every key of every section stays
in ``DsregStatus.sections`` (:mod:`pinreset.dsreg.status`), so a newer Windows build never loses data.

``raw`` maps an attribute name to its printed text whenever that text said more than the typed value holds:
``WamDefaultSet : ERROR`` gives ``wam_default_set is None`` and ``raw["wam_default_set"] == "ERROR"``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from pinreset.dsreg._values import (
    CanReset,
    Converter,
    JoinState,
    PreReqResult,
    to_can_reset,
    to_flag,
    to_guid,
    to_int,
    to_pre_req_result,
    to_text,
    to_time,
)

__all__ = [
    "DeviceDetailsSection",
    "DeviceStateSection",
    "DiagnosticDataSection",
    "IeProxyConfigSection",
    "NgcPrerequisiteCheckSection",
    "SsoStateSection",
    "TenantDetailsSection",
    "UserStateSection",
    "WinHttpProxyConfigSection",
    "WorkAccountSection",
]


# Field metadata: the converter that types a field's printed text (see _values.py).
_TEXT: dict[str, Converter] = {"convert": to_text}
_FLAG: dict[str, Converter] = {"convert": to_flag}
_GUID: dict[str, Converter] = {"convert": to_guid}
_TIME: dict[str, Converter] = {"convert": to_time}
_INT: dict[str, Converter] = {"convert": to_int}
_CAN_RESET: dict[str, Converter] = {"convert": to_can_reset}
_PRE_REQ_RESULT: dict[str, Converter] = {"convert": to_pre_req_result}


def _extra() -> Any:
    return attrs.field(factory=dict, kw_only=True, repr=False)


def _validity_bound(text: str | None, index: int) -> datetime | None:
    # "[ 2025-03-09 10:23:00.000 UTC -- 2035-03-09 11:53:00.000 UTC ]"
    if not text:
        return None
    parts = text.strip("[] ").split(" -- ")
    if len(parts) != 2:
        return None
    return to_time(parts[index].strip())[0]


@attrs.frozen(kw_only=True, slots=False)
class DeviceStateSection:
    """``Device State``: how the device is joined. In the legacy 1607 layout it also held device and tenant keys.

    Attributes:
        azure_ad_joined: ``AzureAdJoined``.
        enterprise_joined: ``EnterpriseJoined`` (on-premises DRS).
        domain_joined: ``DomainJoined`` (Active Directory).
        domain_name: ``DomainName``.
        device_name: ``Device Name``.
        virtual_desktop: ``Virtual Desktop`` as printed, e.g. ``NOT SET``.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    azure_ad_joined: bool | None = attrs.field(default=None, metadata=_FLAG)
    enterprise_joined: bool | None = attrs.field(default=None, metadata=_FLAG)
    domain_joined: bool | None = attrs.field(default=None, metadata=_FLAG)
    domain_name: str | None = attrs.field(default=None, metadata=_TEXT)
    device_name: str | None = attrs.field(default=None, metadata=_TEXT)
    virtual_desktop: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()

    @property
    def join_type(self) -> JoinState:
        """The join state from the three device flags (DSREG join matrix).

        ``REGISTERED`` needs User State's ``WorkplaceJoined``; ``DsregStatus.join_type`` includes it.
        """
        flags = (self.azure_ad_joined, self.enterprise_joined, self.domain_joined)
        return _JOIN_MATRIX.get(flags, JoinState.UNKNOWN)


_JOIN_MATRIX: dict[tuple[bool | None, bool | None, bool | None], JoinState] = {
    (True, False, False): JoinState.ENTRA_JOINED,
    (False, False, True): JoinState.DOMAIN_JOINED,
    (True, False, True): JoinState.HYBRID_JOINED,
    (False, True, True): JoinState.ON_PREM_DRS_JOINED,
    (False, False, False): JoinState.NOT_JOINED,
    # EnterpriseJoined is absent from some older and trimmed outputs; the other two flags still decide.
    (True, None, False): JoinState.ENTRA_JOINED,
    (True, None, True): JoinState.HYBRID_JOINED,
    (False, None, True): JoinState.DOMAIN_JOINED,
    (False, None, False): JoinState.NOT_JOINED,
}


@attrs.frozen(kw_only=True, slots=False)
class DeviceDetailsSection:
    """``Device Details``: the device's identity in Entra ID (joined devices only).

    Attributes:
        device_id: ``DeviceId``; a :class:`uuid.UUID`, or the text when it is not a GUID (e.g. redacted).
        thumbprint: ``Thumbprint`` of the device certificate.
        device_certificate_validity: ``DeviceCertificateValidity`` as printed.
        key_container_id: ``KeyContainerId``.
        key_provider: ``KeyProvider``.
        tpm_protected: ``TpmProtected``.
        device_auth_status: ``DeviceAuthStatus``, e.g. ``SUCCESS`` (Windows 10 21H1 and later).
        virtual_desktop: ``Virtual Desktop``.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    device_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    thumbprint: str | None = attrs.field(default=None, metadata=_TEXT)
    device_certificate_validity: str | None = attrs.field(default=None, metadata=_TEXT)
    key_container_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    key_provider: str | None = attrs.field(default=None, metadata=_TEXT)
    tpm_protected: bool | None = attrs.field(default=None, metadata=_FLAG)
    device_auth_status: str | None = attrs.field(default=None, metadata=_TEXT)
    virtual_desktop: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()

    @property
    def certificate_valid_from(self) -> datetime | None:
        """Start of the device certificate's validity, from ``DeviceCertificateValidity``."""
        return _validity_bound(self.device_certificate_validity, 0)

    @property
    def certificate_valid_until(self) -> datetime | None:
        """End of the device certificate's validity, from ``DeviceCertificateValidity``."""
        return _validity_bound(self.device_certificate_validity, 1)


@attrs.frozen(kw_only=True, slots=False)
class TenantDetailsSection:
    """``Tenant Details``: the Entra tenant and the service endpoints the device uses.

    Attributes:
        tenant_name: ``TenantName``.
        tenant_id: ``TenantId``; a :class:`uuid.UUID`, or the text when it is not a GUID (e.g. redacted).
        idp: ``Idp``.
        auth_code_url, access_token_url: the tenant's OAuth endpoints.
        mdm_url, mdm_tou_url, mdm_compliance_url: MDM enrollment, terms of use and compliance URLs.
        settings_url: ``SettingsUrl``.
        join_srv_version, join_srv_url, join_srv_id: device registration service.
        key_srv_version, key_srv_url, key_srv_id: key registration service.
        web_auth_n_srv_version, web_auth_n_srv_url, web_auth_n_srv_id: ``WebAuthNSrv*``.
        device_management_srv_ver, device_management_srv_url, device_management_srv_id: ``DeviceManagementSrv*``.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    tenant_name: str | None = attrs.field(default=None, metadata=_TEXT)
    tenant_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    idp: str | None = attrs.field(default=None, metadata=_TEXT)
    auth_code_url: str | None = attrs.field(default=None, metadata=_TEXT)
    access_token_url: str | None = attrs.field(default=None, metadata=_TEXT)
    mdm_url: str | None = attrs.field(default=None, metadata=_TEXT)
    mdm_tou_url: str | None = attrs.field(default=None, metadata=_TEXT)
    mdm_compliance_url: str | None = attrs.field(default=None, metadata=_TEXT)
    settings_url: str | None = attrs.field(default=None, metadata=_TEXT)
    join_srv_version: str | None = attrs.field(default=None, metadata=_TEXT)
    join_srv_url: str | None = attrs.field(default=None, metadata=_TEXT)
    join_srv_id: str | None = attrs.field(default=None, metadata=_TEXT)
    key_srv_version: str | None = attrs.field(default=None, metadata=_TEXT)
    key_srv_url: str | None = attrs.field(default=None, metadata=_TEXT)
    key_srv_id: str | None = attrs.field(default=None, metadata=_TEXT)
    web_auth_n_srv_version: str | None = attrs.field(default=None, metadata=_TEXT)
    web_auth_n_srv_url: str | None = attrs.field(default=None, metadata=_TEXT)
    web_auth_n_srv_id: str | None = attrs.field(default=None, metadata=_TEXT)
    device_management_srv_ver: str | None = attrs.field(default=None, metadata=_TEXT)
    device_management_srv_url: str | None = attrs.field(default=None, metadata=_TEXT)
    device_management_srv_id: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class UserStateSection:
    """``User State``: the account that ran dsregcmd, including its Windows Hello container.

    Attributes:
        ngc_set: ``NgcSet``: the user has a Windows Hello for Business container.
        ngc_key_id: ``NgcKeyId``.
        can_reset: ``CanReset``: which PIN resets the container supports.
        workplace_joined: ``WorkplaceJoined`` (Entra registered).
        work_account_count: ``WorkAccountCount``.
        wam_default_set: ``WamDefaultSet`` (``ERROR`` when run elevated: None, text in ``raw``).
        wam_default_authority, wam_default_id, wam_default_guid: the default web account manager account.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    ngc_set: bool | None = attrs.field(default=None, metadata=_FLAG)
    ngc_key_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    can_reset: CanReset | None = attrs.field(default=None, metadata=_CAN_RESET)
    workplace_joined: bool | None = attrs.field(default=None, metadata=_FLAG)
    work_account_count: int | None = attrs.field(default=None, metadata=_INT)
    wam_default_set: bool | None = attrs.field(default=None, metadata=_FLAG)
    wam_default_authority: str | None = attrs.field(default=None, metadata=_TEXT)
    wam_default_id: str | None = attrs.field(default=None, metadata=_TEXT)
    wam_default_guid: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class SsoStateSection:
    """``SSO State``: primary refresh tokens and Kerberos tickets of the account that ran dsregcmd.

    The ``AcquirePrtDiagnostics``/``RefreshPrtDiagnostics`` block fields hold the first block printed; a
    second block's keys are in :attr:`DsregStatus.sections` with a ``#2`` suffix.

    Attributes:
        azure_ad_prt: ``AzureAdPrt``.
        azure_ad_prt_update_time, azure_ad_prt_expiry_time: aware UTC datetimes.
        azure_ad_prt_authority: ``AzureAdPrtAuthority``.
        enterprise_prt, enterprise_prt_update_time, enterprise_prt_expiry_time, enterprise_prt_authority:
            the AD FS PRT.
        acquire_prt_diagnostics, refresh_prt_diagnostics: ``PRESENT`` when a diagnostics block follows.
        previous_prt_attempt: time of the last failed attempt; attempt_status, user_identity, credential_type,
        correlation_id, endpoint_uri, http_method, http_error, http_status, server_error_code,
        server_error_description: its details.
        on_prem_tgt, cloud_tgt: Kerberos TGTs; kerb_top_level_names: ``KerbTopLevelNames``.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    azure_ad_prt: bool | None = attrs.field(default=None, metadata=_FLAG)
    azure_ad_prt_update_time: datetime | None = attrs.field(default=None, metadata=_TIME)
    azure_ad_prt_expiry_time: datetime | None = attrs.field(default=None, metadata=_TIME)
    azure_ad_prt_authority: str | None = attrs.field(default=None, metadata=_TEXT)
    enterprise_prt: bool | None = attrs.field(default=None, metadata=_FLAG)
    enterprise_prt_update_time: datetime | None = attrs.field(default=None, metadata=_TIME)
    enterprise_prt_expiry_time: datetime | None = attrs.field(default=None, metadata=_TIME)
    enterprise_prt_authority: str | None = attrs.field(default=None, metadata=_TEXT)
    acquire_prt_diagnostics: str | None = attrs.field(default=None, metadata=_TEXT)
    refresh_prt_diagnostics: str | None = attrs.field(default=None, metadata=_TEXT)
    previous_prt_attempt: datetime | None = attrs.field(default=None, metadata=_TIME)
    attempt_status: str | None = attrs.field(default=None, metadata=_TEXT)
    user_identity: str | None = attrs.field(default=None, metadata=_TEXT)
    credential_type: str | None = attrs.field(default=None, metadata=_TEXT)
    correlation_id: str | None = attrs.field(default=None, metadata=_TEXT)
    endpoint_uri: str | None = attrs.field(default=None, metadata=_TEXT)
    http_method: str | None = attrs.field(default=None, metadata=_TEXT)
    http_error: str | None = attrs.field(default=None, metadata=_TEXT)
    http_status: int | None = attrs.field(default=None, metadata=_INT)
    server_error_code: str | None = attrs.field(default=None, metadata=_TEXT)
    server_error_description: str | None = attrs.field(default=None, metadata=_TEXT)
    on_prem_tgt: bool | None = attrs.field(default=None, metadata=_FLAG)
    cloud_tgt: bool | None = attrs.field(default=None, metadata=_FLAG)
    kerb_top_level_names: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class DiagnosticDataSection:
    """``Diagnostic Data``: join diagnostics and the context dsregcmd ran in.

    Attributes:
        aad_recovery_enabled: ``AadRecoveryEnabled``.
        executing_account_name: ``Executing Account Name``, e.g. ``AzureAD\\user, user@contoso.com``.
        key_sign_test: ``KeySignTest``, e.g. ``PASSED`` or ``MUST Run elevated to test.``.
        display_name_updated, os_version_updated, host_name_updated: post-join update flags.
        last_host_name_update: ``Last HostName Update``.
        diagnostics_reference, user_context, client_time: run context (``user_context`` e.g.
            ``UN-ELEVATED User``).
        ad_connectivity_test, ad_configuration_test, drs_discovery_test, drs_connectivity_test,
        token_acquisition_test, fallback_to_sync_join, previous_registration, registration_type, error_phase,
        client_error_code, server_error_code, server_message, server_error_description, request_id,
        https_status: pre-join diagnostics.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    aad_recovery_enabled: bool | None = attrs.field(default=None, metadata=_FLAG)
    executing_account_name: str | None = attrs.field(default=None, metadata=_TEXT)
    key_sign_test: str | None = attrs.field(default=None, metadata=_TEXT)
    display_name_updated: bool | None = attrs.field(default=None, metadata=_FLAG)
    os_version_updated: bool | None = attrs.field(default=None, metadata=_FLAG)
    host_name_updated: bool | None = attrs.field(default=None, metadata=_FLAG)
    last_host_name_update: str | None = attrs.field(default=None, metadata=_TEXT)
    diagnostics_reference: str | None = attrs.field(default=None, metadata=_TEXT)
    user_context: str | None = attrs.field(default=None, metadata=_TEXT)
    client_time: datetime | None = attrs.field(default=None, metadata=_TIME)
    ad_connectivity_test: str | None = attrs.field(default=None, metadata=_TEXT)
    ad_configuration_test: str | None = attrs.field(default=None, metadata=_TEXT)
    drs_discovery_test: str | None = attrs.field(default=None, metadata=_TEXT)
    drs_connectivity_test: str | None = attrs.field(default=None, metadata=_TEXT)
    token_acquisition_test: str | None = attrs.field(default=None, metadata=_TEXT)
    fallback_to_sync_join: str | None = attrs.field(default=None, metadata=_TEXT)
    previous_registration: datetime | None = attrs.field(default=None, metadata=_TIME)
    registration_type: str | None = attrs.field(default=None, metadata=_TEXT)
    error_phase: str | None = attrs.field(default=None, metadata=_TEXT)
    client_error_code: str | None = attrs.field(default=None, metadata=_TEXT)
    server_error_code: str | None = attrs.field(default=None, metadata=_TEXT)
    server_message: str | None = attrs.field(default=None, metadata=_TEXT)
    server_error_description: str | None = attrs.field(default=None, metadata=_TEXT)
    request_id: str | None = attrs.field(default=None, metadata=_TEXT)
    https_status: int | None = attrs.field(default=None, metadata=_INT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()

    @property
    def elevated(self) -> bool | None:
        """True when ``User Context`` says the run was elevated, False when un-elevated, None when unknown."""
        context = (self.user_context or "").upper()
        if "UN-ELEVATED" in context or "UNELEVATED" in context or "NON-ELEVATED" in context:
            return False
        if "ELEVATED" in context:
            return True
        return None


@attrs.frozen(kw_only=True, slots=False)
class NgcPrerequisiteCheckSection:
    """``Ngc Prerequisite Check``: whether Windows will provision Windows Hello for the user.

    Attributes:
        is_device_joined, is_user_azure_ad, policy_enabled, post_logon_enabled, device_eligible,
        session_is_not_remote: the prerequisite flags.
        cert_enrollment: ``CertEnrollment``: ``enrollment authority``, ``mobile device management`` or ``none``.
        adfs_refresh_token, adfs_ra_is_ready, logon_cert_template_ready: certificate trust prerequisites
            (``YES ( StateReady )`` is True, text in ``raw``).
        pre_req_result: ``PreReqResult``.
        on_prem_tgt, cloud_tgt: ``OnPremTGT`` (``CloudTGT`` before Windows 11 23H2).
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    is_device_joined: bool | None = attrs.field(default=None, metadata=_FLAG)
    is_user_azure_ad: bool | None = attrs.field(default=None, metadata=_FLAG)
    policy_enabled: bool | None = attrs.field(default=None, metadata=_FLAG)
    post_logon_enabled: bool | None = attrs.field(default=None, metadata=_FLAG)
    device_eligible: bool | None = attrs.field(default=None, metadata=_FLAG)
    session_is_not_remote: bool | None = attrs.field(default=None, metadata=_FLAG)
    cert_enrollment: str | None = attrs.field(default=None, metadata=_TEXT)
    adfs_refresh_token: bool | None = attrs.field(default=None, metadata=_FLAG)
    adfs_ra_is_ready: bool | None = attrs.field(default=None, metadata=_FLAG)
    logon_cert_template_ready: bool | None = attrs.field(default=None, metadata=_FLAG)
    pre_req_result: PreReqResult | None = attrs.field(default=None, metadata=_PRE_REQ_RESULT)
    on_prem_tgt: bool | None = attrs.field(default=None, metadata=_FLAG)
    cloud_tgt: bool | None = attrs.field(default=None, metadata=_FLAG)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class WorkAccountSection:
    """``Work Account N``: one work account registered on the device (Entra registered).

    Attributes:
        number: N from the title.
        workplace_device_id, workplace_thumbprint, device_certificate_validity, key_container_id,
        key_provider, tpm_protected: the registration's device identity.
        workplace_tenant_id, workplace_tenant_name, workplace_mdm_url, workplace_settings_url: its tenant.
        ngc_set, ngc_key_id, can_reset: the account's Windows Hello container.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    number: int | None = attrs.field(default=None, kw_only=True)
    workplace_device_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    workplace_thumbprint: str | None = attrs.field(default=None, metadata=_TEXT)
    device_certificate_validity: str | None = attrs.field(default=None, metadata=_TEXT)
    key_container_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    key_provider: str | None = attrs.field(default=None, metadata=_TEXT)
    tpm_protected: bool | None = attrs.field(default=None, metadata=_FLAG)
    workplace_tenant_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    workplace_tenant_name: str | None = attrs.field(default=None, metadata=_TEXT)
    workplace_mdm_url: str | None = attrs.field(default=None, metadata=_TEXT)
    workplace_settings_url: str | None = attrs.field(default=None, metadata=_TEXT)
    ngc_set: bool | None = attrs.field(default=None, metadata=_FLAG)
    ngc_key_id: uuid.UUID | str | None = attrs.field(default=None, metadata=_GUID)
    can_reset: CanReset | None = attrs.field(default=None, metadata=_CAN_RESET)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class IeProxyConfigSection:
    """``IE Proxy Config for Current User``.

    Attributes:
        auto_detect_settings: ``Auto Detect Settings``.
        auto_configuration_url, proxy_server_list, proxy_bypass_list: as printed.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    auto_detect_settings: bool | None = attrs.field(default=None, metadata=_FLAG)
    auto_configuration_url: str | None = attrs.field(default=None, metadata=_TEXT)
    proxy_server_list: str | None = attrs.field(default=None, metadata=_TEXT)
    proxy_bypass_list: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()


@attrs.frozen(kw_only=True, slots=False)
class WinHttpProxyConfigSection:
    """``WinHttp Default Proxy Config``.

    Attributes:
        access_type: ``Access Type``, e.g. ``DIRECT``.
        proxy_server_list, proxy_bypass_list: as printed.
        extra: printed keys this model does not know -> text.
        raw: attribute -> printed text, for values the typed attribute cannot hold fully.
    """

    access_type: str | None = attrs.field(default=None, metadata=_TEXT)
    proxy_server_list: str | None = attrs.field(default=None, metadata=_TEXT)
    proxy_bypass_list: str | None = attrs.field(default=None, metadata=_TEXT)
    extra: Mapping[str, str] = _extra()
    raw: Mapping[str, str] = _extra()
