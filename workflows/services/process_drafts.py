"""New processes made in the modeler: a draft from the starter diagram, published by its first deploy.

Contract: :func:`create` stores version 1 of a new key, built from ``templates/bpmn/new_process.bpmn`` and
validated like any deploy, as a draft (``active`` false): nobody can start it, the start page does not offer it,
and the modeler opens it for editing. The process owner's first deploy from the modeler publishes it: as a new
version when the diagram changed, or this very version when it did not (:func:`.deployments.deploy`).
Audited as ``create``; process owners only.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from sqlalchemy import select

from .. import clock
from ..db import unit_of_work
from ..errors import Conflict, FieldError, InvalidInput
from ..models import AuditEvent, ProcessDefinition
from . import deployments
from .modeler import require_owner
from .runtime import Runtime

KEY = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
STARTER = "bpmn/new_process.bpmn"


@lru_cache(maxsize=4)
def _templates(folder: Path) -> jinja2.Environment:
    # XML escaping of the key and name: the HTML escapes (&amp; &lt; &gt; &#34; &#39;) are valid XML
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True, keep_trailing_newline=True)


def starter_diagram(rt: Runtime, key: str, name: str) -> bytes:
    """The starter diagram for process ``key`` named ``name``."""
    return _templates(rt.settings.templates_dir).get_template(STARTER).render(key=key, name=name).encode("utf-8")


def _checked(key: str, name: str) -> tuple[str, str]:
    key, name = (key or "").strip(), " ".join((name or "").split())
    problems = []
    if not KEY.fullmatch(key):
        problems.append(FieldError("key", "流程标识须为 3-64 位小写英文字母、数字或下划线，并以字母开头（如 seal_application）"))
    if not name:
        problems.append(FieldError("name", "请填写流程名称"))
    elif len(name) > 100:
        problems.append(FieldError("name", "流程名称不能超过 100 个字"))
    if problems:
        raise InvalidInput("新流程的标识或名称有误", problems)
    return key, name


def create(rt: Runtime, username: str, key: str, name: str) -> dict[str, object]:
    """A draft of a new process ``key`` (version 1, not yet published); Conflict when ``key`` exists."""
    key, name = _checked(key, name)
    xml = starter_diagram(rt, key, name)
    problems = deployments.validate_file(rt, xml, f"{key}.bpmn")
    if problems:  # the starter is ours: a problem here is a bug in it, named like a deploy's
        raise InvalidInput("；".join(f"[{p.element_id}] {p.message}" for p in problems))
    with unit_of_work(engine=rt.db) as session:
        actor = require_owner(session, username)
        if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key).limit(1)) is not None:
            raise Conflict(f"流程标识 {key} 已存在，请换一个标识，或在建模器中编辑该流程")
        now = clock.now()
        session.add(ProcessDefinition(key=key, name=name, version=1, content_hash=hashlib.sha256(xml).hexdigest(),
                                      bpmn_xml=xml.decode("utf-8"), deployed_at=now, deployed_by=actor.username, active=False))
        session.add(AuditEvent(instance_id=None, at=now, who_id=actor.id, who=actor.username, action="create", task=key,
                               details={"version": 1, "name": name}))
    return {"key": key, "name": name, "version": 1, "published": False}
