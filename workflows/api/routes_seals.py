"""Administrators: seal images (印章) of units and Party organisations, stamped on generated forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Response, UploadFile

from ..services import seals
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/seals")
def list_seals(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Every unit and 二级党组织 with its seal (``seal`` null when none was uploaded)."""
    return seals.list_seals(rt, user)


@router.put("/seals/{scope}")
async def put_seal(rt: RuntimeDep, user: CurrentUser, scope: str,
                   file: Annotated[UploadFile, File(description="印章图片（PNG 或 JPEG，不超过 2 MB）")]) -> dict[str, Any]:
    """Upload or replace the seal of ``scope`` (``unit:<id>`` or ``org:<id>``)."""
    image = await file.read(seals.MAX_BYTES + 1)
    return seals.set_seal(rt, user, scope, image)


@router.get("/seals/{scope}", response_class=Response)
def get_seal(rt: RuntimeDep, user: CurrentUser, scope: str) -> Response:
    """The seal image."""
    image, media_type = seals.get_seal(rt, user, scope)
    return Response(content=image, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.delete("/seals/{scope}", status_code=204)
def delete_seal(rt: RuntimeDep, user: CurrentUser, scope: str) -> None:
    """Remove the seal: forms show no stamp there any more."""
    seals.delete_seal(rt, user, scope)
