"""Domain errors of the emulated tenant, carrying Graph's status codes and error codes.

The tenant model raises :class:`GraphProblem`; the Graph application turns it into Graph's error body. Keeping
the Graph code on the exception lets the model say *which* of Graph's errors applies (``Request_ResourceNotFound``
for directory objects, ``ResourceNotFound`` for Intune ones) without knowing anything about HTTP.
"""

from __future__ import annotations

__all__ = ["GraphProblem", "bad_request", "not_found"]


class GraphProblem(Exception):  # noqa: N818 - it is answered, not "raised to the user"
    """An operation failed the way Microsoft Graph would report it.

    Args:
        status: the HTTP status Graph answers with (400, 403, 404, 409, ...).
        code: Graph's machine-readable ``error.code``.
        message: Graph's human-readable ``error.message``.
        headers: extra response headers (e.g. ``Retry-After``).
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(object_id: str, *, directory: bool = False) -> GraphProblem:
    """A 404 for a missing object, in the wording of the directory or of Intune."""
    if directory:
        return GraphProblem(
            404,
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
        )
    return GraphProblem(404, "ResourceNotFound", f"The requested resource '{object_id}' was not found.")


def bad_request(message: str, *, code: str = "BadRequest") -> GraphProblem:
    """A 400 with Graph's generic code."""
    return GraphProblem(400, code, message)
