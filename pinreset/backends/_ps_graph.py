"""Calls through the Microsoft Graph PowerShell SDK: cmdlets with 429 back-off, and ``Invoke-MgGraphRequest``
with paging and ``$batch`` for what has no cmdlet.

A throttled call (``Status: 429``) was not carried out, so it is repeated after ``Retry-After`` (or capped
exponential back-off) whatever it was; every other error is raised at once. Each backend operation runs inside
:meth:`MgClient.budget`: a wait that would outlast the operation's deadline is not slept but raised as
:class:`DeadlineExceededError`.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pinreset.backends._ps_session import Cmd, PSSession
from pinreset.backends._ps_shapes import parse_json_outputs, sdk_to_graph
from pinreset.exceptions import BackendError, DeadlineExceededError, ParseError, ThrottledError
from pinreset.graph._retry import Deadline, RetryPolicy

__all__ = ["MgClient"]


class MgClient:
    """The SDK on one admin host, for the backend's operations.

    Args:
        session: the runspace pool.
        retry_policy: back-off for 429 answers.
        sleep: how to wait (tests pass a fake).
        rng: jitter source.
        deadline: seconds one backend operation may take, its 429 waits included; ``None`` for none.
        clock: monotonic seconds, for the deadline.

    The attributes ``pacer``, ``retry_policy``, ``_rng``, ``_sleep``, ``_clock``, :attr:`deadline` and
    :meth:`post_batch` are what :func:`pinreset.graph.run_batch` uses, so ``$batch`` runs through the same code
    as in the Graph backend.
    """

    def __init__(
        self,
        session: PSSession,
        *,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.operation_deadline = deadline
        self._clock = clock
        self.retry_policy = retry_policy or RetryPolicy()
        self.pacer: Any = None
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        #: 429 answers waited out, for tests and figures.
        self.throttled = 0

    @property
    def deadline(self) -> float | None:
        """Seconds left of the running operation's budget (``run_batch`` bounds its retry waits by it)."""
        budget = self.session.budget
        return budget.remaining() if budget is not None else None

    @contextlib.contextmanager
    def budget(self, operation: str) -> Iterator[None]:
        """Run one backend operation within ``operation_deadline``; an operation inside another shares its budget.

        Args:
            operation: the operation's name, for :class:`DeadlineExceededError` messages.
        """
        session = self.session
        if session.budget is not None or self.operation_deadline is None:
            yield
            return
        session.budget, session.operation = Deadline(self.operation_deadline, self._clock), operation
        try:
            yield
        finally:
            session.budget, session.operation = None, ""

    def run(self, *commands: Cmd, as_json: bool = False, method: str | None = None, uri: str | None = None,
            sign_in: bool = False) -> list[Any]:
        """One pipeline, repeated after each 429 up to ``retry_policy.max_retries`` times.

        Raises:
            ThrottledError: still throttled after every retry.
            DeadlineExceededError: the operation's budget was spent, or the next 429 wait would outlast it.
            BackendError: any other failure, at once.
        """
        attempt = 0
        while True:
            try:
                return self.session.invoke(commands, as_json=as_json, method=method, uri=uri, sign_in=sign_in)
            except ThrottledError as exc:
                attempt += 1
                if attempt > self.retry_policy.max_retries:
                    raise
                wait = self.retry_policy.delay(attempt, exc.retry_after, self._rng)
                budget = self.session.budget
                if budget is not None and not budget.allows_wait(wait):
                    raise DeadlineExceededError(
                        f"{self.session.operation or commands[0].name} on admin host {self.session.host}: deadline "
                        f"of {budget.seconds}s exceeded: {commands[0].name} was throttled (429) and the next try "
                        f"would come after {wait:.1f}s",
                        backend="powershell",
                    ) from exc
                self.throttled += 1
                self._sleep(wait)

    def objects(self, *commands: Cmd) -> list[dict[str, Any]]:
        """The pipeline's SDK objects (through ``ConvertTo-Json``) as Graph JSON objects."""
        values = parse_json_outputs(self.run(*commands, as_json=True))
        return [sdk_to_graph(v) for v in values if isinstance(v, Mapping)]

    def first(self, *commands: Cmd) -> dict[str, Any]:
        """The pipeline's one SDK object as Graph JSON.

        Raises:
            ParseError: when it wrote no object.
        """
        found = self.objects(*commands)
        if not found:
            raise ParseError(f"{commands[0].name} returned nothing")
        return found[0]

    def request(self, method: str, uri: str, body: Any = None) -> Any:
        """``Invoke-MgGraphRequest -Method -Uri [-Body] -OutputType Json``; returns the decoded answer (or ``None``).

        Args:
            method: GET, POST, PUT, PATCH or DELETE.
            uri: relative (``/beta/…``) or a full ``@odata.nextLink`` on the connected cloud's Graph root.
            body: a JSON-serialisable body, sent as one JSON string parameter.
        """
        params: list[tuple[str, Any]] = [("Method", method), ("Uri", uri), ("OutputType", "Json")]
        if body is not None:
            params += [("Body", json.dumps(body)), ("ContentType", "application/json")]
        outputs = self.run(Cmd("Invoke-MgGraphRequest", *params), method=method, uri=uri)
        text = "".join(str(o) for o in outputs if o is not None).strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ParseError(f"{method} {uri} through Invoke-MgGraphRequest did not answer JSON") from exc

    def paginate(self, uri: str) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink`` (its whole path and query, as Graph asks).

        An absolute next link is sent as its path and query: ``Invoke-MgGraphRequest`` resolves that against the
        connected cloud's Graph root, so the host's token never travels to a host named in an answer.
        """
        link: str | None = uri
        while link:
            page = self.request("GET", link)
            if not isinstance(page, Mapping):
                raise ParseError(f"GET {link} did not return a collection")
            yield from (dict(item) for item in page.get("value") or [] if isinstance(item, Mapping))
            next_link = page.get("@odata.nextLink")
            link = _on_graph_root(str(next_link)) if next_link else None

    def post_batch(self, version: str, requests: Sequence[Mapping[str, Any]], *, idempotent: bool) -> list[Any]:
        """POST one ``$batch`` through ``Invoke-MgGraphRequest``; returns its ``responses``.

        Raises:
            BackendError: when the batch itself fails.
        """
        del idempotent  # a lost $batch answer is reported per request by run_batch; never re-sent blindly here
        answer = self.request("POST", f"/{version}/$batch", {"requests": list(requests)})
        responses = answer.get("responses") if isinstance(answer, Mapping) else None
        if not isinstance(responses, list):
            raise BackendError("$batch answered without a 'responses' list", backend="powershell")
        return responses


def _on_graph_root(link: str) -> str:
    """``link`` relative to the connected Graph root (path and query kept exactly, host and scheme dropped)."""
    parts = urlsplit(link)
    if not parts.scheme and not parts.netloc:
        return link
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    return path + (f"?{parts.query}" if parts.query else "")
