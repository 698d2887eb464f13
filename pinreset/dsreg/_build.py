"""Turn split sections into the typed models of :mod:`pinreset.dsreg.models`.

Speed matters here (see ``benchmarks/bench_parse.py``): a section's printed keys are almost always the same
tuple from one output to the next, so the work of naming keys and choosing converters is done once per key
tuple (a *plan*) and then applied with C-level ``zip``/``itemgetter`` calls. Models are filled through their
instance ``__dict__`` rather than a 25-argument ``__init__`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any, NamedTuple

import attrs

from pinreset.dsreg._naming import attribute_name
from pinreset.dsreg._schema import ATTRIBUTE_SECTION, SECTION_MODELS, WORK_ACCOUNT, converters, title_id
from pinreset.dsreg._values import Converter, to_flag, to_text
from pinreset.dsreg.models import WorkAccountSection

__all__ = ["build_section", "section_items"]

# The sections of the legacy layout, whose keys may belong to other models (tenant keys in Device State,
# AzureAdPrt in User State).
_HOST_SECTIONS = ("device_state", "user_state")
_YES_NO = {"YES": True, "NO": False}
_PLAN_LIMIT = 1024  # plans are cached per key tuple; arbitrary input must not grow the cache forever


def _getter(indexes: tuple[int, ...]) -> Callable[[tuple[str, ...]], tuple[str, ...]] | None:
    if not indexes:
        return None
    if len(indexes) == 1:
        # itemgetter with one index returns the item itself; two indexes return a tuple (zip takes the first).
        return itemgetter(indexes[0], indexes[0])
    return itemgetter(*indexes)


class _Plan(NamedTuple):
    text_names: tuple[str, ...]
    text_get: Callable[[tuple[str, ...]], tuple[str, ...]] | None
    flag_names: tuple[str, ...]
    flag_get: Callable[[tuple[str, ...]], tuple[str, ...]] | None
    typed: tuple[tuple[int, str, Converter], ...]
    extra_keys: tuple[str, ...]
    extra_get: Callable[[tuple[str, ...]], tuple[str, ...]] | None


_PLANS: dict[tuple[type[Any], tuple[str, ...]], _Plan] = {}
_DEFAULTS: dict[type[Any], dict[str, Any]] = {}


def _make_plan(cls: type[Any], keys: tuple[str, ...]) -> _Plan:
    table = converters(cls)
    seen: set[str] = set()
    text: list[tuple[int, str]] = []
    flags: list[tuple[int, str]] = []
    typed: list[tuple[int, str, Converter]] = []
    extra: list[int] = []
    for index, key in enumerate(keys):
        name = attribute_name(key)
        convert = table.get(name)
        if convert is None or name in seen:
            # Unknown, or a second spelling of a known key (CloudTGT after CloudTgt): keep it as printed.
            extra.append(index)
            continue
        seen.add(name)
        if convert is to_text:
            text.append((index, name))
        elif convert is to_flag:
            flags.append((index, name))
        else:
            typed.append((index, name, convert))
    return _Plan(
        text_names=tuple(name for _, name in text),
        text_get=_getter(tuple(index for index, _ in text)),
        flag_names=tuple(name for _, name in flags),
        flag_get=_getter(tuple(index for index, _ in flags)),
        typed=tuple(typed),
        extra_keys=tuple(keys[index] for index in extra),
        extra_get=_getter(tuple(extra)),
    )


def _defaults(cls: type[Any]) -> dict[str, Any]:
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        # Factory defaults (extra, raw) are filled per instance by build_section.
        defaults = {
            field.name: None if isinstance(field.default, attrs.Factory) else field.default  # type: ignore[arg-type]
            for field in attrs.fields(cls)
        }
        _DEFAULTS[cls] = defaults
    return defaults


def _model_class(attr: str) -> type[Any]:
    return WorkAccountSection if attr == WORK_ACCOUNT else SECTION_MODELS[attr][0]


def build_section(attr: str, items: Mapping[str, str], **fixed: Any) -> Any:
    """Build the model of one section from its printed ``key -> value`` pairs.

    Args:
        attr: the section's ``DsregStatus`` attribute, e.g. ``"user_state"`` or ``"work_accounts"``.
        items: printed key -> printed value.
        fixed: further field values (``number`` of a work account).

    Returns:
        The model. Keys it does not know go to ``extra``; when two printed keys map to one attribute
        (``CloudTGT`` and ``CloudTgt``) the first wins and the other goes to ``extra``.
    """
    cls = _model_class(attr)
    keys = tuple(items)
    plan = _PLANS.get((cls, keys))
    if plan is None:
        plan = _make_plan(cls, keys)
        if len(_PLANS) < _PLAN_LIMIT:
            _PLANS[(cls, keys)] = plan
    values = tuple(items.values())
    state = dict(_defaults(cls))
    if plan.text_get is not None:
        state.update(zip(plan.text_names, plan.text_get(values), strict=False))  # a 1-index getter repeats it
    raw: dict[str, str] = {}
    if plan.flag_get is not None:
        printed = plan.flag_get(values)
        flags = list(map(_YES_NO.get, printed))
        state.update(zip(plan.flag_names, flags, strict=False))
        if None in flags:
            for name, text in zip(plan.flag_names, printed, strict=False):
                flag, lossy = to_flag(text)
                state[name] = flag
                if lossy:
                    raw[name] = text
    for index, name, convert in plan.typed:
        text = values[index]
        state[name], lossy = convert(text)
        if lossy:
            raw[name] = text
    extra_get = plan.extra_get
    state["extra"] = dict(zip(plan.extra_keys, extra_get(values), strict=False)) if extra_get is not None else {}
    state["raw"] = raw
    if fixed:
        state.update(fixed)
    # Equivalent to cls(**state) for these models (no validators, no converters), without the cost of a call
    # with dozens of keyword arguments; tests/dsreg/test_dsreg_build.py checks the equivalence.
    instance = object.__new__(cls)
    object.__setattr__(instance, "__dict__", state)
    return instance


def section_items(sections: Mapping[str, Mapping[str, str]], legacy: bool) -> dict[str, Mapping[str, str]]:
    """Which printed items build which section model.

    The first section with a known title wins (a repeated title keeps its ``#2`` suffix and stays only in
    ``sections``). In the Windows 10 1607 layout, device and tenant keys were printed under Device State and
    ``AzureAdPrt`` under User State: when their own section is absent, those keys build it. They also stay in
    the host section's ``extra`` and in ``sections`` as printed.

    Returns:
        ``DsregStatus`` attribute -> printed items, for the sections that can be built.
    """
    found: dict[str, Mapping[str, str]] = {}
    for title, items in sections.items():
        attr = title_id(title)[0]
        if attr is not None and attr != WORK_ACCOUNT and attr not in found:
            found[attr] = items
    if not legacy and len(found) >= 3:
        return found
    strays: dict[str, dict[str, str]] = {}
    for host in _HOST_SECTIONS:
        host_items = found.get(host)
        if host_items is None:
            continue
        own = converters(SECTION_MODELS[host][0])
        for key, value in host_items.items():
            name = attribute_name(key)
            owner = ATTRIBUTE_SECTION.get(name)
            if name not in own and owner is not None and owner not in found:
                strays.setdefault(owner, {}).setdefault(key, value)
    found.update(strays)
    return found
