"""The public ratings page: satisfaction per matter, department or division, with a chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from govhub.core.i18n import N_
from govhub.identity.deps import DbSession
from govhub.ratings import service
from govhub.ratings.schemas import StatsBy
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)

GROUP_LABELS: dict[str, str] = {
    StatsBy.MATTER: N_("By matter"),
    StatsBy.DEPARTMENT: N_("By department"),
    StatsBy.DIVISION: N_("By division"),
}
DIMENSION_LABELS: dict[str, str] = {
    "efficiency": N_("Efficiency"),
    "guide_accuracy": N_("Accuracy of the office guide"),
    "convenience": N_("Convenience"),
    "usability": N_("Platform usability"),
}


@router.get("/ratings", response_class=HTMLResponse)
def ratings_page(request: Request, session: DbSession, by: StatsBy = StatsBy.MATTER) -> Response:
    """Show the public good/bad review statistics, grouped as asked."""
    stats = service.statistics(session, by=by)
    return render(
        request,
        "ratings/statistics.html",
        {
            "stats": stats,
            "groups": GROUP_LABELS,
            "dimension_labels": DIMENSION_LABELS,
        },
    )
