"""The quality report page of a resource: grade, radar of dimension scores, trend, checks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govhub.core.i18n import N_
from govhub.data.catalog import scope
from govhub.data.deps import CatalogEdit, CatalogRead
from govhub.data.quality import scoring, service
from govhub.data.quality.rules import Dimension
from govhub.identity.deps import DbSession
from govhub.web.csrf import CsrfChecked
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

DIMENSION_LABELS: dict[str, str] = {
    Dimension.NORMATIVITY: N_("Normativity"),
    Dimension.COMPLETENESS: N_("Completeness"),
    Dimension.ACCURACY: N_("Accuracy"),
    Dimension.CONSISTENCY: N_("Consistency"),
    Dimension.TIMELINESS: N_("Timeliness"),
    Dimension.ACCESSIBILITY: N_("Accessibility"),
    Dimension.UNIQUENESS: N_("Uniqueness"),
}


@router.get("/catalog/resources/{resource_id}/quality", response_class=HTMLResponse)
def quality_page(
    request: Request, resource_id: uuid.UUID, principal: CatalogRead, session: DbSession
) -> Response:
    """Show the resource's quality report: the latest assessment and the trend across versions."""
    resource, full, rows = service.list_assessments(
        session, principal=principal, resource_id=resource_id
    )
    latest = rows[0] if rows else None
    checks = (
        service.visible_checks(
            session, resource=resource, row=latest, principal=principal, full=full
        )
        if latest is not None
        else []
    )
    trend = [
        {"version": row.dataset_version, "total": row.total, "grade": row.grade}
        for row in reversed(rows)
    ]
    return render(
        request,
        "quality/report.html",
        {
            "resource": resource,
            "latest": latest,
            "checks": checks,
            "full": full,
            "trend": trend,
            "dimension_labels": DIMENSION_LABELS,
            "dimensions": list(DIMENSION_LABELS),
            "grades": scoring.GRADES,
            "weights": scoring.WEIGHTS,
            "can_assess": scope.may_write(principal, resource),
        },
    )


@router.post("/catalog/resources/{resource_id}/quality", response_class=HTMLResponse)
def assess_now(
    resource_id: uuid.UUID, _: CsrfChecked, principal: CatalogEdit, session: DbSession
) -> Response:
    """Assess the latest dataset version now and show the report again."""
    service.run_assessment(session, principal=principal, resource_id=resource_id)
    return RedirectResponse(f"/catalog/resources/{resource_id}/quality", status_code=303)
