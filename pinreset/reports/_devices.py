"""Per-device readiness of a tenant: Intune's inventory and policy state, plus a ``dsregcmd`` verdict when known.

Intune tells the join type, OS build (hence eligibility) and the policy's per-device state; only the device's
own ``dsregcmd /status`` tells whether the user's container supports a non-destructive reset. Verdicts come from
outputs you collected (:func:`read_dsregcmd_folder`), from a callable (the emulator's simulated devices), or are
left empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from pinreset.exceptions import ConfigurationError, PinresetError
from pinreset.reports import _tabular

if TYPE_CHECKING:
    from pinreset.backends import TenantBackend
    from pinreset.dsreg import DsregStatus
    from pinreset.models import PolicyRef

__all__ = [
    "COLLECTED_COLUMNS",
    "DEVICE_COLUMNS",
    "CollectedOutput",
    "DeviceReadiness",
    "DeviceReadinessReport",
    "read_dsregcmd_folder",
    "statuses_by_device",
]

#: ``DeviceReadinessReport.to_records()``: one row per managed Windows device. Only ever appended to.
DEVICE_COLUMNS: tuple[str, ...] = (
    "device_name", "device_id", "azure_ad_device_id", "user_principal_name", "join_type", "os_version",
    "os_build", "eligibility", "policy_state", "last_sync", "verdict", "reason",
)

DsregSource = Mapping[str, "DsregStatus"] | Callable[[str], "str | DsregStatus | None"]


def _short(name: str) -> str:
    return name.split(".", 1)[0].strip().lower()


@attrs.frozen(kw_only=True)
class DeviceReadiness:
    """One managed device: what Intune says, and the ``dsregcmd`` verdict when an output was available.

    Attributes:
        device_name: the device's name.
        device_id: Intune managed device id.
        azure_ad_device_id: the Entra device id (``DeviceId`` in dsregcmd).
        user_principal_name: the primary user.
        join_type: Intune's join type (``azureADJoined``, ``hybridAzureADJoined``, ``azureADRegistered``, ``unknown``).
        os_version: e.g. ``10.0.22631.4460``.
        os_build: the build number, e.g. ``22631``.
        eligibility: from the inventory (``eligible``, ``os_too_old``, ``not_joined``, ``join_unknown``,
            ``os_unknown``).
        policy_state: Intune's state of pinreset's policy on this device (``succeeded``, ``pending``, …), if reported.
        last_sync: the last check-in with Intune.
        verdict: :func:`pinreset.assess` of the device's ``dsregcmd /status`` (``ready``, ``destructive_only``, …),
            ``None`` when no output was available.
        reason: the verdict's deciding sentence.
    """

    device_name: str
    device_id: str
    azure_ad_device_id: str | None = None
    user_principal_name: str | None = None
    join_type: str = "unknown"
    os_version: str | None = None
    os_build: int | None = None
    eligibility: str = "os_unknown"
    policy_state: str | None = None
    last_sync: datetime | None = None
    verdict: str | None = None
    reason: str | None = None

    def to_record(self) -> dict[str, Any]:
        """One flat row with the keys of :data:`DEVICE_COLUMNS`."""
        return {c: _tabular.plain(getattr(self, c)) for c in DEVICE_COLUMNS}


@attrs.frozen
class DeviceReadinessReport:
    """Every managed Windows device of a tenant with its readiness; see :meth:`collect`.

    Attributes:
        devices: one entry per device, sorted by name.
    """

    devices: tuple[DeviceReadiness, ...] = ()

    @classmethod
    def collect(
        cls,
        backend: TenantBackend,
        *,
        policy: PolicyRef | None = None,
        dsregcmd: DsregSource | None = None,
    ) -> DeviceReadinessReport:
        """Read the inventory (and pinreset's policy's per-device states) and judge each device.

        Args:
            backend: the tenant.
            policy: whose per-device state to report; default: pinreset's own (marked) policy, if any.
            dsregcmd: device name -> its ``dsregcmd /status`` (a mapping of parsed outputs, e.g. from
                :func:`read_dsregcmd_folder`, or a callable returning text or a parsed output; ``None`` when
                unknown). Names match case-insensitively, with or without a DNS suffix.

        Returns:
            the report.

        Raises:
            BackendError: the tenant could not be read.
        """
        from pinreset.deploy import eligibility, is_ours
        from pinreset.models import DeviceFilter

        if policy is None:
            # The first marked policy; `pinreset status` names duplicates, this report only needs the states.
            policy = next((p.ref for p in backend.list_policies() if is_ours(p)), None)
        states: dict[str, str] = {}
        if policy is not None:
            for entry in backend.policy_device_statuses(policy):
                states[entry.device_id or _short(entry.device_name)] = entry.state.value
        lookup = _lookup(dsregcmd)
        rows = []
        for device in backend.list_managed_devices(DeviceFilter()):
            verdict, reason = lookup(device.device_name)
            rows.append(DeviceReadiness(
                device_name=device.device_name,
                device_id=device.id,
                azure_ad_device_id=device.azure_ad_device_id,
                user_principal_name=device.user_principal_name,
                join_type=device.join_type.value,
                os_version=device.os_version,
                os_build=device.os_build,
                eligibility=eligibility(device).value,
                policy_state=states.get(device.id) or states.get(_short(device.device_name)),
                last_sync=device.last_sync,
                verdict=verdict,
                reason=reason,
            ))
        return cls(tuple(sorted(rows, key=lambda r: r.device_name.lower())))

    def by_verdict(self) -> dict[str, int]:
        """Devices per ``dsregcmd`` verdict (``not_collected`` when no output was available)."""
        return dict(Counter(d.verdict or "not_collected" for d in self.devices).most_common())

    def by_eligibility(self) -> dict[str, int]:
        """Devices per inventory eligibility."""
        return dict(Counter(d.eligibility for d in self.devices).most_common())

    def readiness_counts(self) -> dict[str, int]:
        """What :class:`ReadinessHistory` records: by verdict when any was collected, else by eligibility."""
        return self.by_verdict() if any(d.verdict for d in self.devices) else self.by_eligibility()

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per device (:data:`DEVICE_COLUMNS`)."""
        return [d.to_record() for d in self.devices]

    def to_dataframe(self) -> Any:
        """The records as a pandas DataFrame.

        Raises:
            ConfigurationError: pandas is not installed (``pip install 'pinreset[notebook]'``).
        """
        return _tabular.to_dataframe(self.to_records(), DEVICE_COLUMNS)

    def to_csv(self, *, raw: bool = False) -> str:
        """The records as CSV text (header: :data:`DEVICE_COLUMNS`).

        Formula-like text gets a leading ``'`` unless ``raw`` (see :func:`pinreset.reports.to_csv`).
        """
        return _tabular.to_csv(self.to_records(), DEVICE_COLUMNS, raw=raw)

    def write_csv(self, target: str | Path | IO[str], *, raw: bool = False) -> None:
        """Write :meth:`to_csv` to a path or an open text file."""
        _tabular.write_csv(self.to_records(), DEVICE_COLUMNS, target, raw=raw)

    def to_json(self) -> str:
        """The records as a JSON array."""
        return _tabular.to_json(self.to_records(), DEVICE_COLUMNS)

    def write_json(self, target: str | Path | IO[str]) -> None:
        """Write :meth:`to_json` to a path or an open text file."""
        _tabular.write_json(self.to_records(), DEVICE_COLUMNS, target)

    def plot(self, kind: str = "verdict") -> Any:
        """A matplotlib Figure: devices by ``verdict``, by ``eligibility``, or by ``join_build`` (join type and
        OS build).

        Raises:
            ConfigurationError: matplotlib is not installed, or ``kind`` is unknown.
        """
        from pinreset.reports import _charts

        if kind == "verdict":
            return _charts.bar_figure(self.by_verdict(), title="Devices by readiness verdict (dsregcmd)")
        if kind == "eligibility":
            return _charts.bar_figure(self.by_eligibility(), title="Devices by eligibility (Intune inventory)")
        if kind == "join_build":
            return _charts.join_build_figure((d.join_type, d.os_build) for d in self.devices)
        raise ConfigurationError(f"unknown chart {kind!r}: expected verdict, eligibility or join_build")

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.readiness_counts().items())
        return f"DeviceReadinessReport(devices={len(self.devices)}, {counts})"

    def __str__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.readiness_counts().items())
        return f"{len(self.devices)} device(s): {counts}"

    def _repr_html_(self) -> str:
        from pinreset.reports._html import device_readiness_html

        return device_readiness_html(self)


