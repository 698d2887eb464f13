"""Tenant backends: one protocol (:class:`TenantBackend`), two implementations (Graph and PowerShell)."""

from __future__ import annotations

from pinreset.backends._protocol import TenantBackend

__all__ = ["TenantBackend"]
