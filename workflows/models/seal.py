"""Seal images (印章) of units and Party organisations, stamped on the generated forms where they say 盖章."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Seal(Base):
    """One seal per scope: ``unit:<id>`` (the unit's 盖章) or ``org:<party_org id>`` (the 二级党组织's). Optional."""

    __tablename__ = "seal"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(64))
