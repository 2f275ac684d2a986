"""The outside contract (interface.md) over every deployed diagram in bpmn/, read as the engine reads it:

* every decision task (a form with a ``decision`` field) offers exactly ``approve``, ``reject``, ``return`` and has
  an ``opinion`` field, and the gateway after it routes ``reject`` and ``return`` by a condition of their own
  (only ``approve`` takes the default way on);
* every application form (the first user task a person fills when starting a process about one group) has
  ``group_name``; so does the temporary-group registration, which is a use case rather than a diagram (art. 6).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BPMN_DIR
from workflows.engine.diagram import DiagramModel, ElementDef, read_diagram
from workflows.engine.expressions import evaluate
from workflows.errors import InvalidInput
from workflows.services.registry import register_temp_group

DECISIONS = {"approve", "reject", "return"}
DIAGRAMS = sorted(BPMN_DIR.glob("*.bpmn"))
# processes whose first task is not an application about one group: the campaign is launched over all units, and
# its unit parts are started by the campaign (their first task is the statistician's list)
NOT_APPLICATIONS = {"cleanup_refiling", "cleanup_unit"}


def _model(path: Path) -> DiagramModel:
    return read_diagram(path.read_bytes())


def _decision_tasks() -> list[tuple[str, DiagramModel, ElementDef]]:
    out = []
    for path in DIAGRAMS:
        model = _model(path)
        out += [(f"{path.stem}:{t.id}", model, t) for t in model.of_tag("userTask") if any(f.id == "decision" for f in t.form_fields)]
    return out


def _flows_from(model: DiagramModel, source: str) -> list[ElementDef]:
    return [e for e in model.elements.values() if e.tag == "sequenceFlow" and e.source == source]


def _first_user_task(model: DiagramModel) -> ElementDef:
    """The user task reached first from the start event, taking each gateway's default (the by-hand) way."""
    pid = model.main_process[0]
    node = next(e for e in model.of_tag("startEvent") if e.process_id == pid and not e.attached_to)
    for _ in range(len(model.elements)):
        if node.tag == "userTask":
            return node
        flows = _flows_from(model, node.id)
        flow = next((f for f in flows if f.id == node.default_flow), flows[0])
        assert flow.target is not None
        node = model.elements[flow.target]
    raise AssertionError(f"{pid}: no user task reachable from the start event")


def test_every_diagram_is_checked() -> None:
    assert {p.stem for p in DIAGRAMS} >= {"group_approval", "account_filing", "owner_change", "cleanup_refiling", "cleanup_unit",
                                          "temp_group_expiry", "account_deregistration", "member_exit"}
    assert len(_decision_tasks()) >= 11


@pytest.mark.parametrize(("name", "model", "task"), [pytest.param(*t, id=t[0]) for t in _decision_tasks()])
def test_decision_task_offers_approve_reject_return_with_an_opinion(name: str, model: DiagramModel, task: ElementDef) -> None:
    fields = {f.id: f for f in task.form_fields}
    decision = fields["decision"]
    assert decision.type == "enum" and decision.required
    assert sorted(value for value, _label in decision.options) == sorted(DECISIONS), name
    assert all(label for _value, label in decision.options)
    assert "opinion" in fields and fields["opinion"].type == "string"
    # where the decision goes: the task's single outgoing flow reaches the gateway deciding on it
    [out] = _flows_from(model, task.id)
    assert out.target is not None
    gateway = model.elements[out.target]
    assert gateway.tag == "exclusiveGateway", f"{name}: the decision should be routed by an exclusive gateway"
    conditional = [f for f in _flows_from(model, gateway.id) if f.condition]
    for value in DECISIONS:
        taken = [f.id for f in conditional if evaluate(f.condition or "", {"decision": value})]
        if value == "approve":
            assert taken == [], f"{name}: approve should take the default flow {gateway.default_flow}"
        else:
            assert len(taken) == 1, f"{name}: {value} should take exactly one conditional flow of {gateway.id}, takes {taken}"


@pytest.mark.parametrize("path", [p for p in DIAGRAMS if p.stem not in NOT_APPLICATIONS], ids=lambda p: p.stem)
def test_application_form_has_group_name(path: Path) -> None:
    task = _first_user_task(_model(path))
    fields = {f.id: f for f in task.form_fields}
    assert "group_name" in fields, f"{path.stem}:{task.id}"
    assert fields["group_name"].type == "string"


def test_first_tasks_of_the_approval_processes() -> None:
    firsts = {p.stem: _first_user_task(_model(p)).id for p in DIAGRAMS}
    assert firsts["group_approval"] == "apply" and firsts["account_filing"] == "apply"


def test_temporary_group_registration_asks_for_group_name(sqlite_rt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as caught:
        register_temp_group(sqlite_rt, "staff_cs", {"function": "迎新", "member_count": 5, "expected_end": "2099-01-01"})
    assert [e.field for e in caught.value.errors] == ["group_name"]
