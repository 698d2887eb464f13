"""The key -> attribute naming rule, and model building by plan."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from pinreset import parse_dsregcmd
from pinreset.dsreg._naming import attribute_name
from pinreset.dsreg._schema import SECTION_MODELS

DATA = Path(__file__).resolve().parents[1] / "data" / "dsregcmd"


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("AzureAdPrtUpdateTime", "azure_ad_prt_update_time"),
        ("NgcSet", "ngc_set"),
        ("DeviceId", "device_id"),
        ("TpmProtected", "tpm_protected"),
        ("MdmUrl", "mdm_url"),
        ("KeySignTest", "key_sign_test"),
        ("KeySignTest:", "key_sign_test"),
        ("WebAuthNSrvVersion", "web_auth_n_srv_version"),
        ("IsUserAzureAD", "is_user_azure_ad"),
        ("OnPremTGT", "on_prem_tgt"),
        ("CloudTgt", "cloud_tgt"),
        ("WamDefaultGUID", "wam_default_guid"),
        ("HTTP status", "http_status"),
        ("Auto-Configuration URL", "auto_configuration_url"),
        ("Last HostName Update", "last_host_name_update"),
        ("Client ErrorCode", "client_error_code"),
        ("Fallback to Sync-Join", "fallback_to_sync_join"),
        ("X509CertRequired", "x509_cert_required"),
        ("   ", ""),
    ],
)
def test_attribute_name_rule(key: str, name: str) -> None:
    """Printed keys map to snake_case by the documented rule, acronyms included."""
    assert attribute_name(key) == name


def test_every_model_field_follows_the_rule() -> None:
    """Each typed field name is its own image under the rule, so every field has a printable key."""
    for cls, _title in SECTION_MODELS.values():
        for field in attrs.fields(cls):
            assert attribute_name(field.name) == field.name


@pytest.mark.parametrize("path", sorted(DATA.glob("*.txt")), ids=lambda p: p.name)
def test_built_models_equal_models_built_by_init(path: Path) -> None:
    """Models filled by the fast builder equal the same values passed through __init__."""
    status = parse_dsregcmd(path.read_text(encoding="utf-8"))
    models = [getattr(status, attr) for attr in SECTION_MODELS] + list(status.work_accounts)
    for model in models:
        if model is None:
            continue
        values = attrs.asdict(model, recurse=False)
        assert type(model)(**values) == model
        assert set(vars(model)) == {field.name for field in attrs.fields(type(model))}