def _lookup(source: DsregSource | None) -> Callable[[str], tuple[str | None, str | None]]:
    from pinreset.dsreg import DsregStatus, assess, parse_dsregcmd

    if source is None:
        return lambda _name: (None, None)
    by_short = {_short(k): v for k, v in source.items()} if isinstance(source, Mapping) else None

    def judge(name: str) -> tuple[str | None, str | None]:
        try:
            found = by_short.get(_short(name)) if by_short is not None else source(name)  # type: ignore[operator]
            if found is None:
                return None, None
            status = found if isinstance(found, DsregStatus) else parse_dsregcmd(str(found))
        except PinresetError as exc:
            return "unknown", f"dsregcmd output could not be read: {exc}"
        result = assess(status)
        return result.verdict.value, result.reasons[0] if result.reasons else None

    return judge


@attrs.frozen(kw_only=True)
class CollectedOutput:
    """One collected ``dsregcmd /status`` file.

    Attributes:
        path: the file.
        device_name: ``Device Name`` printed in it (short name), else the file name's stem.
        status: the parsed output, or ``None`` when it could not be read.
        error: why it could not be read.
    """

    path: Path
    device_name: str
    status: DsregStatus | None = None
    error: str | None = None

    def to_record(self) -> dict[str, Any]:
        """One flat row with the keys of :data:`COLLECTED_COLUMNS`."""
        from pinreset.dsreg import assess

        status = self.status
        user = status.user_state if status is not None else None
        readiness = assess(status) if status is not None else None
        return {
            "file": self.path.name,
            "device_name": self.device_name,
            "join_type": status.join_type.value if status is not None else None,
            "ngc_set": user.ngc_set if user is not None else None,
            "can_reset": user.can_reset.value if user is not None and user.can_reset is not None else None,
            "verdict": readiness.verdict.value if readiness is not None else None,
            "reason": readiness.reasons[0] if readiness is not None and readiness.reasons else None,
            "error": self.error,
        }


