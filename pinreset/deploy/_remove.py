"""``remove``: delete what pinreset created, recognised by its marker, and nothing else.

The two Microsoft PIN reset service principals are left alone: they are Microsoft's apps, may have been consented
before pinreset ever ran, and deleting them breaks PIN reset on every device at once. Delete them by hand in the
Entra admin center if that is really intended.
"""

from __future__ import annotations

import attrs

from pinreset.backends import TenantBackend
from pinreset.deploy._compare import is_ours
from pinreset.exceptions import ApplyError, NotFoundError, PinresetError
from pinreset.models import Policy

__all__ = ["KEPT_APPS_NOTE", "RemoveResult", "remove"]

KEPT_APPS_NOTE = (
    "the Microsoft PIN reset service principals were kept: they are Microsoft's apps, may predate pinreset, and "
    "deleting them disables PIN reset tenant-wide; delete them in the Entra admin center if really intended"
)


@attrs.frozen(kw_only=True)
class RemoveResult:
    """What ``remove`` deleted (or would delete, with ``dry_run``).

    Attributes:
        dry_run: nothing was deleted.
        policies: the marked policies found (deleted unless ``dry_run`` or listed in ``failed``).
        failed: policy id -> error text, for deletions that failed.
        note: why the service principals stay.
    """

    dry_run: bool
    policies: tuple[Policy, ...]
    failed: tuple[tuple[str, str], ...] = ()
    note: str = KEPT_APPS_NOTE

    @property
    def removed(self) -> tuple[Policy, ...]:
        """The policies actually deleted."""
        if self.dry_run:
            return ()
        failed = {pid for pid, _ in self.failed}
        return tuple(p for p in self.policies if p.id not in failed)


def remove(backend: TenantBackend, *, dry_run: bool = False) -> RemoveResult:
    """Delete every policy pinreset created (those whose description carries the marker).

    Args:
        backend: the tenant.
        dry_run: only list what would be deleted.

    Returns:
        what was found and deleted.

    Raises:
        ApplyError: a deletion failed; ``.result`` holds the :class:`RemoveResult` (the others were still tried).
    """
    ours = tuple(p for p in backend.list_policies() if is_ours(p))
    if dry_run:
        return RemoveResult(dry_run=True, policies=ours)
    failed: list[tuple[str, str]] = []
    for policy in ours:
        try:
            backend.delete_policy(policy.ref)
        except NotFoundError:
            continue  # gone already: what remove wants
        except PinresetError as exc:
            failed.append((policy.id, str(exc)))
    result = RemoveResult(dry_run=False, policies=ours, failed=tuple(failed))
    if failed:
        raise ApplyError(
            f"{len(failed)} of {len(ours)} pinreset policies could not be deleted: {failed[0][1]}", result=result
        )
    return result
