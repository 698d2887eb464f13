"""Directory lookups shared by the backends: service principals by app id and groups by display name.

Each backend runs a ``$filter`` query its own way (a paged GET, or a ``Get-Mg…`` cmdlet with ``-Filter``) and
passes it in as a callable; how the filters are built and how the answers are read is the same for both, so it
lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pinreset._converter import structure
from pinreset.exceptions import ConfigurationError
from pinreset.graph._odata import odata_any_eq, odata_eq
from pinreset.models import Group, ServicePrincipal

__all__ = ["SP_CHUNK", "FilterQuery", "find_groups_by_name", "find_sps_by_app_id"]

#: Runs one ``$filter`` expression and returns the matching objects as Graph JSON.
FilterQuery = Callable[[str], Iterable[Mapping[str, Any]]]

#: App ids per ``or`` filter: well under Graph's limit on clauses in one filter.
SP_CHUNK = 10


def find_sps_by_app_id(app_ids: Sequence[str], query: FilterQuery) -> dict[str, ServicePrincipal]:
    """Service principals by application id, :data:`SP_CHUNK` ids per query.

    Args:
        app_ids: distinct application ids.
        query: runs one filter on the service principals.

    Returns:
        app id -> its service principal; ids with none are absent (so is anything the server returned that was
        not asked for).
    """
    found: dict[str, ServicePrincipal] = {}
    for start in range(0, len(app_ids), SP_CHUNK):
        chunk = app_ids[start : start + SP_CHUNK]
        for raw in query(odata_any_eq("appId", chunk)):
            sp = structure(raw, ServicePrincipal)
            if sp.app_id in chunk:
                found.setdefault(sp.app_id, sp)
    return found


def find_groups_by_name(names: Sequence[str], query: FilterQuery) -> dict[str, Group]:
    """Groups by exact display name, one query per distinct name (the name quoted).

    Args:
        names: display names, perhaps repeated.
        query: runs one filter on the groups.

    Returns:
        name -> its group; names with none are absent.

    Raises:
        ConfigurationError: when two groups share one of the names (assigning to either would be a guess).
    """
    found: dict[str, Group] = {}
    for name in dict.fromkeys(names):
        groups = [structure(raw, Group) for raw in query(odata_eq("displayName", name))]
        exact = [g for g in groups if g.display_name == name]
        if len(exact) > 1:
            ids = ", ".join(g.id for g in exact)
            raise ConfigurationError(f"several groups are named {name!r} ({ids}); use a group id instead")
        if exact:
            found[name] = exact[0]
    return found
