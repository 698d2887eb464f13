"""GraphClient: Microsoft Graph over httpx with retries, pacing, paging, a deadline and typed errors.

Reliability rules, in one place:

- 429 and 503 are retried for every method (Graph did not process the request), honouring ``Retry-After``;
  500, 502, 504, dropped connections, truncated bodies and unreadable JSON on a 2xx only for idempotent
  requests (GET, PUT, DELETE, and POSTs the caller marks idempotent such as ``assign`` or a report query).
- A non-idempotent create is never blindly retried: :meth:`GraphClient.create` asks the caller's ``lookup``
  whether the object exists before posting again.
- Every request carries a fresh ``client-request-id``; every error carries it and Graph's ``request-id``.
- Requests to Intune's service families are paced under the per-app limits (:mod:`pinreset.graph._pacing`).
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import attrs
import httpx

from pinreset._version import __version__
from pinreset.auth._protocol import TokenCredential
from pinreset.exceptions import (
    BackendError,
    ConflictError,
    DeadlineExceededError,
    GraphError,
    ParseError,
    PinresetError,
    TransportError,
)
from pinreset.graph._auth import BearerAuth
from pinreset.graph._errors import error_from_response, error_from_transport, safe_url
from pinreset.graph._pacing import Pacer
from pinreset.graph._retry import ALWAYS_RETRYABLE, RETRYABLE_IF_IDEMPOTENT, Deadline, RetryPolicy, retry_after_of
from pinreset.graph._tls import env_proxy, is_tls_verification_failure, ssl_context

__all__ = ["GLOBAL_GRAPH_URL", "GraphClient", "GraphResponse"]

log = logging.getLogger("pinreset.graph")

GLOBAL_GRAPH_URL = "https://graph.microsoft.com"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@attrs.frozen
class GraphResponse:
    """A successful Graph answer.

    Attributes:
        status: HTTP status (2xx).
        headers: response headers (lower-case names).
        body: decoded JSON, or ``None`` for an empty body.
    """

    status: int
    headers: Mapping[str, str]
    body: Any


class GraphClient:
    """A Microsoft Graph client.

    Args:
        credential: anything with azure-identity's ``get_token(*scopes)`` (pinreset's credentials included).
        graph_url: Graph root without version (per national cloud; the emulator's URL in tests).
        transport: an httpx transport to use instead of the network (the emulator's in-process transport).
        verify: ``True`` (certifi's CA bundle), a CA bundle path, an ``ssl.SSLContext``, or ``False``.
        timeout: seconds per request attempt (connect, read, write, pool).
        max_retries: retries after the first attempt.
        deadline: seconds one call may take including retries and waits; ``None`` for none.
        user_agent: the ``User-Agent`` header.
        pacing: ``True`` for Intune's default limits, ``False`` for none, or a :class:`Pacer`.
        retry_policy: backoff settings (``max_retries`` overrides its own).
        scopes: token scopes (default ``<graph_url>/.default``).
        clock: monotonic seconds, for deadlines and pacing (injectable for tests).
        sleep: how to wait (injectable for tests).
        rng: randomness for jitter (injectable for tests).
        close_credential: close the credential (its sign-in connections) in :meth:`close`.
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        graph_url: str = GLOBAL_GRAPH_URL,
        transport: httpx.BaseTransport | None = None,
        verify: bool | str | ssl.SSLContext = True,
        timeout: float = 30.0,
        max_retries: int = 6,
        deadline: float | None = 300.0,
        user_agent: str = f"pinreset/{__version__}",
        pacing: bool | Pacer = True,
        retry_policy: RetryPolicy | None = None,
        scopes: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        close_credential: bool = False,
    ) -> None:
        self._credential = credential
        self._close_credential = close_credential
        self.graph_url = graph_url.rstrip("/")
        self._origin = httpx.URL(self.graph_url)
        self.scopes = tuple(scopes) if scopes else (f"{self.graph_url}/.default",)
        self.retry_policy = attrs.evolve(retry_policy or RetryPolicy(), max_retries=max_retries)
        self.deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        if isinstance(pacing, Pacer):
            self.pacer: Pacer | None = pacing
        else:
            self.pacer = Pacer(clock=clock, sleep=sleep) if pacing else None
        self.auth = BearerAuth(credential, self.scopes)
        self.requests_sent = 0  # attempts on the wire, for benchmarks
        self._http = httpx.Client(
            base_url=self.graph_url,
            transport=transport,
            verify=ssl_context(verify) if transport is None else True,
            proxy=env_proxy(self.graph_url) if transport is None else None,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            auth=self.auth,
        )

    def __repr__(self) -> str:
        return f"GraphClient(graph_url={self.graph_url!r})"

    def close(self) -> None:
        """Close the connection pool (and the credential's, when this client owns it)."""
        self._http.close()
        close = getattr(self._credential, "close", None)
        if self._close_credential and callable(close):
            close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- one request ----------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
    ) -> GraphResponse:
        """Send one Graph request with retries, pacing and the deadline; return the successful answer.

        Args:
            method: HTTP method.
            url: path relative to the Graph root (``/v1.0/organization``) or an absolute URL on the same origin.
            params: query parameters (values are sent percent-encoded).
            json_body: JSON body.
            headers: extra headers (e.g. ``ConsistencyLevel``).
            idempotent: whether repeating the request is harmless (default: by method; POST is not).
            timeout: seconds for each attempt, overriding the client's.

        Returns:
            The 2xx answer with its decoded body.

        Raises:
            GraphError: (or a subclass) for an error answer, after retries where they apply.
            TransportError: when the network failed and the request could not (or may not) be repeated.
            DeadlineExceededError: when the deadline ran out before the request succeeded.
            AuthenticationError: when no token could be obtained or Graph refused it.
        """
        method = method.upper()
        self._check_origin(url)
        idempotent = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        deadline = Deadline(self.deadline, self._clock)
        client_request_id = str(uuid.uuid4())
        send_headers = {"client-request-id": client_request_id, **(headers or {})}
        attempt = 0
        while True:
            left = deadline.remaining()
            if left is not None and left <= 0:
                raise DeadlineExceededError(f"{method} {safe_url(url)}: deadline of {self.deadline}s exceeded")
            if self.pacer is not None:
                # The pacer's wait counts against the deadline like any other: refuse one that does not fit,
                # and measure what is left only after it, so the attempt's timeout never outlives the deadline.
                pace = self.pacer.wait_time(method, url)
                if pace > 0 and not deadline.allows_wait(pace):
                    raise DeadlineExceededError(
                        f"{method} {safe_url(url)}: deadline of {self.deadline}s exceeded waiting for Intune's "
                        f"request limits ({pace:.1f}s)"
                    )
                self.pacer.acquire(method, url)
                left = deadline.remaining()
                if left is not None and left <= 0:
                    raise DeadlineExceededError(f"{method} {safe_url(url)}: deadline of {self.deadline}s exceeded")
            failure: PinresetError
            try:
                response = self._send(method, url, params, json_body, send_headers, timeout, left)
            except TransportError as exc:
                failure = exc
                # A connection never made means the request never left: safe to repeat even a create.
                never_sent = isinstance(exc.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                retry = idempotent or never_sent
                if is_tls_verification_failure(exc):
                    raise
                retry_after = None
            else:
                if 200 <= response.status < 300:
                    return response
                failure = error_from_response(
                    response.status,
                    response.headers,
                    response.body,
                    method=method,
                    url=safe_url(url),
                    client_request_id=client_request_id,
                )
                retry = response.status in ALWAYS_RETRYABLE or (
                    response.status in RETRYABLE_IF_IDEMPOTENT and idempotent
                )
                retry_after = retry_after_of(response.headers)
            attempt += 1
            if not retry or attempt > self.retry_policy.max_retries:
                raise failure
            wait = self.retry_policy.delay(attempt, retry_after, self._rng)
            if not deadline.allows_wait(wait):
                raise DeadlineExceededError(
                    f"{method} {safe_url(url)}: deadline of {self.deadline}s exceeded while retrying ({failure})"
                ) from failure
            log.info("retrying %s %s in %.1fs after: %s", method, safe_url(url), wait, failure)
            self._sleep(wait)

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        headers: Mapping[str, str],
        timeout: float | None,
        left: float | None,
    ) -> GraphResponse:
        """One attempt on the wire; the only place httpx exceptions are caught."""
        per_attempt = timeout if timeout is not None else self._http.timeout.read
        if left is not None and per_attempt is not None:
            per_attempt = max(0.001, min(per_attempt, left))
        content = None if json_body is None else json.dumps(json_body).encode()
        send_headers = dict(headers)
        if content is not None:
            send_headers["Content-Type"] = "application/json"
        self.requests_sent += 1
        try:
            response = self._http.request(
                method,
                url,
                params=dict(params) if params else None,
                content=content,
                headers=send_headers,
                timeout=per_attempt if per_attempt is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, method=method, url=url) from exc
        headers_out = {k.lower(): v for k, v in response.headers.items()}
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError as exc:
                if 200 <= response.status_code < 300:
                    # A 2xx whose JSON does not parse was cut short on the way: treat it as a network failure.
                    status = response.status_code
                    raise TransportError(f"{method} {safe_url(url)}: unreadable JSON in a {status}") from exc
                body = response.text
        return GraphResponse(status=response.status_code, headers=headers_out, body=body)

    def _check_origin(self, url: str) -> None:
        if "://" not in url:
            return
        target = httpx.URL(url)
        if (target.scheme, target.host, target.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            # The bearer token must never travel to another host, whatever a server put in a nextLink.
            raise ParseError(f"refusing to follow a URL outside {self.graph_url}: {safe_url(url)}")

    # -- conveniences ---------------------------------------------------------------------------------------------

    def get(
        self, url: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """GET and return the decoded body (see :meth:`request`)."""
        return self.request("GET", url, params=params, headers=headers).body

    def paginate(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        prefetch: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a collection, following ``@odata.nextLink`` to the end.

        The next link is followed as the full URL Graph gave (never rebuilt from ``$skiptoken``), and ``headers``
        such as ``ConsistencyLevel`` are sent again with every page, since Graph does not carry them over.

        Args:
            url: the collection's path or URL.
            params: query parameters of the first page only (the next link contains them).
            headers: headers for every page.
            prefetch: fetch the next page in a background thread while the caller works through this one
                (at most two pages in memory); worthwhile for large collections such as managed devices.

        Yields:
            Raw item dicts, page by page.
        """
        page = self.request("GET", url, params=params, headers=headers).body
        executor: ThreadPoolExecutor | None = None
        try:
            while True:
                if not isinstance(page, Mapping):
                    raise ParseError(f"GET {safe_url(url)} did not return a collection object")
                items = page.get("value")
                if not isinstance(items, list):
                    raise ParseError(f"GET {safe_url(url)} returned a collection without a 'value' list")
                next_link = page.get("@odata.nextLink")
                upcoming: Future[GraphResponse] | None = None
                if next_link and prefetch:
                    if executor is None:
                        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pinreset-page")
                    upcoming = executor.submit(self.request, "GET", str(next_link), headers=headers)
                yield from items
                if not next_link:
                    return
                if str(next_link) == url:
                    # A page linking to itself would be fetched forever: each page has its own deadline.
                    raise ParseError(f"GET {safe_url(url)}: @odata.nextLink points back to the same page")
                url = str(next_link)
                page = (upcoming.result() if upcoming else self.request("GET", url, headers=headers)).body
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

    def create(
        self,
        url: str,
        body: Mapping[str, Any],
        *,
        lookup: Callable[[], Mapping[str, Any] | None],
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a new object without ever creating a duplicate.

        A POST whose outcome is unknown (connection dropped, body truncated, 504) or that reports a conflict is
        not repeated blindly: ``lookup`` is asked first and its object returned when it exists.

        Args:
            url: the collection to post to.
            body: the new object.
            lookup: finds the object by its natural key (app id, name); ``None`` when absent.
            headers: extra headers.

        Returns:
            The created (or found) object.

        Raises:
            GraphError: for errors other than an unknown outcome or a conflict, or when retries run out.
            DeadlineExceededError: when the client's deadline, counted over the whole create, runs out.
        """
        attempts = 0
        deadline = Deadline(self.deadline, self._clock)  # the whole create, its lookups and waits included
        while True:
            try:
                result = self.request("POST", url, json_body=body, headers=headers, idempotent=False).body
                return dict(result) if isinstance(result, Mapping) else {}
            except (TransportError, GraphError) as exc:
                unknown_outcome = isinstance(exc, TransportError) or (
                    isinstance(exc, GraphError) and exc.status_code in (500, 502, 504)
                )
                if not unknown_outcome and not isinstance(exc, ConflictError):
                    raise
                found = lookup()
                if found is not None:
                    log.info("POST %s: outcome unclear (%s); the object exists, using it", safe_url(url), exc)
                    return dict(found)
                attempts += 1
                if isinstance(exc, ConflictError) or attempts > self.retry_policy.max_retries:
                    raise
                wait = self.retry_policy.backoff(attempts, self._rng)
                if not deadline.allows_wait(wait):
                    raise DeadlineExceededError(
                        f"POST {safe_url(url)}: deadline of {self.deadline}s exceeded while retrying ({exc})"
                    ) from exc
                self._sleep(wait)

    def post_batch(self, version: str, requests: Sequence[Mapping[str, Any]], *, idempotent: bool) -> list[Any]:
        """POST one ``$batch`` of up to 20 requests; returns its ``responses`` list (any order).

        Raises:
            BackendError: when the batch itself fails (see :meth:`request`).
        """
        body = self.request("POST", f"/{version}/$batch", json_body={"requests": list(requests)}, idempotent=idempotent)
        responses = body.body.get("responses") if isinstance(body.body, Mapping) else None
        if not isinstance(responses, list):
            raise BackendError("$batch answered without a 'responses' list")
        return responses
