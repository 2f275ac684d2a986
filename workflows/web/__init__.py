"""The staff web app (zh-CN, phone-first): server-rendered pages over the same use cases as the API.

:func:`install_web` wires it into the FastAPI app: the session cookie, CSRF protection, static files (our
own under ``/static``, the pinned npm packages from ``node_modules`` under ``/static/vendor``), HTML error
pages and the page routes (``/login``, ``/``, ``/tasks/{id}``, ``/instances/{id}``, ``/start`` ...).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ..services.runtime import Runtime
from . import admin, auth, errors, pages_instances, pages_start, pages_tasks
from .csrf import CSRFMiddleware
from .render import make_templates

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
# URL under /static/vendor/ → folder inside node_modules (installed by `npm ci` from package-lock.json)
VENDOR = {"htmx": "htmx.org/dist", "bpmn-js": "bpmn-js/dist"}


def install_web(app: FastAPI, rt: Runtime) -> None:
    settings = rt.settings
    app.state.web_templates = make_templates(rt)
    app.add_middleware(CSRFMiddleware, max_body=settings.attachment_max_bytes * 5 + 1024 * 1024)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="groupgov_session",
                       max_age=settings.session_max_age_seconds, same_site="lax", https_only=settings.session_cookie_secure)
    node_modules = settings.root_dir / "node_modules"
    for name, folder in VENDOR.items():
        if (node_modules / folder).is_dir():
            app.mount(f"/static/vendor/{name}", StaticFiles(directory=node_modules / folder), name=f"vendor-{name}")
        else:
            log.warning("node_modules/%s is missing (run `npm ci`): pages work without it, the diagram viewer does not", folder)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    errors.install(app)
    for module in (auth, pages_tasks, pages_instances, pages_start, admin):
        app.include_router(module.router)
