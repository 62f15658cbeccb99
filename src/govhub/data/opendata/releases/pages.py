"""The release page: a release's parameters, risk, utility loss and the gate's decision, with
publish and withdraw buttons for the owning department's data officials."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.core.errors import Conflict
from govhub.data.deps import CatalogEdit
from govhub.data.opendata.releases import service
from govhub.data.opendata.releases.models import Release, ReleaseStatus
from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.identity.principal import Principal
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)
MODELS = ("prosecutor", "journalist", "marketer")


def _page(
    request: Request, release: Release, principal: Principal | None, *, error: str = ""
) -> Response:
    report = release.report
    risk = report.get("risk", {})
    owner = service.may_manage(principal, release)
    return render(
        request,
        "releases/release.html",
        {
            "release": release,
            "resource": release.resource,
            "report": report,
            "risk": risk,
            "models": MODELS,
            "can_publish": owner and release.status is ReleaseStatus.COMPUTED,
            "can_withdraw": owner and release.status is ReleaseStatus.PUBLISHED,
            "error": error,
            "chart": {
                "models": list(MODELS),
                "highest": [risk.get(m, {}).get("highest", 0) for m in MODELS],
                "average": [risk.get(m, {}).get("average", 0) for m in MODELS],
                "at_risk": [risk.get(m, {}).get("records_at_risk", 0) for m in MODELS],
                "threshold": release.threshold,
            },
        },
        status_code=409 if error else 200,
    )


@router.get("/opendata/releases/{release_id}", response_class=HTMLResponse)
def release_page(
    request: Request, release_id: uuid.UUID, principal: MaybePrincipal, session: DbSession
) -> Response:
    """Show a release: published ones to anyone, others within the official's scope."""
    release = service.get(session, principal=principal, release_id=release_id)
    return _page(request, release, principal)


@router.post("/opendata/releases/{release_id}/publish", response_class=HTMLResponse)
def publish(
    request: Request, release_id: uuid.UUID, _: CsrfChecked, principal: CatalogEdit,
    session: DbSession,
) -> Response:  # fmt: skip
    """Publish the release, or show the page again with why the gate refused it."""
    try:
        service.publish(session, principal=principal, release_id=release_id)
    except Conflict as exc:
        release = service.get(session, principal=principal, release_id=release_id)
        return _page(request, release, principal, error=exc.detail)
    return RedirectResponse(f"/opendata/releases/{release_id}", status_code=303)


@router.post("/opendata/releases/{release_id}/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, release_id: uuid.UUID, _: CsrfChecked, principal: CatalogEdit,
    session: DbSession,
) -> Response:  # fmt: skip
    """Withdraw the release from the portal."""
    service.withdraw(session, principal=principal, release_id=release_id)
    return RedirectResponse(f"/opendata/releases/{release_id}", status_code=303)
