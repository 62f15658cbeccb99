"""The ledger's page: look up an event, see its proof and checkpoint, and read the verdict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from govhub.identity.deps import DbSession, MaybePrincipal
from govhub.ledger import proofs
from govhub.ledger.verify import lookup
from govhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request,
    session: DbSession,
    principal: MaybePrincipal,
    index: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> HTMLResponse:
    """Show the latest checkpoint and, for `index`, the entry, its proof and the verdict."""
    checkpoint = proofs.latest_checkpoint_text(session)
    found = None
    if index is not None and checkpoint is not None:
        found = lookup(session, principal=principal, index=index)
        checkpoint = found.checkpoint
    missing = index is not None and (found is None or not found.leaf_hash)
    return render(
        request,
        "ledger/lookup.html",
        {"index": index, "found": found, "checkpoint": checkpoint},
        status_code=404 if missing else 200,
    )
