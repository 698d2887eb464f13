"""Host lists from Intune: the verify command's --from-intune path against the emulated tenant's Graph."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import pytest

from pinreset.remote import HostSpec

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graph_env() -> Iterator[Any]:
    """A served emulator whose environment points the default credential at it."""
    from pinreset.emulator import Emulator

    with Emulator(devices=8, seed=21) as emulator:
        yield emulator


def test_from_intune_lists_managed_windows_devices(graph_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every managed Windows device becomes one host, named after the device, with the DNS suffix."""
    from pinreset.cli._verify import _intune_hosts

    for name, value in graph_env.env.items():
        monkeypatch.setenv(name, value)
    args = argparse.Namespace(group=None, dns_suffix="corp.example")
    hosts = list(_intune_hosts(args))
    expected = sorted(
        d.device_name.lower() for d in graph_env.tenant.list_managed_devices()
    )
    assert sorted(h.host.split(".")[0].lower() for h in hosts) == expected
    assert all(isinstance(h, HostSpec) and h.host.endswith(".corp.example") for h in hosts)


def test_from_intune_with_an_unknown_group_is_refused(graph_env: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group that does not exist is a configuration error naming it."""
    from pinreset.cli._verify import _intune_hosts
    from pinreset.exceptions import ConfigurationError

    for name, value in graph_env.env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match="no-such-group"):
        list(_intune_hosts(argparse.Namespace(group="no-such-group", dns_suffix=None)))
