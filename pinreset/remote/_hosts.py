"""Host lists: validated ``host``, ``host:port`` and ``[IPv6]:port`` entries from names, files, CSV or Intune.

A host string ends up in a URL and in reports, so anything that is not a plain DNS name, IPv4 address or
bracketed IPv6 address is refused before any connection is made.
"""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import attrs

from pinreset.exceptions import ConfigurationError

__all__ = [
    "HostSpec",
    "ManagedDeviceSource",
    "hosts_from_csv",
    "hosts_from_file",
    "hosts_from_intune",
    "parse_host",
    "parse_hosts",
]

# RFC 1123 labels (letters, digits, hyphens; underscores tolerated as Windows NetBIOS names use them).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_BRACKETED = re.compile(r"^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$")
_NAME_PORT = re.compile(r"^([^:\[\]]+)(?::([0-9]{1,5}))?$")


@attrs.frozen
class HostSpec:
    """One host to check.

    Attributes:
        host: DNS name or IP address (IPv6 without brackets).
        port: explicit port, or ``None`` for the transport's default (5986 HTTPS, 5985 HTTP).
    """

    host: str
    port: int | None = None

    def __attrs_post_init__(self) -> None:
        # A HostSpec built directly (the public API accepts them) must be as safe as a parsed entry: the host
        # ends up in the WinRM URL, so a path, query, user-info or whitespace must never get that far.
        if not isinstance(self.host, str) or not _valid_address(self.host):
            raise ConfigurationError(f"host {self.host!r}: not a valid host name or IP address")
        if self.port is not None and (
            isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535
        ):
            raise ConfigurationError(f"host {self.host!r}: port {self.port!r} is out of range 1-65535")

    def __str__(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return f"{name}:{self.port}" if self.port is not None else name


def _valid_address(host: str) -> bool:
    """True for a DNS name, an IPv4 address or an (unbracketed) IPv6 address."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return bool(_HOSTNAME.fullmatch(host)) and len(host) <= 253
    return True


def _port(text: str | None, original: str) -> int | None:
    if text is None:
        return None
    port = int(text)
    if not 1 <= port <= 65535:
        raise ConfigurationError(f"host {original!r}: port {port} is out of range 1-65535")
    return port


def parse_host(text: str) -> HostSpec:
    """Validate one host entry.

    Args:
        text: ``name``, ``name:port``, ``1.2.3.4:port``, ``[::1]`` or ``[::1]:5986``.

    Returns:
        The parsed host.

    Raises:
        ConfigurationError: when the entry contains anything but a host name or address and a port.
    """
    original = text
    text = text.strip()
    if not text:
        raise ConfigurationError("empty host name")
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        try:
            address = ipaddress.IPv6Address(bracketed.group(1))
        except ValueError:
            raise ConfigurationError(f"host {original!r}: not an IPv6 address") from None
        return HostSpec(str(address), _port(bracketed.group(2), original))
    plain = _NAME_PORT.fullmatch(text)
    if plain is None:
        if text.count(":") >= 2:
            raise ConfigurationError(f"host {original!r}: write IPv6 addresses in brackets, e.g. [::1]:5986")
        raise ConfigurationError(f"host {original!r}: expected 'name', 'name:port' or '[IPv6]:port'")
    name = plain.group(1)
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        if not _HOSTNAME.fullmatch(name) or len(name) > 253:
            raise ConfigurationError(
                f"host {original!r}: not a valid host name (letters, digits, '-', '_' and '.' only)"
            ) from None
    return HostSpec(name, _port(plain.group(2), original))


def parse_hosts(entries: Iterable[str]) -> list[HostSpec]:
    """Validate many entries, keeping their order and dropping exact duplicates.

    Raises:
        ConfigurationError: on the first invalid entry.
    """
    seen: set[HostSpec] = set()
    result: list[HostSpec] = []
    for entry in entries:
        spec = parse_host(entry)
        if spec not in seen:
            seen.add(spec)
            result.append(spec)
    return result


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigurationError(f"cannot read host list {str(path)!r}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"host list {str(path)!r} is not UTF-8 text") from exc


def hosts_from_file(path: str | Path) -> list[HostSpec]:
    """Hosts from a text file: one entry per line; blank lines and ``#`` comments are ignored.

    Raises:
        ConfigurationError: when the file cannot be read or a line is not a valid host (with its line number).
    """
    result: list[HostSpec] = []
    seen: set[HostSpec] = set()
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            spec = parse_host(entry)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}, line {number}: {exc}") from None
        if spec not in seen:
            seen.add(spec)
            result.append(spec)
    return result


def hosts_from_csv(path: str | Path) -> list[HostSpec]:
    """Hosts from a CSV file with a header row.

    The host is the first non-empty of the columns ``host`` (which may carry ``:port``), ``address`` and
    ``device_name``; an optional ``port`` column sets the port. Rows with none of them are skipped.

    Raises:
        ConfigurationError: when the file cannot be read, has none of those columns, or a row is invalid.
    """
    reader = csv.DictReader(_read_text(path).splitlines())
    columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
    name_columns = [columns[c] for c in ("host", "address", "device_name") if c in columns]
    if not name_columns:
        raise ConfigurationError(f"{path}: needs a 'host', 'address' or 'device_name' column")
    port_column = columns.get("port")
    result: list[HostSpec] = []
    seen: set[HostSpec] = set()
    for number, row in enumerate(reader, start=2):
        # The first non-empty of host, address, device_name: a row without an address falls back to its name.
        name = next((value.strip() for c in name_columns if (value := row.get(c) or "").strip()), "")
        if not name:
            continue
        port = (row.get(port_column) or "").strip() if port_column else ""
        # A bare IPv6 address in its own column is unambiguous; bracket it so a port can follow.
        entry = f"[{name}]" if name.count(":") >= 2 and not name.startswith("[") else name
        if port:
            entry = f"{entry}:{port}"
        try:
            spec = parse_host(entry)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{path}, row {number}: {exc}") from None
        if spec not in seen:
            seen.add(spec)
            result.append(spec)
    return result


class _NamedDevice(Protocol):
    @property
    def device_name(self) -> str: ...


class ManagedDeviceSource(Protocol):
    """Anything that lists Intune managed devices (a tenant backend does)."""

    def list_managed_devices(self) -> Iterable[_NamedDevice]:
        """Managed devices, each with a ``device_name``."""
        ...


def hosts_from_intune(
    source: ManagedDeviceSource | Callable[[], Iterable[_NamedDevice]],
    *,
    dns_suffix: str | None = None,
    port: int | None = None,
) -> Iterator[HostSpec]:
    """Hosts named after Intune managed devices.

    Args:
        source: a backend with ``list_managed_devices()``, or a callable returning the devices.
        dns_suffix: appended to each device name (``PC-01`` -> ``PC-01.corp.example``), if given.
        port: port for every host, if not the default.

    Yields:
        One host per device whose name is a valid host name, in the order listed.

    Raises:
        ConfigurationError: when a device name (with the suffix) is not a valid host name.
    """
    devices = source() if callable(source) else source.list_managed_devices()
    seen: set[str] = set()
    for device in devices:
        name = device.device_name.strip()
        if dns_suffix:
            name = f"{name}.{dns_suffix.strip('.')}"
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        spec = parse_host(name)
        yield HostSpec(spec.host, port if port is not None else spec.port)
