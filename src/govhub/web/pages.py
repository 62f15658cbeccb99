"""Shared pages of the web shell (placeholder until the shell lands)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response


def render_error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """Render an error for a browser."""
    return HTMLResponse(f"<h1>{status} {title}</h1><p>{detail}</p>", status_code=status)


def mount(app: FastAPI) -> None:
    """Attach the page routes and static files to `app`."""
