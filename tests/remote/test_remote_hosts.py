"""Host entries: names, ports, IPv6, files, CSV and Intune device lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from pinreset.exceptions import ConfigurationError
from pinreset.remote import HostSpec, hosts_from_csv, hosts_from_file, hosts_from_intune, parse_host, parse_hosts


@pytest.mark.parametrize(
    ("entry", "host", "port"),
    [
        ("pc-01", "pc-01", None),
        ("PC-01.corp.example.com", "PC-01.corp.example.com", None),
        ("pc_legacy:5985", "pc_legacy", 5985),
        ("10.0.0.7:5986", "10.0.0.7", 5986),
        ("[::1]", "::1", None),
        ("[::1]:5986", "::1", 5986),
        ("[2001:DB8::1]:1", "2001:db8::1", 1),
        ("  host.example  ", "host.example", None),
    ],
)
def test_valid_entries_parse(entry: str, host: str, port: int | None) -> None:
    """Names, IPv4, bracketed IPv6 and optional ports are accepted and normalised."""
    assert parse_host(entry) == HostSpec(host, port)


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "pc 01",
        "pc-01;calc",
        "pc'01",
        'pc"01',
        "pc-01:99999",
        "pc-01:0",
        "pc-01:abc",
        "::1",
        "[::1",
        "[not-v6]:5986",
        "pc-01 & whoami",
        "$(Get-Process)",
        "pc-01`n",
        "http://pc-01",
        "-pc",
        "a" * 300,
    ],
)
def test_hostile_or_malformed_entries_are_refused(entry: str) -> None:
    """Spaces, quotes, shell and PowerShell metacharacters, bad ports and bare IPv6 raise ConfigurationError."""
    with pytest.raises(ConfigurationError):
        parse_host(entry)


def test_str_round_trips() -> None:
    """A HostSpec prints back as an entry that parses to itself."""
    for entry in ("pc-01", "pc-01:5985", "[::1]:5986", "[fe80::1]"):
        spec = parse_host(entry)
        assert parse_host(str(spec)) == spec


def test_parse_hosts_keeps_order_and_drops_duplicates() -> None:
    """Duplicates are dropped, first occurrence wins."""
    assert parse_hosts(["b", "a", "b", "a:1"]) == [HostSpec("b"), HostSpec("a"), HostSpec("a", 1)]


def test_hosts_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    """A host file allows comments and blank lines and reports the bad line's number."""
    good = tmp_path / "hosts.txt"
    good.write_text("# fleet\n\npc-01\npc-02:5985  # lab\n[::1]:5986\n", encoding="utf-8")
    assert hosts_from_file(good) == [HostSpec("pc-01"), HostSpec("pc-02", 5985), HostSpec("::1", 5986)]
    bad = tmp_path / "bad.txt"
    bad.write_text("pc-01\npc-02; rm -rf /\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="line 2"):
        hosts_from_file(bad)


def test_missing_hosts_file_is_a_configuration_error(tmp_path: Path) -> None:
    """An unreadable file is reported by name, not as an OSError traceback."""
    with pytest.raises(ConfigurationError, match="cannot read"):
        hosts_from_file(tmp_path / "absent.txt")


def test_hosts_csv_with_address_and_port_columns(tmp_path: Path) -> None:
    """CSV rows give address (or device_name) and port; IPv6 addresses get brackets."""
    path = tmp_path / "hosts.csv"
    path.write_text(
        "device_name,address,port\nPC-01,127.0.0.2,5986\nPC-02,::1,5987\nPC-03,,\nPC-04,fe80::2,\n", encoding="utf-8"
    )
    assert hosts_from_csv(path) == [
        HostSpec("127.0.0.2", 5986),
        HostSpec("::1", 5987),
        HostSpec("PC-03"),
        HostSpec("fe80::2"),
    ]
    by_name = tmp_path / "names.csv"
    by_name.write_text("device_name\nPC-01\nPC-02\n", encoding="utf-8")
    assert hosts_from_csv(by_name) == [HostSpec("PC-01"), HostSpec("PC-02")]


def test_hosts_csv_needs_a_known_column(tmp_path: Path) -> None:
    """A CSV without host/address/device_name columns is refused, and bad rows name their row."""
    path = tmp_path / "x.csv"
    path.write_text("name\npc\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="column"):
        hosts_from_csv(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("host\npc-01\n'pc;02'\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="row 3"):
        hosts_from_csv(bad)


@attrs.frozen
class _Device:
    device_name: str


class _Backend:
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def list_managed_devices(self) -> list[_Device]:
        return [_Device(n) for n in self.names]


def test_hosts_from_intune_backend_or_callable() -> None:
    """Device names from a backend (or a callable) become hosts, with an optional DNS suffix and port."""
    backend = _Backend(["PC-01", "PC-02", "pc-01"])
    assert list(hosts_from_intune(backend)) == [HostSpec("PC-01"), HostSpec("PC-02")]
    hosts = list(hosts_from_intune(lambda: backend.list_managed_devices(), dns_suffix="corp.example", port=5986))
    assert hosts == [HostSpec("PC-01.corp.example", 5986), HostSpec("PC-02.corp.example", 5986)]


def test_hosts_from_intune_refuses_hostile_device_names() -> None:
    """A device name that is not a host name never reaches a connection."""
    with pytest.raises(ConfigurationError):
        list(hosts_from_intune(_Backend(["PC-01", "evil; calc.exe"])))


@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("evil.example/wsman?x=", None),
        ("user:pw@pc-01", None),
        ("pc 01", None),
        ("[::1]", None),
        ("", None),
        ("pc-01", 0),
        ("pc-01", 70000),
        ("pc-01", True),
    ],
)
def test_hostspec_built_directly_is_validated(host: str, port: Any) -> None:
    """A HostSpec constructed by hand is refused like the same text given to parse_host."""
    with pytest.raises(ConfigurationError):
        HostSpec(host, port)


def test_hostspec_invalid_never_reaches_check_fleet() -> None:
    """check_fleet refuses an unvalidated host handed over as a HostSpec before any connection."""
    from pinreset.remote import WinRMConnection, check_fleet

    connection = WinRMConnection(username="u", password="p")
    with pytest.raises(ConfigurationError):
        check_fleet([HostSpec("pc-01", 5986), HostSpec("a/b", 5986)], connection=connection)


def test_hosts_from_intune_refuses_an_out_of_range_port() -> None:
    """The port given for every Intune host is range-checked too."""
    with pytest.raises(ConfigurationError):
        list(hosts_from_intune(_Backend(["PC-01"]), port=70000))
