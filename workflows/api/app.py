"""The FastAPI application. Build with :func:`create_app`; ``groupgov serve`` runs it under uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from ..services.runtime import Runtime, get_runtime
from . import routes_admin_calendar, routes_admin_notifications
from . import routes_registry
from . import errors, routes, routes_actions, routes_admin, routes_documents
from . import routes_seals


def create_app(rt: Runtime | None = None) -> FastAPI:
    app = FastAPI(title="groupgov 工作群组审批", version="0.1.0",
                  description="微信工作群（公众号）、QQ工作群组和政务APP 建立、备案与清理的审批流程（江理工委办〔2019〕138号）")
    app.state.runtime = rt or get_runtime()
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(routes_admin_calendar.router)
    app.include_router(routes_admin_notifications.router)
    app.include_router(routes_registry.router)  # /api/registry, /api/campaigns, /api/periodic
    app.include_router(routes_documents.router)
    app.include_router(routes_actions.router)
    app.include_router(routes_admin.router)  # /api/admin (dashboard), /api/modeler (process owners)
    app.include_router(routes_seals.router)  # /api/admin/seals
    from ..web import install_web

    install_web(app, app.state.runtime)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
