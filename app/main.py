"""The ASGI application: `create_app()` wires settings, database, middleware, errors and routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core import health
from app.core.body_limit import BodySizeLimitMiddleware
from app.core.database import make_engine, make_session_factory
from app.core.errors import register_error_handlers
from app.core.responses import SafeJSONResponse
from app.core.settings import Settings, get_settings
from app.exports import api as exports_api
from app.forms.compile import load_study
from app.queries import api as queries_api
from app.records import api as records_api
from app.sites.service import sync_sites
from app.uploads import api as uploads_api
from app.uploads.worker import Worker
from app.web.router import router as web_router

DESCRIPTION = """\
Multi-site clinical data collection. Studies are defined as YAML forms; records are entered through
web pages, this JSON API or bulk upload, validated by one engine and audited on every change.
Errors are RFC 9457 `application/problem+json` documents.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.study = load_study(settings.forms_dir)
        with app.state.session_factory.begin() as session:
            sync_sites(session, app.state.study)
        worker = Worker(app.state.session_factory, app.state.study) if settings.run_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(
        title="EDC",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.settings = settings
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        larger={"/api/v1/uploads": settings.max_upload_bytes},
    )
    register_error_handlers(app)
    app.include_router(health.router)
    app.include_router(records_api.router)
    app.include_router(queries_api.router)
    app.include_router(uploads_api.router)
    app.include_router(exports_api.router)
    app.include_router(web_router)
    return app
