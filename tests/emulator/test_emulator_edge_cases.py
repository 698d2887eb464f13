"""Edge cases found in review: concurrent cache clears, malformed sign-in and batch input, bounded stores."""

from __future__ import annotations

from typing import Any

from pinreset.emulator import Emulator
from pinreset.emulator._http import Request


class _ClearedByAnotherThread(dict[str, Any]):
    """A cache that another thread empties right after a membership test, as a concurrent clear can."""

    def __contains__(self, key: object) -> bool:
        present = super().__contains__(key)
        self.clear()
        return present


def test_request_log_survives_a_concurrent_app_id_cache_clear() -> None:
    """A token seen before is logged with its app id even if the cache is cleared while it is looked up."""
    emu = Emulator(devices=1, seed=2)
    router = emu.app
    token = emu.access_token()
    router.handle(Request("GET", "/v1.0/organization", headers={"authorization": f"Bearer {token}"}))
    router._app_ids = _ClearedByAnotherThread(router._app_ids)
    response = router.handle(Request("GET", "/v1.0/organization", headers={"authorization": f"Bearer {token}"}))
    assert response.status == 200
    assert router.snapshot()[-1].app_id == emu.client_id
