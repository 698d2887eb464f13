"""Microsoft Graph over httpx: :class:`GraphClient`, ``$batch``, paging and OData quoting.

Importing this package imports httpx; ``import pinreset`` does not (names are exported lazily).
"""

from __future__ import annotations

from pinreset.graph._batch import MAX_BATCH, BatchRequest, BatchResult, run_batch
from pinreset.graph._client import GLOBAL_GRAPH_URL, GraphClient, GraphResponse
from pinreset.graph._odata import odata_any_eq, odata_eq, odata_quote
from pinreset.graph._pacing import INTUNE_LIMITS, FamilyLimit, Pacer, service_family
from pinreset.graph._retry import Deadline, RetryPolicy, parse_retry_after

__all__ = [
    "GLOBAL_GRAPH_URL",
    "INTUNE_LIMITS",
    "MAX_BATCH",
    "BatchRequest",
    "BatchResult",
    "Deadline",
    "FamilyLimit",
    "GraphClient",
    "GraphResponse",
    "Pacer",
    "RetryPolicy",
    "odata_any_eq",
    "odata_eq",
    "odata_quote",
    "parse_retry_after",
    "run_batch",
    "service_family",
]
