"""The process owners' modeler: diagrams of deployed versions, validate-as-you-save, deploy, compare versions,
which instances run on which version, migration of waiting instances, rollback of a deploy.

Permissions: process owners (role ``process_owner``, or ``admin``) for everything here. Every change is audited:
``deploy`` (by :mod:`.deployments`), ``rollback`` and, per instance, ``migrate``. Migration moves one instance per
transaction under its row lock; what "safe" means is :func:`workflows.engine.repair.migrate`'s contract.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..engine import repair
from ..engine.diagram import ElementDef, read_diagram
from ..errors import DiagramError, Forbidden, InvalidDiagram, InvalidInput, NotFound
from ..models import AuditEvent, HumanTask, Person, ProcessDefinition, ProcessInstance
from ..roles import ROLES, resolve
from . import deployments, instances, projection
from .people import party_org_of, person_by_username, person_id_lookup
from .runtime import Runtime, handler_registry

OWNER_ROLES = {"process_owner", "admin"}
MIGRATE_BATCH = 1000
FIELD_LABELS = {
    "tag": "类型", "name": "名称", "lane": "泳道", "candidate_groups": "处理角色", "assignee": "指定办理人",
    "due_date": "办理期限", "form_key": "表单", "form": "表单字段", "topic": "处理程序", "inputs": "输入参数",
    "properties": "扩展属性", "timer": "定时器", "attached_to": "附着于", "cancel_activity": "中断任务",
    "condition": "条件", "source": "起点", "target": "终点", "default_flow": "默认连线",
}


def require_owner(session: Session, username: str) -> Person:
    actor = person_by_username(session, username)
    if not actor.role_names & OWNER_ROLES:
        raise Forbidden("只有流程管理员可以使用流程建模器")
    return actor


def _definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    """Version ``version`` of ``key``; by default the one new instances start on, or for a process not yet
    published (:mod:`.process_drafts`) its draft."""
    if version is None:  # the newest published version, else the newest draft
        found = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                               .order_by(ProcessDefinition.active.desc(), ProcessDefinition.version.desc()).limit(1))
        if found is None:
            raise NotFound(f"流程 {key} 不存在或尚未部署")
        return found
    found = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version))
    if found is None:
        raise NotFound(f"流程 {key} 没有第 {version} 版")
    return found


def catalogue(rt: Runtime, username: str) -> dict[str, Any]:
    """What the editor offers: registered handlers (service-task topics) and roles (candidate groups)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
    return {"handlers": [{"name": h.name, "title": h.title, "params": list(h.params)} for h in handler_registry().infos()],
            "roles": [{"code": code, "label": label, "scope": scope} for code, (label, scope) in ROLES.items()]}


def list_definitions(rt: Runtime, username: str) -> dict[str, Any]:
    """Every process with all its versions and how many instances each version has, by status."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
        defs = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for key, version, status, n in session.execute(
                select(ProcessInstance.process_key, ProcessInstance.version, ProcessInstance.status, func.count())
                .group_by(ProcessInstance.process_key, ProcessInstance.version, ProcessInstance.status)):
            counts.setdefault((key, version), {})[status] = n
        processes: dict[str, dict[str, Any]] = {}
        for d in defs:
            entry = processes.setdefault(d.key, {"key": d.key, "name": d.name, "versions": []})
            entry["name"] = d.name
            entry["versions"].append({"version": d.version, "deployed_at": d.deployed_at.isoformat(), "deployed_by": d.deployed_by,
                                      "active": d.active, "instances": counts.get((d.key, d.version), {})})
        for entry in processes.values():
            active = [v["version"] for v in entry["versions"] if v["active"]]
            entry["current"] = max(active) if active else None
        items = list(processes.values())
        return {"items": items, "total": len(items)}


def diagram(rt: Runtime, username: str, key: str, version: int | None = None) -> dict[str, Any]:
    """The XML of one version (default: the one new instances start on)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
        d = _definition(session, key, version)
        return {"key": d.key, "name": d.name, "version": d.version, "xml": d.bpmn_xml, "deployed_at": d.deployed_at.isoformat(),
                "deployed_by": d.deployed_by, "published": d.active}


def _key_errors(xml: bytes, key: str | None) -> list[DiagramError]:
    if key is None:
        return []
    try:
        model = read_diagram(xml)
    except Exception:
        return []  # reported by validate_bpmn
    if model.processes and model.main_process[0] != key:
        return [DiagramError(model.main_process[0], f"流程 id 应为 {key}（在此编辑器中只能保存流程 {key}）")]
    return []


