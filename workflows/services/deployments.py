"""Validate and deploy BPMN files. A deploy is all-or-nothing: one bad file and no version is created.

A file whose content is unchanged keeps its version; changed content becomes the next version. Running
instances stay on the version they started with. Content hashes of later versions that repeat an earlier
content (a redeploy, a modeler rollback) carry a ``:<version>`` suffix; "unchanged" compares without it.
``skip_known`` (start-up deploys of ``bpmn/``) leaves a process alone when the file's content was deployed
before, so a version made later in the modeler is not replaced by the file at the next start.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from .. import clock
from ..db import unit_of_work
from ..engine.validation import validate_bpmn
from ..errors import DiagramError, Forbidden, InvalidDiagram
from ..models import AuditEvent, ProcessDefinition
from .people import person_by_username
from .runtime import Runtime, handler_registry


@dataclass(frozen=True)
class Deployed:
    key: str
    name: str
    version: int
    created: bool


def validate_file(rt: Runtime, xml: bytes, file: str = "") -> list[DiagramError]:
    _, errors = validate_bpmn(xml, handler_registry().names(), file, rt.settings.expression_max_length)
    return errors


def deploy(rt: Runtime, files: list[tuple[str, bytes]], username: str | None = None, *, skip_known: bool = False) -> list[Deployed]:
    """Deploy ``(file name, content)`` pairs. Raises :class:`InvalidDiagram` listing every problem."""
    errors: list[DiagramError] = []
    parsed = []
    seen: dict[str, str] = {}
    for name, xml in files:
        model, problems = validate_bpmn(xml, handler_registry().names(), name, rt.settings.expression_max_length)
        errors += problems
        if model is None or problems:
            continue
        key, title = model.main_process
        if key in seen:
            errors.append(DiagramError(key, f"流程 {key} 在 {seen[key]} 和 {name} 中重复定义", name))
        seen[key] = name
        parsed.append((key, title, xml))
    if errors:
        raise InvalidDiagram(errors)
    results = []
    with unit_of_work(engine=rt.db) as session:
        actor = person_by_username(session, username) if username else None
        if actor is not None and not actor.role_names & {"process_owner", "admin"}:
            raise Forbidden("只有流程管理员可以部署流程")
        for key, title, xml in parsed:
            digest = hashlib.sha256(xml).hexdigest()
            same = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.content_hash == digest))
            newest = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc()).limit(1))
            latest = newest.version if newest is not None else 0
            if newest is not None and not newest.active and newest.content_hash.split(":")[0] == digest:
                # a draft made in the modeler (process_drafts), deployed as it is: publishing it is this deploy
                newest.active = True
                session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id if actor else None,
                                       who=username or "system", action="deploy", task=key,
                                       details={"version": newest.version, "published": True}))
                results.append(Deployed(key, newest.name, newest.version, True))
                continue
            if newest is not None and (newest.content_hash.split(":")[0] == digest or (skip_known and same is not None)):
                results.append(Deployed(key, newest.name, newest.version, False))
                continue
            definition = ProcessDefinition(key=key, name=title, version=latest + 1, content_hash=digest if same is None else f"{digest}:{latest + 1}",
                                           bpmn_xml=xml.decode("utf-8"), deployed_at=clock.now(), deployed_by=username or "system")
            session.add(definition)
            session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id if actor else None,
                                   who=username or "system", action="deploy", task=key, details={"version": latest + 1}))
            results.append(Deployed(key, title, latest + 1, True))
    return results


def deploy_directory(rt: Runtime, directory: Path, username: str | None = None, *, skip_known: bool = False) -> list[Deployed]:
    return deploy(rt, [(p.name, p.read_bytes()) for p in sorted(directory.glob("*.bpmn"))], username, skip_known=skip_known)
