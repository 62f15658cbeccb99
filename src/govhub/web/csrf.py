"""CSRF protection for every form POST of the web shell.

A token is an HMAC (key derived from the master secret for the purpose `web:csrf`) of a cookie
the browser holds and another site cannot read: the session cookie once signed in, or before
that the random pre-session cookie `govhub_csrf` that the login form sets. Forms carry the
token in the hidden field `csrf_token`; htmx requests send it as the `X-CSRF-Token` header (the
layout puts it on `<body hx-headers:inherited=...>`). `require_csrf` checks it before the page's
handler runs, so a rejected request changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from govhub.core.crypto import derive_key
from govhub.core.errors import PermissionDenied
from govhub.core.i18n import N_
from govhub.core.settings import get_settings
from govhub.identity.deps import SESSION_COOKIE

CSRF_COOKIE = "govhub_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_PURPOSE = "web:csrf"
_MAX_TOKEN = 200


class CsrfRejected(PermissionDenied):
    """A form arrived without a valid CSRF token."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This form has expired or did not come from this site. "
                "Go back, reload the page and try again."
            )
        )


def _sign(binding: str) -> str:
    key = derive_key(_PURPOSE)
    digest = hmac.new(key, binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _bindings(request: Request) -> list[str]:
    """The cookie values a valid token may be bound to, from the request's cookies."""
    bindings = []
    session_cookie = request.cookies.get(SESSION_COOKIE)
    if session_cookie:
        bindings.append(f"session:{session_cookie}")
    pre_session = request.cookies.get(CSRF_COOKIE)
    if pre_session:
        bindings.append(f"pre:{pre_session}")
    return bindings


def csrf_token(request: Request) -> str:
    """Return the CSRF token for forms on this page (minting a pre-session cookie if needed)."""
    bindings = _bindings(request)
    if bindings:
        return _sign(bindings[0])
    fresh: str | None = getattr(request.state, "csrf_new_cookie", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(24)
        request.state.csrf_new_cookie = fresh
    return _sign(f"pre:{fresh}")


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the pre-session cookie minted while rendering, if one was."""
    fresh: str | None = getattr(request.state, "csrf_new_cookie", None)
    if fresh is not None:
        response.set_cookie(
            CSRF_COOKIE,
            fresh,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
            path="/",
        )


def is_valid(request: Request, token: str | None) -> bool:
    """Tell whether `token` matches one of the request's cookie bindings (constant-time)."""
    if not token or len(token) > _MAX_TOKEN:
        return False
    return any(hmac.compare_digest(_sign(binding), token) for binding in _bindings(request))


async def require_csrf(request: Request) -> None:
    """Refuse (403, nothing changed) a POST whose CSRF token is missing or wrong."""
    token = request.headers.get(CSRF_HEADER)
    form = None
    if token is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not is_valid(request, token):
        if form is not None:
            await form.close()  # uploaded files of a refused form are released at once
        raise CsrfRejected


CsrfChecked = Annotated[None, Depends(require_csrf)]
