"""Rich display: every object renders escaped, compact HTML with no external asset; reprs are short."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest

import pinreset
from pinreset.remote import DeviceCheck, DeviceFacts, DsregView, FleetReport, Outcome, UserState
from pinreset.reports import DeviceReadiness, DeviceReadinessReport

pytestmark = pytest.mark.slow

HOSTILE = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'


def _safe(html: str) -> None:
    """No live markup from the values, no external reference."""
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<img src=x" not in lowered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", lowered)
    assert "&lt;script&gt;" in html


def _hostile_check() -> DeviceCheck:
    view = DsregView(join_type="hybrid_joined", can_reset="DestructiveOnly", verdict="destructive_only",
                     raw_text="Device Name : secret-raw-text")
    return DeviceCheck(
        host=HOSTILE,
        outcome=Outcome.COMMAND_FAILED,
        error=IMG + HOSTILE,
        device=DeviceFacts(computer_name=HOSTILE, os_build=22631, join_type="hybrid_joined"),
        users=(UserState(sid="S-1-12-1-1", name=HOSTILE, dsreg=view),),
    )


def test_device_check_and_fleet_escape_hostile_values() -> None:
    """A host named <script> and an error carrying markup are shown as text, in the check and in the fleet."""
    check = _hostile_check()
    for html in (check._repr_html_(), FleetReport((check,))._repr_html_()):
        _safe(html)
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "secret-raw-text" not in html


def test_dsregcmd_status_escapes_and_masks_secrets() -> None:
    """A device name with markup is escaped; a printed key that names a secret has its value masked."""
    text = (
        "+----------------------------------------------------------------------+\n"
        "| Device State                                                         |\n"
        "+----------------------------------------------------------------------+\n\n"
        "             AzureAdJoined : YES\n"
        "          EnterpriseJoined : NO\n"
        "              DomainJoined : NO\n"
        f"               Device Name : {HOSTILE}\n\n"
        "+----------------------------------------------------------------------+\n"
        "| User State                                                           |\n"
        "+----------------------------------------------------------------------+\n\n"
        "                    NgcSet : YES\n"
        "                  CanReset : DestructiveAndNonDestructive\n"
        "              ClientSecret : hunter2-value\n"
    )
    status = pinreset.parse_dsregcmd(text)
    html = status._repr_html_()
    _safe(html)
    assert "ClientSecret" in html
    assert "hunter2-value" not in html
    assert "DestructiveAndNonDestructive" in html
    assert ">ready<" in html
    readiness = status.assess()
    assert "ready" in readiness._repr_html_()
    _safe(pinreset.Readiness(pinreset.Verdict.UNKNOWN, (HOSTILE,))._repr_html_())


def test_tenant_plan_apply_and_devices_escape(deployed: Any) -> None:
    """Names reaching the tenant, plan, apply and device views are escaped everywhere."""
    tenant = attrs.evolve(deployed.after.tenant, display_name=HOSTILE)
    _safe(attrs.evolve(deployed.after, tenant=tenant)._repr_html_())
    _safe(attrs.evolve(deployed.plan, tenant=tenant)._repr_html_())
    applied = deployed.applied
    outcome = attrs.evolve(applied.outcomes[0], error=HOSTILE)
    _safe(attrs.evolve(applied, outcomes=(outcome,))._repr_html_())
    devices = DeviceReadinessReport((DeviceReadiness(device_name=HOSTILE, device_id="1", verdict="ready",
                                                     reason=HOSTILE),))
    _safe(devices._repr_html_())


def test_views_show_what_matters(deployed: Any) -> None:
    """The tenant view names apps, policy and device counts; the plan its steps; apply its statuses."""
    before = deployed.before._repr_html_()
    assert "not_ready" in before
    assert "Microsoft Pin Reset Service Production" in before
    assert "the PIN recovery policy is missing" in before
    after = deployed.after._repr_html_()
    assert ">ready<" in after
    assert "in_sync" in after
    assert "eligible" in after
    plan = deployed.plan._repr_html_()
    assert plan.count("<tr>") == 1 + 4
    assert "CreatePolicy" in plan
    assert deployed.applied._repr_html_().count(">applied<") == 4
    devices = deployed.devices._repr_html_()
    assert devices.count("<tr>") == 1 + 25


def test_long_tables_are_cut_in_notebooks() -> None:
    """More than 50 rows: 50 are shown and one line says how many more there are."""
    rows = tuple(DeviceReadiness(device_name=f"PC-{n:03}", device_id=str(n)) for n in range(60))
    html = DeviceReadinessReport(rows)._repr_html_()
    assert html.count("<tr>") == 1 + 50
    assert "and 10 more row(s)" in html


def test_reprs_are_short_and_say_the_state(deployed: Any) -> None:
    """One line each, with the state that matters; str() reads as a sentence."""
    check = _hostile_check()
    texts = {
        "TenantReport": repr(deployed.before),
        "Plan": repr(deployed.plan),
        "ApplyResult": repr(deployed.applied),
        "DeviceReadinessReport": repr(deployed.devices),
        "DeviceCheck": repr(check),
        "FleetReport": repr(FleetReport((check,))),
        "Readiness": repr(pinreset.Readiness(pinreset.Verdict.READY, ("a", "b"))),
    }
    for name, text in texts.items():
        assert text.startswith(f"{name}("), text
        assert "\n" not in text
        assert len(text) < 160, text
    assert "ready=False, problems=3" in texts["TenantReport"]
    assert "changes=4" in texts["Plan"]
    assert "applied=4" in texts["ApplyResult"]
    assert texts["Readiness"] == "Readiness(verdict='ready', reasons=2)"
    assert "secret-raw-text" not in repr(check)
    assert str(deployed.after).endswith(": ready")
    assert str(deployed.before).count("\n- ") == 3
    assert str(FleetReport((check,))) == "1 host(s): command_failed 1; readiness: unknown 1"
