"""CKAN's action errors: each has CKAN's `__type`, its HTTP status and its message shape.

ActionError                 500  Internal Server Error
├── BadRequest              400  Bad request            (unknown action, malformed JSON)
├── SearchQueryError        400  Search Query Error     (malformed q, fq or sort)
├── AuthorizationError      403  Authorization Error
├── NotFoundError           404  Not Found Error
├── ValidationError         409  Validation Error       (a list of messages per field)
└── RateLimitError          429  Rate Limit Error       (carries Retry-After)
"""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """An error an action reports in CKAN's envelope."""

    status = 500
    type = "Internal Server Error"
    prefix = ""

    def __init__(self, message: str = "") -> None:
        self.message = message
        super().__init__(message)

    def error(self) -> dict[str, Any]:
        """Return the `error` member of CKAN's envelope."""
        text = f"{self.prefix}: {self.message}" if self.prefix and self.message else self.message
        return {"__type": self.type, "message": text or self.prefix}


class BadRequest(ActionError):
    """The request itself is malformed."""

    status = 400
    type = "Bad request"
    prefix = "Bad request"

    def error(self) -> dict[str, Any]:
        """Return CKAN's bad-request error (`Bad request - <reason>`)."""
        return {"__type": self.type, "message": f"{self.prefix} - {self.message}"}


class SearchQueryError(ActionError):
    """A search query does not parse."""

    status = 400
    type = "Search Query Error"
    prefix = "Search Query is invalid"


class AuthorizationError(ActionError):
    """The caller may not do this."""

    status = 403
    type = "Authorization Error"
    prefix = "Access denied"


class NotFoundError(ActionError):
    """No such object (or not a public one: the two are never told apart)."""

    status = 404
    type = "Not Found Error"
    prefix = "Not found"


class ValidationError(ActionError):
    """Some parameters are not acceptable: messages per parameter."""

    status = 409
    type = "Validation Error"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))

    def error(self) -> dict[str, Any]:
        """Return CKAN's validation error: `__type` beside one message list per field."""
        return {"__type": self.type, **self.errors}


class RateLimitError(ActionError):
    """Too many calls; retry after `retry_after` seconds."""

    status = 429
    type = "Rate Limit Error"
    prefix = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


def invalid(field: str, message: str) -> ValidationError:
    """Return a validation error of one field."""
    return ValidationError({field: [message]})