def validate(rt: Runtime, username: str, xml: bytes, key: str | None = None) -> dict[str, Any]:
    """The same checks as ``groupgov validate`` (and deploy); each error names the element to mark."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
    errors = deployments.validate_file(rt, xml, f"{key or 'diagram'}.bpmn") + _key_errors(xml, key)
    return {"valid": not errors, "errors": [{"element_id": e.element_id, "message": e.message} for e in errors]}


def deploy(rt: Runtime, username: str, key: str, xml: bytes) -> dict[str, Any]:
    """Validate and deploy as the next version of ``key``; raises InvalidDiagram with element-level errors."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
    problems = _key_errors(xml, key)
    if problems:
        raise InvalidDiagram(problems)
    (result,) = deployments.deploy(rt, [(f"{key}.bpmn", xml)], username)
    return asdict(result)


def _describe(el: ElementDef) -> dict[str, Any]:
    timer = f"{el.timer.kind} {el.timer.expression}".strip() if el.timer else None
    form = [f"{f.id}:{f.type}{'*' if f.required else ''}{'|' + ','.join(o for o, _ in f.options) if f.options else ''}"
            f"{' ' + str(sorted({**f.constraints, **f.properties}.items())) if f.constraints or f.properties else ''}"
            for f in el.form_fields]
    values = {"tag": el.tag, "name": el.name, "lane": el.lane, "candidate_groups": ",".join(el.candidate_groups) or None,
              "assignee": el.assignee, "due_date": el.due_date, "form_key": el.form_key, "form": "; ".join(form) or None,
              "topic": el.topic, "inputs": ", ".join(f"{k}={v}" for k, v in sorted(el.inputs.items())) or None,
              "properties": ", ".join(f"{k}={v}" for k, v in sorted(el.properties.items())) or None, "timer": timer,
              "attached_to": el.attached_to, "cancel_activity": None if el.tag != "boundaryEvent" else el.cancel_activity,
              "condition": el.condition, "source": el.source, "target": el.target, "default_flow": el.default_flow}
    return values


def diff_models(old_xml: str | bytes, new_xml: str | bytes) -> dict[str, Any]:
    """Element-level difference of two diagrams: added, removed and changed elements with changed attributes."""
    as_bytes = lambda x: x.encode("utf-8") if isinstance(x, str) else x  # noqa: E731
    old, new = read_diagram(as_bytes(old_xml)).elements, read_diagram(as_bytes(new_xml)).elements
    brief = lambda el: {"id": el.id, "name": el.name, "tag": el.tag}  # noqa: E731
    changed = []
    for element_id in sorted(old.keys() & new.keys()):
        a, b = _describe(old[element_id]), _describe(new[element_id])
        changes = [{"field": f, "label": FIELD_LABELS[f], "old": a[f], "new": b[f]} for f in FIELD_LABELS if a[f] != b[f]]
        if changes:
            changed.append({**brief(new[element_id]), "changes": changes})
    return {"added": [brief(new[i]) for i in sorted(new.keys() - old.keys())],
            "removed": [brief(old[i]) for i in sorted(old.keys() - new.keys())], "changed": changed}


def compare(rt: Runtime, username: str, key: str, old_version: int, new_version: int) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
        a, b = _definition(session, key, old_version), _definition(session, key, new_version)
        return {"key": key, "from": a.version, "to": b.version, **diff_models(a.bpmn_xml, b.bpmn_xml)}


def _reassign_open_tasks(session: Session, inst: ProcessInstance, new: Any) -> list[str]:
    """Open task rows follow the new version's role and name for their element; returns the elements reassigned."""
    changed = []
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open")).all()
    for row in rows:
        if getattr(row, "kind", "task") != "task":
            continue
        element = new.element(row.spec_id)
        if element is None:
            continue
        row.name = element.name or row.name
        role = element.candidate_groups[0] if element.candidate_groups else "applicant"
        candidates = resolve(role, starter_id=inst.started_by_id, unit_id=inst.unit_id, party_org_id=party_org_of(session, inst.unit_id),
                             data=inst.data or {}, person_ids_by_username=person_id_lookup(session))
        if (candidates.role, candidates.scope, candidates.assignee_id) != (row.candidate_role, row.candidate_scope, row.assignee_id):
            if row.assignee_id is None or role != row.candidate_role:
                row.candidate_role, row.candidate_scope, row.assignee_id = candidates.role, candidates.scope, candidates.assignee_id
                changed.append(row.spec_id)
    return changed


