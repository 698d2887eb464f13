"""Misbehaviour settings given as text (``pinreset emulator serve --winrm-misbehave HOST=MODE``)."""

from __future__ import annotations

from collections.abc import Iterable

from pinreset.emulator.winrm._host import MISBEHAVIOURS, SimulatedHost
from pinreset.emulator.winrm._hosts import WinRMHosts
from pinreset.exceptions import ConfigurationError

__all__ = ["apply_misbehaviours"]


def _targets(hosts: WinRMHosts, selector: str) -> list[SimulatedHost]:
    if selector == "*":
        return list(hosts.hosts)
    if selector.isdigit():
        index = int(selector)
        if index >= len(hosts.hosts):
            raise ConfigurationError(
                f"--winrm-misbehave: host index {index} is out of range (0-{len(hosts.hosts) - 1})"
            )
        return [hosts.hosts[index]]
    try:
        return [hosts.host(selector)]
    except KeyError:
        raise ConfigurationError(f"--winrm-misbehave: no simulated host for device {selector!r}") from None


def apply_misbehaviours(hosts: WinRMHosts, specs: Iterable[str], *, latency: float = 0.0) -> None:
    """Apply ``HOST=MODE[,MODE…]`` settings; HOST is a device name, a 0-based index or ``*``.

    A mode may carry a value: ``slow:0.05`` (seconds per request). ``latency`` > 0 makes every host ``slow``.

    Raises:
        ConfigurationError: a malformed setting, an unknown host or mode, or a negative latency.
    """
    if latency < 0:
        raise ConfigurationError(f"--winrm-latency must not be negative, not {latency}")
    if latency > 0:
        for host in hosts.hosts:
            host.misbehave("slow", latency=latency)
    for spec in specs:
        selector, sep, modes = spec.partition("=")
        if not sep or not selector.strip() or not modes.strip():
            raise ConfigurationError(f"--winrm-misbehave expects HOST=MODE[,MODE…], not {spec!r}")
        targets = _targets(hosts, selector.strip())
        for item in modes.split(","):
            mode, _, value = item.strip().partition(":")
            if mode not in MISBEHAVIOURS:
                raise ConfigurationError(
                    f"--winrm-misbehave: unknown mode {mode!r}; expected one of {', '.join(MISBEHAVIOURS)}"
                )
            try:
                seconds = float(value) if value else None
            except ValueError:
                raise ConfigurationError(f"--winrm-misbehave: {item!r} needs a number of seconds") from None
            for host in targets:
                host.misbehave(mode, latency=seconds)
