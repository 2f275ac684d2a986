"""What groupgov reads from a BPMN file besides what SpiffWorkflow executes.

The attributes are the ones Camunda Modeler and bpmn-js (with camunda-bpmn-moddle) write, so a diagram
edited there keeps working: ``camunda:candidateGroups`` (role), ``camunda:assignee``, ``camunda:dueDate``
(due, e.g. ``P3WD``), ``camunda:formKey`` with ``camunda:formData`` fields, ``camunda:type="external"``
``camunda:topic`` (the handler a service task calls) with ``camunda:inputOutput`` parameters, and
``camunda:properties`` (e.g. ``outcome=rejected`` on an end event).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "camunda": CAMUNDA_NS}

FLOW_NODE_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "serviceTask", "scriptTask", "manualTask", "businessRuleTask", "sendTask",
    "receiveTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
    "inclusiveGateway", "eventBasedGateway", "transaction",
}


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


@dataclass
class FormFieldDef:
    id: str
    label: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class TimerDef:
    kind: str  # timeDuration, timeDate, timeCycle
    expression: str


@dataclass
class ElementDef:
    id: str
    tag: str
    name: str
    process_id: str
    candidate_groups: list[str] = field(default_factory=list)
    assignee: str | None = None
    due_date: str | None = None
    form_key: str | None = None
    form_fields: list[FormFieldDef] = field(default_factory=list)
    topic: str | None = None
    implementation: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    timer: TimerDef | None = None
    attached_to: str | None = None
    cancel_activity: bool = True
    condition: str | None = None
    source: str | None = None
    target: str | None = None
    default_flow: str | None = None
    lane: str | None = None
    has_error_definition: bool = False


@dataclass
class DiagramModel:
    """Everything groupgov needs from one BPMN file, indexed by element id."""

    processes: dict[str, str]  # executable process id -> name
    elements: dict[str, ElementDef]
    shapes: set[str]
    edges: set[str]

    def of_tag(self, *tags: str) -> list[ElementDef]:
        return [e for e in self.elements.values() if e.tag in tags]

    @property
    def main_process(self) -> tuple[str, str]:
        pid = next(iter(self.processes))
        return pid, self.processes[pid]


def read_diagram(xml: bytes) -> DiagramModel:
    """Read a BPMN file. Raises ``etree.XMLSyntaxError`` for malformed XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml, parser)
    processes: dict[str, str] = {}
    elements: dict[str, ElementDef] = {}
    for proc in root.iterfind("bpmn:process", NS):
        if proc.get("isExecutable", "true") == "false" and processes:
            continue
        pid = proc.get("id", "")
        processes[pid] = proc.get("name") or pid
        lanes = {
            ref.text.strip(): lane.get("name") or lane.get("id", "")
            for lane in proc.iter(f"{{{BPMN_NS}}}lane")
            for ref in lane.iterfind("bpmn:flowNodeRef", NS) if ref.text
        }
        for node in proc.iter():
            if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            tag = etree.QName(node).localname
            if tag not in FLOW_NODE_TAGS and tag != "sequenceFlow":
                continue
            el = ElementDef(id=node.get("id", ""), tag=tag, name=(node.get("name") or "").strip(), process_id=pid)
            el.lane = lanes.get(el.id)
            _read_common(node, el)
            elements[el.id] = el
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    edges = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge")}
    return DiagramModel(processes, elements, {s for s in shapes if s}, {e for e in edges if e})


def _read_common(node: etree._Element, el: ElementDef) -> None:
    groups = node.get(_c("candidateGroups"))
    if groups:
        el.candidate_groups = [g.strip() for g in groups.split(",") if g.strip()]
    el.assignee = node.get(_c("assignee"))
    el.due_date = node.get(_c("dueDate"))
    el.form_key = node.get(_c("formKey"))
    el.topic = node.get(_c("topic"))
    el.implementation = node.get(_c("type")) or node.get(_c("class")) or node.get(_c("delegateExpression")) or node.get(_c("expression"))
    el.attached_to = node.get("attachedToRef")
    el.cancel_activity = node.get("cancelActivity", "true") != "false"
    el.source, el.target = node.get("sourceRef"), node.get("targetRef")
    el.default_flow = node.get("default")
    cond = node.find("bpmn:conditionExpression", NS)
    if cond is not None:
        el.condition = (cond.text or "").strip()
    for kind in ("timeDuration", "timeDate", "timeCycle"):
        t = node.find(f"bpmn:timerEventDefinition/bpmn:{kind}", NS)
        if t is not None:
            el.timer = TimerDef(kind, (t.text or "").strip())
    if node.find("bpmn:timerEventDefinition", NS) is not None and el.timer is None:
        el.timer = TimerDef("", "")
    el.has_error_definition = node.find("bpmn:errorEventDefinition", NS) is not None
    ext = node.find("bpmn:extensionElements", NS)
    if ext is None:
        return
    for prop in ext.iterfind("camunda:properties/camunda:property", NS):
        el.properties[prop.get("name", "")] = prop.get("value", "")
    for param in ext.iterfind("camunda:inputOutput/camunda:inputParameter", NS):
        el.inputs[param.get("name", "")] = (param.text or "").strip()
    for f in ext.iterfind("camunda:formData/camunda:formField", NS):
        field_def = FormFieldDef(id=f.get("id", ""), label=f.get("label") or f.get("id", ""),
                                 type=f.get("type") or "string", default=f.get("defaultValue"))
        for v in f.iterfind("camunda:value", NS):
            field_def.options.append((v.get("id", ""), v.get("name") or v.get("id", "")))
        for c in f.iterfind("camunda:validation/camunda:constraint", NS):
            name = c.get("name", "")
            if name == "required":
                field_def.required = True
            else:
                field_def.constraints[name] = c.get("config", "")
        for p in f.iterfind("camunda:properties/camunda:property", NS):
            field_def.properties[p.get("id", "")] = p.get("value", "")
        el.form_fields.append(field_def)
