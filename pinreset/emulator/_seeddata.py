"""Deterministic generation of a tenant's starting state from a seed.

Everything random comes from one ``random.Random(seed)``, so a seed always yields the same tenant id, users,
groups and devices. The vocabulary (names, models, Windows builds) is illustrative; the shapes follow Graph.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import attrs

from pinreset.emulator._entities import Group, ManagedDevice, User

__all__ = [
    "CATALOG_APPS",
    "CHECKIN_INTERVAL",
    "PIN_RESET_CLIENT_APP_ID",
    "PIN_RESET_SERVICE_APP_ID",
    "SeedState",
    "generate_state",
    "new_guid",
]

PIN_RESET_SERVICE_APP_ID = "b8456c59-1230-44c7-a4a2-99b085333e84"
PIN_RESET_CLIENT_APP_ID = "9115dd05-fad5-4f9c-acc7-305d08b1b04e"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# The Microsoft Services tenant owns Microsoft's first-party multi-tenant applications.
_MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

# Multi-tenant applications a tenant may instantiate by appId: appId -> (displayName, preinstalled).
CATALOG_APPS: dict[str, tuple[str, bool]] = {
    MICROSOFT_GRAPH_APP_ID: ("Microsoft Graph", True),
    "00000002-0000-0000-c000-000000000000": ("Windows Azure Active Directory", True),
    "0000000a-0000-0000-c000-000000000000": ("Microsoft Intune", True),
    "00000003-0000-0ff1-ce00-000000000000": ("Office 365 SharePoint Online", True),
    "00000002-0000-0ff1-ce00-000000000000": ("Office 365 Exchange Online", True),
    PIN_RESET_SERVICE_APP_ID: ("Microsoft Pin Reset Service Production", False),
    PIN_RESET_CLIENT_APP_ID: ("Microsoft Pin Reset Client Production", False),
}
APP_OWNER_TENANT = _MICROSOFT_SERVICES_TENANT

# Windows MDM clients check in about every 8 hours once enrolment has settled (Intune documentation).
CHECKIN_INTERVAL = timedelta(hours=8)

_TENANT_NAMES = ("Contoso", "Fabrikam", "Northwind Traders", "Tailspin Toys", "Woodgrove Bank", "Adatum", "Litware")
_GIVEN = ("Adele", "Alex", "Diego", "Grady", "Henrietta", "Isaiah", "Johanna", "Joni", "Lee", "Lidia", "Lynne",
          "Megan", "Miriam", "Nestor", "Patti", "Pradeep", "Raul", "Alan", "Debra", "Irvin", "Christie", "Emily")
_SURNAMES = ("Vance", "Wilber", "Siciliani", "Archie", "Cantrell", "Langer", "Lamb", "Sherman", "Gu", "Holloway",
             "Fetterman", "Bowen", "Bowen", "Sanders", "Wilkins", "Gupta", "Allen", "Steelman", "Sauer", "Cleveland")
_DEPARTMENTS = ("Sales", "Finance", "Engineering", "Operations", "Legal", "Marketing", "IT", "HR")
_HARDWARE = (
    ("Microsoft Corporation", "Surface Laptop 5"),
    ("Microsoft Corporation", "Surface Pro 9"),
    ("Dell Inc.", "Latitude 7440"),
    ("Dell Inc.", "OptiPlex 7010"),
    ("HP", "HP EliteBook 840 G10"),
    ("LENOVO", "ThinkPad T14 Gen 4"),
)
# (osVersion, weight). The two oldest builds predate Windows 10 1703 (10.0.15063), the first build with the
# PassportForWork EnablePinRecovery node, so PIN recovery policies are not applicable to them.
_OS_VERSIONS = (
    ("10.0.22631.4460", 30),
    ("10.0.26100.2314", 20),
    ("10.0.22621.4460", 10),
    ("10.0.19045.5131", 25),
    ("10.0.19044.5131", 7),
    ("10.0.14393.7515", 4),
    ("10.0.10240.20826", 2),
)
_JOIN_TYPES = (("azureADJoined", 65), ("hybridAzureADJoined", 25), ("azureADRegistered", 10))


_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


def new_guid(rng: random.Random) -> str:
    """A version-4 GUID drawn from ``rng`` (deterministic for a seeded generator).

    Formatted by hand rather than through ``uuid.UUID``: generating 100,000 devices stays fast.
    """
    text = f"{(rng.getrandbits(128) & _VERSION_MASK) | _VERSION_BITS:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    point = rng.random() * sum(weight for _, weight in weighted)
    for value, weight in weighted:
        point -= weight
        if point < 0:
            return value
    return weighted[-1][0]


def _hex(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(length * 4):0{length}X}"


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols: 5 random bits each


def _alnum(rng: random.Random, length: int) -> str:
    bits = rng.getrandbits(5 * length)
    return "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))


@attrs.define
class SeedState:
    """What :func:`generate_state` produces; the tenant takes ownership of every container."""

    tenant_id: str
    display_name: str
    initial_domain: str
    custom_domain: str
    netbios: str
    domain_sid: str
    users: dict[str, User]
    groups: dict[str, Group]
    devices: dict[str, ManagedDevice]


def generate_state(rng: random.Random, now: datetime, *, devices: int, federated: bool) -> SeedState:
    """Generate organization, users, groups and devices.

    Args:
        rng: the tenant's seeded generator (consumed in a fixed order).
        now: the simulated current instant; creation and sync times lie before it.
        devices: number of managed Windows devices.
        federated: whether the custom domain is federated (affects only the organization object).

    Returns:
        The generated state.
    """
    del federated  # carried by the organization object, which the tenant builds
    tenant_id = new_guid(rng)
    display_name = rng.choice(_TENANT_NAMES)
    slug = "".join(ch for ch in display_name.lower() if ch.isalnum())
    suffix = rng.randrange(100, 1000)
    initial_domain = f"{slug}{suffix}.onmicrosoft.com"
    custom_domain = f"{slug}{suffix}.example.com"
    netbios = slug[:12].upper()
    domain_sid = "S-1-5-21-" + "-".join(str(rng.randrange(10**9, 4 * 10**9)) for _ in range(3))

    user_count = max(8, (devices * 9 + 9) // 10)
    users: dict[str, User] = {}
    for index in range(user_count):
        given = _GIVEN[index % len(_GIVEN)]
        surname = _SURNAMES[(index // len(_GIVEN) + index) % len(_SURNAMES)]
        upn = f"{given.lower()}.{surname.lower()}{index + 1}@{custom_domain}"
        synced = rng.random() < 0.3 and index > 0
        display = f"{given} {surname}"
        if index == 0:
            # The tenant's cloud-only administrator, who approves device code sign-ins.
            upn, display, given, surname = f"admin@{initial_domain}", "Tenant Administrator", "Tenant", "Administrator"
        user = User(
            id=new_guid(rng),
            user_principal_name=upn,
            display_name=display,
            given_name=given,
            surname=surname,
            department=_DEPARTMENTS[index % len(_DEPARTMENTS)],
            job_title="Administrator" if index == 0 else "Staff",
            created=now - timedelta(days=400 - index % 300),
            on_premises_sid=f"{domain_sid}-{1100 + index}" if synced else None,
        )
        users[user.id] = user

    user_list = list(users.values())
    groups: dict[str, Group] = {}
    for name, description, share in (
        ("All Staff", "Every employee", 1.0),
        ("PIN Reset Pilot", "Pilot ring for Windows Hello for Business PIN recovery", 0.2),
        ("IT Admins", "IT administrators", 0.05),
        ("Kiosk Exclusions", "Users excluded from Windows Hello policies", 0.03),
    ):
        group = Group(id=new_guid(rng), display_name=name, description=description, created=now - timedelta(days=380))
        for position, user in enumerate(user_list):
            if share >= 1.0 or rng.random() < share or (name == "IT Admins" and position == 0):
                group.members[user.id] = None
        groups[group.id] = group

    synced_users = [u for u in user_list if u.on_premises_sid] or user_list
    cloud_users = [u for u in user_list if not u.on_premises_sid] or user_list
    managed: dict[str, ManagedDevice] = {}
    prefixes = ("LAPTOP", "DESKTOP", "WIN")
    turns = {id(synced_users): 0, id(cloud_users): 0}
    for index in range(devices):
        join_type = _pick(rng, _JOIN_TYPES)
        pool = synced_users if join_type == "hybridAzureADJoined" else cloud_users
        # Round robin within each pool, so every user gets a device before anyone gets a second one.
        owner = pool[turns[id(pool)] % len(pool)]
        turns[id(pool)] += 1
        manufacturer, model = rng.choice(_HARDWARE)
        enrolled = now - timedelta(days=rng.randrange(5, 500), minutes=rng.randrange(0, 1440))
        last_sync = now - timedelta(minutes=rng.randrange(1, 8 * 60))
        signed_in = rng.random() < 0.9
        ngc_set = signed_in and rng.random() < 0.85
        if join_type == "hybridAzureADJoined":
            enrollment, agent = rng.choice((("windowsCoManagement", "configurationManagerClientMdm"),
                                            ("windowsAutoEnrollment", "mdm")))
        elif join_type == "azureADJoined":
            enrollment, agent = "windowsAzureADJoin", "mdm"
        else:
            enrollment, agent = "userEnrollment", "mdm"
        device = ManagedDevice(
            id=new_guid(rng),
            device_name=f"{prefixes[index % 3]}-{_alnum(rng, 4)}{index:04d}"[:15],
            azure_ad_device_id=new_guid(rng),
            user_id=owner.id,
            join_type=join_type,
            enrollment_type=enrollment,
            management_agent=agent,
            os_version=_pick(rng, _OS_VERSIONS),
            serial_number=_alnum(rng, 10),
            model=model,
            manufacturer=manufacturer,
            enrolled=enrolled,
            last_sync=last_sync,
            next_checkin=last_sync + CHECKIN_INTERVAL,
            compliance_state=_pick(rng, (("compliant", 90), ("noncompliant", 7), ("inGracePeriod", 3))),
            signed_in_user_id=owner.id if signed_in else None,
            ngc_set=ngc_set,
            ngc_key_id="{" + new_guid(rng).upper() + "}",
            device_cert_thumbprint=_hex(rng, 40),
            key_container_id=new_guid(rng),
            tpm_protected=rng.random() < 0.9,
        )
        managed[device.id] = device
    return SeedState(
        tenant_id=tenant_id,
        display_name=display_name,
        initial_domain=initial_domain,
        custom_domain=custom_domain,
        netbios=netbios,
        domain_sid=domain_sid,
        users=users,
        groups=groups,
        devices=managed,
    )
