"""The organisation: secondary Party organisations, units, people and their roles (measures art. 1, 5, 8, 9)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class PartyOrg(Base):
    """二级党组织: approves and files the groups of its units."""

    __tablename__ = "party_org"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Unit(Base):
    """单位/部门. ``kind``: college, office, party_dept, student_body."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="office")
    party_org_id: Mapped[int] = mapped_column(ForeignKey("party_org.id"))

    party_org: Mapped[PartyOrg] = relationship(lazy="joined")


class Person(Base):
    """A staff member or student with a real name (art. 11). ``status``: active, transferred, left."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    landline: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)

    unit: Mapped[Unit] = relationship(lazy="joined")
    roles: Mapped[list[RoleAssignment]] = relationship(back_populates="person", cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class RoleAssignment(Base):
    """A person holds ``role`` within ``scope``: ``unit:<id>``, ``org:<id>`` or ``""`` for a school-wide role."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(40), default="", index=True)

    person: Mapped[Person] = relationship(back_populates="roles")
