"""Administrators: e-mail and webhook deliveries of notifications, their failures and a retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..notifications import admin as deliveries
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/notification-deliveries")
def list_deliveries(rt: RuntimeDep, user: CurrentUser, status: str = "problems",
                    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """E-mail and webhook deliveries; ``problems`` (default): failed, or failed once and waiting for a retry."""
    return {**deliveries.list_deliveries(rt, user, status, limit, offset), "summary": deliveries.delivery_summary(rt, user)}


@router.post("/notification-deliveries/{delivery_id}/retry")
def retry_delivery(rt: RuntimeDep, user: CurrentUser, delivery_id: int) -> dict[str, Any]:
    """Send a failed delivery again at the next delivery pass."""
    return deliveries.retry_delivery(rt, user, delivery_id)