def _migrate_one(rt: Runtime, actor: Person, instance_id: int, target: ProcessDefinition, dry_run: bool) -> dict[str, Any]:
    with unit_of_work(write=not dry_run, engine=rt.db) as session:
        inst = instances.lock_instance(session, instance_id) if not dry_run else session.get(ProcessInstance, instance_id)
        if inst is None:
            raise NotFound(f"流程实例 {instance_id} 不存在")
        result: dict[str, Any] = {"instance_id": inst.id, "from": inst.version, "to": target.version, "migrated": False, "reasons": []}
        if inst.process_key != target.key:
            result["reasons"] = [f"实例属于流程 {inst.process_key}，不是 {target.key}"]
        elif inst.version == target.version:
            result["reasons"] = ["实例已在该版本上运行"]
        elif inst.status != "running":
            result["reasons"] = [f"实例状态为 {inst.status}：只有等待中的实例可以迁移"]
        if result["reasons"]:
            return result
        current = session.get(ProcessDefinition, inst.definition_id)
        assert current is not None
        old, new = rt.loaded(current), rt.loaded(target)
        try:
            workflow = repair.migrate(rt.engine, inst.state, old, new)
        except repair.MigrationRefused as exc:
            result["reasons"] = exc.reasons
            return result
        result["migrated"] = True
        if dry_run:
            return result
        now = clock.now()
        inst.definition_id, inst.version = target.id, target.version
        reassigned = _reassign_open_tasks(session, inst, new)
        projection.save(session, rt, inst, workflow, new)
        session.add(AuditEvent(instance_id=inst.id, at=now, who_id=actor.id, who=actor.username, action="migrate",
                               details={"from": result["from"], "to": target.version, "reassigned": reassigned}))
        return result


def migrate(rt: Runtime, username: str, key: str, to_version: int, instance_ids: list[int] | None = None,
            from_version: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Move waiting instances of ``key`` (the given ids, or every running one on ``from_version`` / any older
    version) onto ``to_version``; each is moved or refused with its reasons. ``dry_run`` changes nothing."""
    with unit_of_work(write=False, engine=rt.db) as session:
        actor = require_owner(session, username)
        target = _definition(session, key, to_version)
        if instance_ids is None:
            query = select(ProcessInstance.id).where(ProcessInstance.process_key == key, ProcessInstance.status == "running",
                                                     ProcessInstance.version != to_version)
            if from_version is not None:
                query = query.where(ProcessInstance.version == from_version)
            instance_ids = list(session.scalars(query.order_by(ProcessInstance.id).limit(MIGRATE_BATCH)))
    if len(instance_ids) > MIGRATE_BATCH:
        raise InvalidInput(f"一次最多迁移 {MIGRATE_BATCH} 个实例")
    items = [_migrate_one(rt, actor, iid, target, dry_run) for iid in instance_ids]
    moved = sum(1 for i in items if i["migrated"])
    return {"items": items, "total": len(items), "migrated": moved, "refused": len(items) - moved, "dry_run": dry_run}


def rollback(rt: Runtime, username: str, key: str, to_version: int | None = None) -> dict[str, Any]:
    """Undo a deploy: the content of ``to_version`` (default: the version before the newest) becomes a new,
    newest version, so new instances start on it again. Running instances stay where they are."""
    with unit_of_work(engine=rt.db) as session:
        actor = require_owner(session, username)
        newest = instances.latest_definition(session, key)
        if to_version is None:
            to_version = session.scalar(select(func.max(ProcessDefinition.version)).where(
                ProcessDefinition.key == key, ProcessDefinition.version < newest.version, ProcessDefinition.active.is_(True)))
            if to_version is None:
                raise InvalidInput(f"流程 {key} 只有一个版本，无法回滚")
        source = _definition(session, key, to_version)
        if source.version == newest.version:
            raise InvalidInput(f"第 {to_version} 版已是当前版本")
        latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)) or 0
        now = clock.now()
        digest = source.content_hash.split(":")[0]
        created = ProcessDefinition(key=key, name=source.name, version=latest + 1, content_hash=f"{digest}:{latest + 1}",
                                    bpmn_xml=source.bpmn_xml, deployed_at=now, deployed_by=actor.username)
        session.add(created)
        session.add(AuditEvent(instance_id=None, at=now, who_id=actor.id, who=actor.username, action="rollback", task=key,
                               details={"from": newest.version, "restored": source.version, "version": latest + 1}))
        return {"key": key, "name": source.name, "version": latest + 1, "restored": source.version, "replaced": newest.version}


def deploy_history(rt: Runtime, username: str, key: str) -> dict[str, Any]:
    """Audited creation (新建流程), deploys and rollbacks of ``key``, newest first."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_owner(session, username)
        rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id.is_(None), AuditEvent.task == key,
                                                        AuditEvent.action.in_(("create", "deploy", "rollback")))
                               .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)).all()
        items = [{"at": e.at.isoformat(), "who": e.who, "action": e.action, "details": e.details} for e in rows]
        return {"items": items, "total": len(items)}
