"""The one place domain errors become HTTP responses: JSON ``{"detail": ...}`` with the right status."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import (AppError, Conflict, Forbidden, InvalidDiagram, InvalidImport, InvalidInput, NotAuthenticated, NotFound, TooSoon,
                      Unavailable)

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, NotAuthenticated: 401, InvalidInput: 422, InvalidDiagram: 422, InvalidImport: 422, Unavailable: 503,
          TooSoon: 429}


def status_of(exc: AppError) -> int:
    for cls, code in STATUS.items():
        if isinstance(exc, cls):
            return code
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        body: dict[str, object] = {"detail": exc.message}
        if isinstance(exc, InvalidInput):
            body["errors"] = [asdict(e) for e in exc.errors]
        if isinstance(exc, InvalidDiagram):
            body["detail"] = [{"element_id": e.element_id, "message": e.message, "file": e.file} for e in exc.errors]
        if isinstance(exc, InvalidImport):
            body["errors"] = [asdict(e) for e in exc.errors]
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
        if isinstance(exc, TooSoon):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(body, status_code=status_of(exc), headers=headers)
