"""Administrators' dashboard (``/admin``) and process owners' modeler (``/modeler``) pages.

Server-rendered over the same use cases as ``/api/admin`` and ``/api/modeler``; diagrams are drawn in the browser
by bpmn-js (the NavigatedViewer with overlays for counts and tokens, the Modeler bundle for editing), which read
the JSON API with the session cookie. Who may see what is decided by the use cases (403 page otherwise).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import pages_dashboard, pages_modeler, pages_seals

router = APIRouter(include_in_schema=False)
router.include_router(pages_dashboard.router)
router.include_router(pages_modeler.router)
router.include_router(pages_seals.router)
