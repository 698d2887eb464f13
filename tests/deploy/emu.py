"""Helpers for end-to-end deploy tests: a Graph backend on the emulator's in-process transport."""

from __future__ import annotations

import time
from typing import Any

from pinreset.auth import AccessToken
from pinreset.backends.graph import GraphBackend
from pinreset.emulator import Emulator


class EmulatorTokenCredential:
    """An azure-identity style credential that mints tokens for one emulator app (sign-in is tested elsewhere)."""

    def __init__(self, emu: Emulator, client_id: str | None = None) -> None:
        self.emu = emu
        self.client_id = client_id

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A fresh token for the app."""
        return AccessToken(self.emu.access_token(self.client_id), int(time.time()) + 3600)


def graph_backend(emu: Emulator, client_id: str | None = None, **options: Any) -> GraphBackend:
    """A GraphBackend speaking to ``emu`` in-process as ``client_id`` (the admin app by default)."""
    return GraphBackend.connect(
        credential=EmulatorTokenCredential(emu, client_id),
        graph_url="https://graph.microsoft.com",
        transport=emu.transport,
        **options,
    )
