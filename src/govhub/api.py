"""The FastAPI application factory: mounts every domain's router and the web pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from govhub import __version__
from govhub.core import health
from govhub.core.errors import install_handlers
from govhub.core.heap import freeze_startup_heap
from govhub.core.logging import configure_logging
from govhub.core.middleware import (
    BodyLimitMiddleware,
    RejectNulMiddleware,
    RequestContextMiddleware,
)
from govhub.core.settings import get_settings
from govhub.data.catalog import api as catalog_api
from govhub.data.exchange import api as exchange_api
from govhub.data.exchange import tasks as exchange_tasks
from govhub.data.ingest import api as ingest_api
from govhub.data.ingest import jobs_api as ingest_jobs_api
from govhub.data.ingest import tasks as ingest_tasks
from govhub.data.lineage import api as lineage_api
from govhub.data.opendata import api as opendata_api
from govhub.data.opendata import dcat_api as opendata_dcat_api
from govhub.data.opendata import requests_api as opendata_requests_api
from govhub.data.opendata.releases import api as release_api
from govhub.data.opendata.releases import pages as release_pages
from govhub.data.quality import api as quality_api
from govhub.data.sharing import api as sharing_api
from govhub.data.standards import api as standards_api
from govhub.identity import api as identity_api
from govhub.identity import oidc
from govhub.ledger import api as ledger_api
from govhub.ledger import tasks as ledger_tasks
from govhub.licenses import api as licenses_api
from govhub.notifications import api as notifications_api
from govhub.payments import api as payments_api
from govhub.privacy import api as privacy_api
from govhub.privacy import vault
from govhub.ratings import api as ratings_api
from govhub.reservations import api as reservations_api
from govhub.reservations.admission import AdmissionMiddleware
from govhub.reservations.health import api as health_api
from govhub.services import api as services_api
from govhub.services import govstack as services_govstack
from govhub.services.proactive import api as proactive_api
from govhub.web import pages as web_pages


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the background work of every domain while the app serves."""
    async with (
        ledger_tasks.lifespan(app),
        ingest_tasks.lifespan(app),
        exchange_tasks.lifespan(app),
    ):
        freeze_startup_heap()
        yield
    vault.close()  # decrypted versions and their links go before the process does


def create_app() -> FastAPI:
    """Build the GovHub application from the current settings."""
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    app = FastAPI(
        title="GovHub API",
        version=__version__,
        summary="Open digital-government platform",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    install_handlers(app, render_html=web_pages.render_error_page)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RejectNulMiddleware)
    app.add_middleware(RequestContextMiddleware)
    # Outermost: a refused booking costs no request id, log line, routing or body read.
    app.add_middleware(AdmissionMiddleware, render_html=web_pages.render_error_page)
    app.include_router(health.router)
    # FastAPI tries routes in order: the surge-facing booking endpoints come first, then the
    # exchange gateway, whose consumers' calls are counted in milliseconds.
    app.include_router(reservations_api.router)
    app.include_router(exchange_api.router)
    app.include_router(identity_api.router)
    app.include_router(oidc.router)
    app.include_router(standards_api.router)
    app.include_router(catalog_api.router)
    app.include_router(ingest_api.router)
    app.include_router(sharing_api.router)
    app.include_router(ingest_jobs_api.router)
    app.include_router(quality_api.router)
    app.include_router(lineage_api.router)
    app.include_router(ledger_api.router)
    app.include_router(privacy_api.router)
    app.include_router(health_api.router)
    app.include_router(opendata_api.router)
    app.include_router(opendata_dcat_api.router)
    app.include_router(payments_api.router)
    app.include_router(licenses_api.router)
    app.include_router(services_api.router)
    app.include_router(services_govstack.router)
    app.include_router(proactive_api.router)
    app.include_router(opendata_requests_api.router)
    app.include_router(release_api.router)
    app.include_router(release_pages.router)
    app.include_router(ratings_api.router)
    app.include_router(notifications_api.router)
    web_pages.mount(app)
    return app
