"""One parsed ``dsregcmd /status`` output: its sections as printed and their typed models."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from pinreset.dsreg._build import build_section, section_items
from pinreset.dsreg._schema import WORK_ACCOUNT, title_id
from pinreset.dsreg._values import JoinState
from pinreset.dsreg.models import (
    DeviceDetailsSection,
    DeviceStateSection,
    DiagnosticDataSection,
    IeProxyConfigSection,
    NgcPrerequisiteCheckSection,
    SsoStateSection,
    TenantDetailsSection,
    UserStateSection,
    WinHttpProxyConfigSection,
    WorkAccountSection,
)

if TYPE_CHECKING:
    from pinreset.dsreg.readiness import Readiness

__all__ = ["DsregStatus"]


_T = TypeVar("_T")


def _as_tuple(lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(lines)


class cached_property(Generic[_T]):  # noqa: N801 - named like the functools one it replaces
    """``functools.cached_property`` without its lock (Python 3.10/3.11 take one on every first access).

    Computing a section model twice in a race is harmless (the result is the same), so no lock is needed.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> _T | cached_property[_T]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value  # a non-data descriptor: the next lookup finds the dict entry
        return value


# Equality compares the printed content only; not hashable (the printed sections are dicts).
@attrs.frozen(kw_only=True, slots=False, repr=False)
class DsregStatus:
    """One parsed ``dsregcmd /status`` output. A section that was not printed is ``None``.

    The printed sections are the single source of truth: the typed section models (``device_state``,
    ``user_state``, …) are built from them on first access and then cached, so code that reads two fields does
    not pay for typing nine sections. Two statuses are equal when their printed content is equal.

    Attributes:
        sections: every section title as printed -> its keys -> values as printed, in order, nothing
            dropped. A repeated key or title gets a `` #2`` (`` #3``, …) suffix.
        other_lines: lines that were neither a section box nor a ``Key : value`` line: prompts, banners,
            status messages, the closing ``For more information`` line.
        legacy_layout: True when the output used the Windows 10 1607 ``Key: value`` layout.
    """

    sections: Mapping[str, Mapping[str, str]] = attrs.field(factory=dict)
    other_lines: tuple[str, ...] = attrs.field(default=(), converter=_as_tuple)
    legacy_layout: bool = False

    @cached_property
    def _items(self) -> dict[str, Mapping[str, str]]:
        # Section attribute -> printed items (legacy strays adopted); built once per status.
        return section_items(self.sections, self.legacy_layout)

    def _model(self, attr: str) -> Any:
        items = self._items.get(attr)
        return None if items is None else build_section(attr, items)

    @cached_property
    def device_state(self) -> DeviceStateSection | None:
        """``Device State``, or None when not printed."""
        return self._model("device_state")  # type: ignore[no-any-return]

    @cached_property
    def device_details(self) -> DeviceDetailsSection | None:
        """``Device Details`` (in the legacy layout: built from the device keys printed under Device State)."""
        return self._model("device_details")  # type: ignore[no-any-return]

    @cached_property
    def tenant_details(self) -> TenantDetailsSection | None:
        """``Tenant Details`` (in the legacy layout: built from the tenant keys printed under Device State)."""
        return self._model("tenant_details")  # type: ignore[no-any-return]

    @cached_property
    def user_state(self) -> UserStateSection | None:
        """``User State``, or None when not printed."""
        return self._model("user_state")  # type: ignore[no-any-return]

    @cached_property
    def sso_state(self) -> SsoStateSection | None:
        """``SSO State`` (in the legacy layout: built from ``AzureAdPrt`` printed under User State)."""
        return self._model("sso_state")  # type: ignore[no-any-return]

    @cached_property
    def diagnostic_data(self) -> DiagnosticDataSection | None:
        """``Diagnostic Data``, or None when not printed."""
        return self._model("diagnostic_data")  # type: ignore[no-any-return]

    @cached_property
    def ngc_prerequisite_check(self) -> NgcPrerequisiteCheckSection | None:
        """``Ngc Prerequisite Check`` (absent on many builds once Windows Hello is provisioned)."""
        return self._model("ngc_prerequisite_check")  # type: ignore[no-any-return]

    @cached_property
    def ie_proxy_config(self) -> IeProxyConfigSection | None:
        """``IE Proxy Config for Current User``, or None when not printed."""
        return self._model("ie_proxy_config")  # type: ignore[no-any-return]

    @cached_property
    def winhttp_proxy_config(self) -> WinHttpProxyConfigSection | None:
        """``WinHttp Default Proxy Config``, or None when not printed."""
        return self._model("winhttp_proxy_config")  # type: ignore[no-any-return]

    @cached_property
    def work_accounts(self) -> list[WorkAccountSection]:
        """One model per ``Work Account N`` section, in printed order (empty when there is none)."""
        accounts: list[WorkAccountSection] = []
        for title, items in self.sections.items():
            attr, number = title_id(title)
            if attr == WORK_ACCOUNT:
                accounts.append(build_section(WORK_ACCOUNT, items, number=number))
        return accounts

    @property
    def join_type(self) -> JoinState:
        """The device's join state, including ``REGISTERED`` (WorkplaceJoined with no device join)."""
        device = self.device_state
        if device is None:
            return JoinState.UNKNOWN
        state = device.join_type
        user = self.user_state
        if state is JoinState.NOT_JOINED and user is not None and user.workplace_joined:
            return JoinState.REGISTERED
        return state

    def __repr__(self) -> str:
        titles = ", ".join(self.sections)
        return f"DsregStatus(sections=[{titles}], legacy_layout={self.legacy_layout})"

    def __str__(self) -> str:
        user = self.user_state
        can_reset = user.can_reset.value if user is not None and user.can_reset is not None else "not printed"
        return f"dsregcmd /status: {self.join_type.value}, CanReset {can_reset}, {len(self.sections)} section(s)"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the telling fields, the verdict, every section folded."""
        from pinreset.reports._html import dsreg_status_html

        return dsreg_status_html(self)

    def assess(self) -> Readiness:
        """Shortcut for :func:`pinreset.assess` on this status."""
        from pinreset.dsreg.readiness import assess

        return assess(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with stable keys (see ``docs/dsregcmd.md``)."""
        from pinreset.dsreg._json import status_to_dict

        return status_to_dict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as a JSON string."""
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DsregStatus:
        """Rebuild a status from :meth:`to_dict` output (the typed parts are rebuilt from ``sections``).

        Raises:
            ParseError: the data does not have the shape :meth:`to_dict` writes.
        """
        from pinreset.dsreg._json import status_from_dict

        return status_from_dict(data)

    @classmethod
    def from_json(cls, text: str) -> DsregStatus:
        """Rebuild a status from :meth:`to_json` output.

        Raises:
            ParseError: the text is not JSON or not the shape :meth:`to_json` writes.
        """
        from pinreset.dsreg._json import status_from_json

        return status_from_json(text)
