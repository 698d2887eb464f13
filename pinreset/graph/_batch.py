"""JSON ``$batch``: up to 20 requests per POST, retrying only the inner requests that failed transiently.

Graph throttles each inner request on its own, so one batch can come back with some answers 200 and some 429.
:func:`run_batch` re-sends only those (and the ones that failed because a dependency did, status 424), waits for
the longest ``Retry-After`` among them, and returns exactly one result per request, in the caller's order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from pinreset.exceptions import (
    AuthenticationError,
    BackendError,
    ConfigurationError,
    DeadlineExceededError,
    GraphError,
)
from pinreset.graph._errors import error_from_response
from pinreset.graph._retry import ALWAYS_RETRYABLE, RETRYABLE_IF_IDEMPOTENT, Deadline, retry_after_of

if TYPE_CHECKING:
    from pinreset.graph._client import GraphClient

__all__ = ["MAX_BATCH", "BatchRequest", "BatchResult", "run_batch"]

#: Graph's documented maximum number of requests in one ``$batch``.
MAX_BATCH = 20
_IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD"})


@attrs.frozen(kw_only=True)
class BatchRequest:
    """One inner request.

    Attributes:
        id: unique within the run.
        method: HTTP method.
        url: path relative to the version root, e.g. ``/deviceManagement/managedDevices/{id}/syncDevice``.
        body: JSON body, if any (``Content-Type`` is added).
        headers: extra headers.
        depends_on: ids of earlier requests that must succeed first (kept in the same ``$batch``).
        idempotent: whether repeating it is harmless (default: by method).
    """

    id: str
    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    depends_on: tuple[str, ...] = ()
    idempotent: bool | None = None

    @property
    def repeatable(self) -> bool:
        """Whether a 504 or a lost answer may be retried."""
        return self.method.upper() in _IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    def payload(self, depends_on: Sequence[str]) -> dict[str, Any]:
        """The JSON of this request inside a ``$batch`` body."""
        item: dict[str, Any] = {"id": self.id, "method": self.method.upper(), "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            headers.setdefault("Content-Type", "application/json")
            item["body"] = self.body
        if headers:
            item["headers"] = headers
        if depends_on:
            item["dependsOn"] = list(depends_on)
        return item


@attrs.frozen(kw_only=True)
class BatchResult:
    """The final answer to one inner request.

    Attributes:
        id: the request's id.
        status: HTTP status (0 when no answer arrived at all).
        headers: inner response headers.
        body: inner response body.
        attempts: how many times it was sent.
    """

    id: str
    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: Any = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    def error(self) -> BackendError | None:
        """The typed error of a failed answer (``None`` when it succeeded)."""
        if self.ok:
            return None
        if self.status == 0:
            message = self.body if isinstance(self.body, str) else "no answer"
            return BackendError(f"batch request {self.id}: {message}")
        return error_from_response(self.status, self.headers, self.body, url=f"$batch#{self.id}")


def _units(requests: Sequence[BatchRequest]) -> list[list[BatchRequest]]:
    """Groups of requests linked by ``depends_on``, in order; a group must travel in one ``$batch``."""
    group_of: dict[str, int] = {}
    groups: list[list[BatchRequest]] = []
    for req in requests:
        if req.id in group_of:
            raise ConfigurationError(f"duplicate batch request id {req.id!r}")
        linked = sorted({group_of[d] for d in req.depends_on if d in group_of})
        missing = [d for d in req.depends_on if d not in group_of]
        if missing:
            raise ConfigurationError(f"batch request {req.id!r} depends on unknown or later ids {missing}")
        if not linked:
            groups.append([req])
            group_of[req.id] = len(groups) - 1
            continue
        target = linked[0]
        for other in linked[1:]:  # merge groups joined by this request
            for moved in groups[other]:
                group_of[moved.id] = target
            groups[target].extend(groups[other])
            groups[other] = []
        groups[target].append(req)
        group_of[req.id] = target
    units = [g for g in groups if g]
    for unit in units:
        if len(unit) > MAX_BATCH:
            raise ConfigurationError(f"more than {MAX_BATCH} batch requests depend on each other")
    return units


def _paced_chunks(client: GraphClient, version: str, units: list[list[BatchRequest]]) -> Iterator[list[BatchRequest]]:
    """Pack units into batches of up to 20, counting each inner request against the pacer.

    Intune throttles every inner request on its own, so a batch must not carry more requests than the pacer
    allows *now*: when the next request would have to wait, the batch gathered so far is sent first (the
    generator yields it) and the wait happens before the next batch.
    """
    pacer = client.pacer
    chunk: list[BatchRequest] = []
    for unit in units:
        paced = [(req.method, f"/{version}{req.url}") for req in unit]
        # The whole unit must fit now: a wait for any of its requests would hold the gathered ones back and
        # make them arrive later than the pacer counted them.
        must_wait = pacer is not None and pacer.wait_time_all(paced) > 0
        if chunk and (len(chunk) + len(unit) > MAX_BATCH or must_wait):
            yield chunk
            chunk = []
        if pacer is not None:
            pacer.acquire_all(paced)
        chunk.extend(unit)
    if chunk:
        yield chunk


def _send_chunk(client: GraphClient, version: str, chunk: list[BatchRequest]) -> dict[str, BatchResult]:
    ids = {r.id for r in chunk}
    payload = []
    for req in chunk:
        # A dependency that already succeeded in an earlier round is not resent; drop it from dependsOn.
        payload.append(req.payload([d for d in req.depends_on if d in ids]))
    try:
        responses = client.post_batch(version, payload, idempotent=all(r.repeatable for r in chunk))
    except (AuthenticationError, DeadlineExceededError):
        raise
    except GraphError as exc:
        body = {"error": {"code": exc.code, "message": exc.message}}
        return {r.id: BatchResult(id=r.id, status=exc.status_code, body=body) for r in chunk}
    except BackendError as exc:
        return {r.id: BatchResult(id=r.id, status=0, body=f"$batch failed: {exc}") for r in chunk}
    answers: dict[str, BatchResult] = {}
    for item in responses:
        if not isinstance(item, Mapping) or str(item.get("id")) not in ids:
            continue
        headers = item.get("headers") if isinstance(item.get("headers"), Mapping) else {}
        status = item.get("status")
        if isinstance(status, str) and status.strip().isdigit():
            status = int(status)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            # An answer without a usable status is no answer: left for the "answered without" result below.
            continue
        answers[str(item["id"])] = BatchResult(
            id=str(item["id"]), status=status, headers={str(k): str(v) for k, v in (headers or {}).items()},
            body=item.get("body"),
        )  # fmt: skip
    for req in chunk:
        answers.setdefault(req.id, BatchResult(id=req.id, status=0, body="$batch answered without this request"))
    return answers


def _should_retry(req: BatchRequest, result: BatchResult, retrying: set[str]) -> bool:
    if result.status in ALWAYS_RETRYABLE:
        return True
    if result.status in RETRYABLE_IF_IDEMPOTENT or result.status == 0:
        return req.repeatable
    # 424: a dependency failed; worth resending only together with a dependency that is being retried.
    return result.status == 424 and any(d in retrying for d in req.depends_on)


def _clock_of(client: GraphClient) -> Callable[[], float]:
    clock = getattr(client, "_clock", None)
    return clock if callable(clock) else time.monotonic


def run_batch(client: GraphClient, requests: Sequence[BatchRequest], *, version: str = "v1.0") -> list[BatchResult]:
    """Send ``requests`` in ``$batch`` POSTs of up to 20 and return one result per request, in order.

    Args:
        client: the Graph client (its retry policy, pacing and sleep are used).
        requests: the inner requests; ids unique, ``depends_on`` naming earlier ids.
        version: ``v1.0`` or ``beta``.

    Returns:
        One :class:`BatchResult` per request; failures keep their status and Graph error body.

    Raises:
        ConfigurationError: for duplicate ids, unknown dependencies, or a dependency chain longer than 20.
        AuthenticationError: when no token could be obtained.
        DeadlineExceededError: when one ``$batch`` POST ran out of time. (When a retry wait would pass the
            client's deadline, the retrying stops instead and each request keeps its last answer.)
    """
    pending = list(requests)
    final: dict[str, BatchResult] = {}
    attempts: dict[str, int] = dict.fromkeys((r.id for r in requests), 0)
    round_no = 0
    retry_deadline: Deadline | None = None
    while pending:
        answers: dict[str, BatchResult] = {}
        for chunk in _paced_chunks(client, version, _units(pending)):
            answers.update(_send_chunk(client, version, chunk))
        for req in pending:
            attempts[req.id] += 1
        retry: list[BatchRequest] = []
        retrying: set[str] = set()
        waits: list[float] = []
        # Requests come after their dependencies, so one pass sees whether a 424's dependency is resent: only
        # then may the dependant go again (with dependsOn kept); otherwise it would run without its dependency.
        for req in pending:
            result = answers[req.id]
            if round_no < client.retry_policy.max_retries and _should_retry(req, result, retrying):
                retry.append(req)
                retrying.add(req.id)
                after = retry_after_of(result.headers)
                if after is not None:
                    waits.append(after)
            else:
                final[req.id] = attrs.evolve(result, attempts=attempts[req.id])
        if not retry:
            break
        round_no += 1
        wait = client.retry_policy.delay(round_no, max(waits) if waits else None, client._rng)
        # The client's deadline bounds the retrying (the first round may legitimately take longer, paced); a
        # wait that does not fit ends the retries, and each request keeps its last answer.
        if retry_deadline is None:
            retry_deadline = Deadline(getattr(client, "deadline", None), _clock_of(client))
        if not retry_deadline.allows_wait(wait):
            for req in retry:
                final[req.id] = attrs.evolve(answers[req.id], attempts=attempts[req.id])
            break
        client._sleep(wait)
        pending = retry
    return [final[r.id] for r in requests]