#: ``CollectedOutput.to_record()``: one row per collected dsregcmd file. Only ever appended to.
COLLECTED_COLUMNS: tuple[str, ...] = (
    "file", "device_name", "join_type", "ngc_set", "can_reset", "verdict", "reason", "error",
)


def read_dsregcmd_folder(folder: str | Path, pattern: str = "*.txt") -> list[CollectedOutput]:
    """Read every collected ``dsregcmd /status`` file in ``folder`` (UTF-16, UTF-8 or OEM code page).

    Args:
        folder: the directory.
        pattern: which files (glob), default ``*.txt``.

    Returns:
        one entry per file, sorted by file name; unreadable files carry ``error`` instead of ``status``.

    Raises:
        ConfigurationError: ``folder`` is not a directory.
    """
    from pinreset.dsreg import parse_dsregcmd_bytes

    base = Path(folder)
    if not base.is_dir():
        raise ConfigurationError(f"{str(base)!r} is not a directory")
    out: list[CollectedOutput] = []
    for path in sorted(p for p in base.glob(pattern) if p.is_file()):
        try:
            status = parse_dsregcmd_bytes(path.read_bytes())
        except (PinresetError, OSError) as exc:
            out.append(CollectedOutput(path=path, device_name=path.stem, error=str(exc)))
            continue
        state = status.device_state
        name = state.device_name if state is not None and state.device_name else path.stem
        out.append(CollectedOutput(path=path, device_name=name.split(".", 1)[0], status=status))
    return out


def statuses_by_device(outputs: Iterable[CollectedOutput]) -> dict[str, DsregStatus]:
    """Device name -> parsed output, for :meth:`DeviceReadinessReport.collect` (unreadable files left out)."""
    return {o.device_name: o.status for o in outputs if o.status is not None}
