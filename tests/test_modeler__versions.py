"""The modeler's use cases: validate as you save, deploy (process owners only), compare, rollback, versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.diagram_edits import reference, set_attribute, set_timer
from tests.flows import apply
from workflows.db import unit_of_work
from workflows.errors import Forbidden, InvalidDiagram, InvalidInput
from workflows.models import AuditEvent, ProcessInstance
from workflows.services import modeler

REMIND_1WD = lambda: set_timer(reference(), "unit_head_review_remind_timer", "P1WD")  # noqa: E731


def test_validate_names_the_elements(sqlite_rt):
    ok = modeler.validate(sqlite_rt, "admin", reference(), "group_approval")
    assert ok == {"valid": True, "errors": []}
    bad = set_attribute(set_timer(reference(), "apply_remind_timer", "三天"), "party_org_review", "candidateGroups", "dean")
    result = modeler.validate(sqlite_rt, "admin", bad, "group_approval")
    assert not result["valid"]
    assert {e["element_id"] for e in result["errors"]} == {"apply_remind_timer", "party_org_review"}
    wrong_key = modeler.validate(sqlite_rt, "admin", reference(), "account_filing")
    assert [e["element_id"] for e in wrong_key["errors"]] == ["group_approval"]
    broken = modeler.validate(sqlite_rt, "admin", b"<bpmn:definitions", "group_approval")
    assert broken["errors"][0]["element_id"] == "(file)"


def test_only_process_owners_use_the_modeler(sqlite_rt):
    for call in (lambda u: modeler.deploy(sqlite_rt, u, "group_approval", REMIND_1WD()),
                 lambda u: modeler.validate(sqlite_rt, u, reference()),
                 lambda u: modeler.diagram(sqlite_rt, u, "group_approval"),
                 lambda u: modeler.rollback(sqlite_rt, u, "group_approval"),
                 lambda u: modeler.list_definitions(sqlite_rt, u)):
        for user in ("staff_cs", "discipline", "head_cs"):
            with pytest.raises(Forbidden):
                call(user)
    assert modeler.diagram(sqlite_rt, "admin", "group_approval")["version"] == 1


def test_deploy_makes_a_new_version_and_is_audited(sqlite_rt):
    with pytest.raises(InvalidDiagram) as err:
        modeler.deploy(sqlite_rt, "admin", "group_approval", set_timer(reference(), "apply_remind_timer", "soon"))
    assert [e.element_id for e in err.value.errors] == ["apply_remind_timer"]
    result = modeler.deploy(sqlite_rt, "admin", "group_approval", REMIND_1WD())
    assert result["version"] == 2 and result["created"]
    again = modeler.deploy(sqlite_rt, "admin", "group_approval", REMIND_1WD())
    assert again["version"] == 2 and not again["created"]
    assert "P1WD" in modeler.diagram(sqlite_rt, "admin", "group_approval")["xml"]
    assert "P1WD" not in modeler.diagram(sqlite_rt, "admin", "group_approval", 1)["xml"]
    history = modeler.deploy_history(sqlite_rt, "admin", "group_approval")["items"]
    assert [(h["action"], h["who"], h["details"]["version"]) for h in history][0] == ("deploy", "admin", 2)


def test_compare_lists_changed_attributes(sqlite_rt):
    edited = set_attribute(REMIND_1WD(), "party_org_review", "candidateGroups", "secretary")
    edited = set_attribute(edited, "unit_head_review", "dueDate", "P5WD")
    modeler.deploy(sqlite_rt, "admin", "group_approval", edited)
    diff = modeler.compare(sqlite_rt, "admin", "group_approval", 1, 2)
    assert diff["added"] == [] and diff["removed"] == []
    changes = {(c["id"], f["field"]): (f["old"], f["new"]) for c in diff["changed"] for f in c["changes"]}
    assert changes == {("unit_head_review_remind_timer", "timer"): ("timeDuration P2WD", "timeDuration P1WD"),
                       ("party_org_review", "candidate_groups"): ("party_org", "secretary"),
                       ("unit_head_review", "due_date"): ("P3WD", "P5WD")}


def test_compare_added_and_removed(sqlite_rt):
    from tests.diagram_edits import bypass, insert_task_after

    edited = insert_task_after(bypass(reference(), "check_duplicates"), "Flow_unit_done", "extra_review", "书记复核", "secretary")
    modeler.deploy(sqlite_rt, "admin", "group_approval", edited)
    diff = modeler.compare(sqlite_rt, "admin", "group_approval", 1, 2)
    assert {a["id"] for a in diff["added"]} == {"extra_review", "Flow_unit_done_x"}
    assert {r["id"] for r in diff["removed"]} == {"check_duplicates", "Flow_checked"}
    changed = {c["id"]: {f["field"] for f in c["changes"]} for c in diff["changed"]}
    assert changed == {"Flow_submit": {"target"}, "Flow_unit_done": {"target"}}


def test_rollback_restores_the_previous_content_as_a_new_version(sqlite_rt):
    with pytest.raises(InvalidInput):
        modeler.rollback(sqlite_rt, "admin", "group_approval")
    modeler.deploy(sqlite_rt, "admin", "group_approval", REMIND_1WD())
    old = apply(sqlite_rt)
    result = modeler.rollback(sqlite_rt, "admin", "group_approval")
    assert result == {"key": "group_approval", "name": "新建工作群组审批", "version": 3, "restored": 1, "replaced": 2}
    assert modeler.diagram(sqlite_rt, "admin", "group_approval")["xml"] == modeler.diagram(sqlite_rt, "admin", "group_approval", 1)["xml"]
    new = apply(sqlite_rt)
    with unit_of_work(write=False, engine=sqlite_rt.db) as s:
        assert s.get(ProcessInstance, old).version == 2 and s.get(ProcessInstance, new).version == 3
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "rollback"))
        assert event.who == "admin" and event.details == {"from": 2, "restored": 1, "version": 3}
    # deploying the rolled-back content again is a no-op; rolling back the rollback brings v2's content back
    assert not modeler.deploy(sqlite_rt, "admin", "group_approval", reference())["created"]
    assert modeler.rollback(sqlite_rt, "admin", "group_approval")["restored"] == 2


def test_versions_with_instance_counts_and_catalogue(sqlite_rt):
    apply(sqlite_rt)
    modeler.deploy(sqlite_rt, "admin", "group_approval", REMIND_1WD())
    apply(sqlite_rt)
    apply(sqlite_rt)
    listed = {p["key"]: p for p in modeler.list_definitions(sqlite_rt, "admin")["items"]}
    ga = listed["group_approval"]
    assert ga["current"] == 2
    assert [(v["version"], v["instances"]) for v in ga["versions"]] == [(1, {"running": 1}), (2, {"running": 2})]
    cat = modeler.catalogue(sqlite_rt, "admin")
    assert {"remind", "escalate", "file_group"} <= {h["name"] for h in cat["handlers"]}
    assert {"unit_head", "party_org", "secretary"} <= {r["code"] for r in cat["roles"]}


def test_startup_deploy_keeps_a_version_made_in_the_modeler(sqlite_rt):
    from workflows.services.deployments import deploy_directory
    from workflows.settings import ROOT_DIR

    modeler.deploy(sqlite_rt, "admin", "group_approval", REMIND_1WD())
    (kept,) = [d for d in deploy_directory(sqlite_rt, ROOT_DIR / "bpmn", skip_known=True) if d.key == "group_approval"]
    assert (kept.version, kept.created) == (2, False)
    assert "P1WD" in modeler.diagram(sqlite_rt, "admin", "group_approval")["xml"]
