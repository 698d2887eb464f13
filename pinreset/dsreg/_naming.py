"""The one rule that turns a printed dsregcmd key into a Python attribute name.

1. Every run of characters other than ASCII letters and digits is a word break (``Device Name``,
   ``Auto-Configuration URL``, ``KeySignTest:``).
2. A lower-case letter or digit followed by an upper-case letter is a word break (``NgcSet`` -> ``Ngc Set``).
3. In a run of upper-case letters followed by a lower-case letter, the last upper-case letter starts a new word
   (``WebAuthNSrv`` -> ``Web Auth N Srv``; ``AADJoined`` -> ``AAD Joined``); a run at the end stays one word
   (``WamDefaultGUID`` -> ``Wam Default GUID``).
4. The words, lower-cased, are joined with ``_``.

So ``AzureAdPrtUpdateTime`` -> ``azure_ad_prt_update_time``, ``CloudTGT`` and ``CloudTgt`` -> ``cloud_tgt``,
``IsUserAzureAD`` -> ``is_user_azure_ad``, ``HTTP status`` -> ``http_status``.
"""

from __future__ import annotations

import re

__all__ = ["attribute_name"]

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM_END = re.compile(r"([A-Z])([A-Z][a-z])")

_CACHE: dict[str, str] = {}
_CACHE_LIMIT = 4096  # printed keys repeat across outputs; arbitrary input must not grow the cache forever


def attribute_name(key: str) -> str:
    """The attribute name for a printed key, e.g. ``AzureAdPrtUpdateTime`` -> ``azure_ad_prt_update_time``.

    Args:
        key: the key as printed (without the separator).

    Returns:
        The snake_case name; empty when the key has no ASCII letter or digit.
    """
    name = _CACHE.get(key)
    if name is None:
        spaced = _ACRONYM_END.sub(r"\1 \2", _LOWER_UPPER.sub(r"\1 \2", _NON_ALNUM.sub(" ", key)))
        name = "_".join(spaced.lower().split())
        if len(_CACHE) < _CACHE_LIMIT:
            _CACHE[key] = name
    return name
