"""Scaffold a BPMN file with lanes and diagram layout from a compact Python description.

Used once to draft the diagrams in bpmn/; after that the .bpmn files are the source and are edited in a
modeler (bpmn-js or Camunda Modeler). Run: ``python deployments/tools/bpmn_scaffold.py SPEC.py OUT.bpmn``
where SPEC.py defines PROCESS_ID, PROCESS_NAME, LANES [(name, role)], NODES and FLOWS (see ``Node``/``Flow``).
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

LANE_H, COL_W, X0, Y0 = 320, 220, 190, 60
SIZES = {"task": (110, 80), "event": (36, 36), "gateway": (50, 50)}


@dataclass
class Node:
    id: str
    type: str  # startEvent endEvent userTask serviceTask exclusiveGateway parallelGateway boundaryEvent intermediateCatchEvent
    name: str
    lane: int = 0
    col: int = 0
    role: str = ""
    due: str = ""
    form_key: str = ""
    fields: list[dict] = field(default_factory=list)
    topic: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    attached_to: str = ""
    interrupting: bool = False
    timer: str = ""
    timer_kind: str = "timeDuration"
    default: str = ""
    row_offset: int = 0  # row inside the lane: 0 main path, 1 reminder chain, 2 escalation chain
    dx: int = 0  # horizontal offset inside the column, in pixels
    small: bool = False  # a 90x60 task (reminder and escalation chains)
    multi: dict | None = None
    parent: str = ""  # id of the embedded subProcess this node is drawn and executed in ("" = the process)


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""
    route: str = ""  # "down" / "up": leave the source at its bottom / top, then turn towards the target (clear of its row);
    # "under": leave the source at its bottom, run along the bottom of the source's lane, then up (or down) just
    # left of the target's reminder chain and into the target's left side


def _parent(node: Node, by_id: dict[str, Node]) -> str:
    """The subProcess a node lives in; a boundary event lives where its host does."""
    return by_id[node.attached_to].parent if node.type == "boundaryEvent" else node.parent


def kind(node: Node) -> str:
    if node.type.endswith("Event"):
        return "event"
    if node.type.endswith("Gateway"):
        return "gateway"
    return "task"


def build(pid: str, pname: str, lanes: list[tuple[str, str]], nodes: list[Node], flows: list[Flow]) -> str:
    by_id = {n.id: n for n in nodes}
    ncols = max(n.col for n in nodes) + 1
    width = ncols * COL_W + 80
    bounds: dict[str, tuple[int, int, int, int]] = {}
    for n in nodes:
        if n.type in ("boundaryEvent", "subProcess"):
            continue
        w, h = (90, 60) if n.small else SIZES[kind(n)]
        cx = X0 + 60 + n.col * COL_W + 55 + n.dx
        cy = Y0 + n.lane * LANE_H + 75 + n.row_offset * 100
        bounds[n.id] = (cx - w // 2, cy - h // 2, w, h)
    per_host: dict[str, int] = {}
    for n in nodes:
        if n.type == "boundaryEvent":
            hx, hy, hw, hh = bounds[n.attached_to]
            i = per_host.get(n.attached_to, 0)
            per_host[n.attached_to] = i + 1
            bounds[n.id] = (hx if i == 0 else hx + hw - 36, hy + hh - 18, 36, 36)
    for n in nodes:  # an expanded subProcess frames its children, inside its lane
        if n.type == "subProcess":
            inner = [bounds[c.id] for c in nodes if c.parent == n.id]
            lane_top = Y0 + n.lane * LANE_H
            x1, y1 = min(b[0] for b in inner) - 25, max(min(b[1] for b in inner) - 25, lane_top + 8)
            x2 = max(b[0] + b[2] for b in inner) + 25
            y2 = min(max(b[1] + b[3] for b in inner) + 25, lane_top + LANE_H - 8)
            bounds[n.id] = (x1, y1, x2 - x1, y2 - y1)
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for f in flows:
        outgoing.setdefault(f.source, []).append(f.id)
        incoming.setdefault(f.target, []).append(f.id)

    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
           'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
           f'id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" '
           'exporterVersion="5.31.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">',
           f'  <bpmn:collaboration id="Collaboration_{pid}">',
           f'    <bpmn:participant id="Participant_{pid}" name={quoteattr(pname)} processRef="{pid}" />',
           '  </bpmn:collaboration>',
           f'  <bpmn:process id="{pid}" name={quoteattr(pname)} isExecutable="true" camunda:historyTimeToLive="P180D">',
           f'    <bpmn:laneSet id="LaneSet_{pid}">']
    for i, (lname, _role) in enumerate(lanes):
        out.append(f'      <bpmn:lane id="Lane_{pid}_{i}" name={quoteattr(lname)}>')
        for n in nodes:
            lane = by_id[n.attached_to].lane if n.type == "boundaryEvent" else n.lane
            if lane == i and not _parent(n, by_id):
                out.append(f'        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>')
        out.append('      </bpmn:lane>')
    out.append('    </bpmn:laneSet>')
    flows_in: dict[str, list[Flow]] = {}
    for f in flows:
        flows_in.setdefault(_parent(by_id[f.source], by_id), []).append(f)

    def emit(container: str, pad: str) -> None:
        for n in nodes:
            if _parent(n, by_id) != container:
                continue
            emit_node(n, pad)
        for f in flows_in.get(container, []):
            emit_flow(f, pad)

    def emit_node(n: Node, pad: str) -> None:
        attrs = f'id="{n.id}" name={quoteattr(n.name)}'
        if n.type == "userTask":
            attrs += f' camunda:candidateGroups="{n.role}"'
            if n.form_key:
                attrs += f' camunda:formKey="{n.form_key}"'
            if n.due:
                attrs += f' camunda:dueDate="{n.due}"'
        if n.type == "serviceTask":
            attrs += f' camunda:type="external" camunda:topic="{n.topic}"'
        if n.type == "boundaryEvent":
            attrs += f' cancelActivity="{"true" if n.interrupting else "false"}" attachedToRef="{n.attached_to}"'
        if n.type.endswith("Gateway") and n.default:
            attrs += f' default="{n.default}"'
        lines = [f'    <bpmn:{n.type} {attrs}>']
        ext = []
        if n.fields:
            ext.append('        <camunda:formData>')
            for f in n.fields:
                fattrs = f'id="{f["id"]}" label={quoteattr(f["label"])} type="{f.get("type", "string")}"'
                if "default" in f:
                    fattrs += f' defaultValue={quoteattr(str(f["default"]))}'
                ext.append(f'          <camunda:formField {fattrs}>')
                cons = [("required", None)] if f.get("required") else []
                cons += [(k, str(v)) for k, v in f.get("constraints", {}).items()]
                if f.get("props"):
                    ext.append('            <camunda:properties>')
                    for k, v in f["props"].items():
                        ext.append(f'              <camunda:property id="{k}" value={quoteattr(v)} />')
                    ext.append('            </camunda:properties>')
                if cons:
                    ext.append('            <camunda:validation>')
                    for k, v in cons:
                        ext.append(f'              <camunda:constraint name="{k}"' + (f' config={quoteattr(v)}' if v is not None else '') + ' />')
                    ext.append('            </camunda:validation>')
                for oid, oname in f.get("options", []):
                    ext.append(f'            <camunda:value id="{oid}" name={quoteattr(oname)} />')
                ext.append('          </camunda:formField>')
            ext.append('        </camunda:formData>')
        if n.inputs:
            ext.append('        <camunda:inputOutput>')
            for k, v in n.inputs.items():
                ext.append(f'          <camunda:inputParameter name="{k}">{escape(v)}</camunda:inputParameter>')
            ext.append('        </camunda:inputOutput>')
        if n.properties:
            ext.append('        <camunda:properties>')
            for k, v in n.properties.items():
                ext.append(f'          <camunda:property name="{k}" value={quoteattr(v)} />')
            ext.append('        </camunda:properties>')
        if ext:
            lines.append('      <bpmn:extensionElements>')
            lines.extend(ext)
            lines.append('      </bpmn:extensionElements>')
        for fid in incoming.get(n.id, []):
            lines.append(f'      <bpmn:incoming>{fid}</bpmn:incoming>')
        for fid in outgoing.get(n.id, []):
            lines.append(f'      <bpmn:outgoing>{fid}</bpmn:outgoing>')
        if n.multi is not None:
            seq = "true" if n.multi.get("sequential") else "false"
            lines.append(f'      <bpmn:multiInstanceLoopCharacteristics isSequential="{seq}" camunda:collection="{n.multi["collection"]}" camunda:elementVariable="{n.multi["element"]}" />')
        if n.timer:
            lines.append(f'      <bpmn:timerEventDefinition id="TimerDef_{n.id}">')
            lines.append(f'        <bpmn:{n.timer_kind} xsi:type="bpmn:tFormalExpression">{escape(n.timer)}</bpmn:{n.timer_kind}>')
            lines.append('      </bpmn:timerEventDefinition>')
        out.extend(pad + line for line in lines)
        if n.type == "subProcess":
            emit(n.id, pad + "  ")
        out.append(f'{pad}    </bpmn:{n.type}>')

    def emit_flow(f: Flow, pad: str) -> None:
        attrs = f'id="{f.id}" sourceRef="{f.source}" targetRef="{f.target}"' + (f' name={quoteattr(f.name)}' if f.name else "")
        if f.condition:
            out.append(f'{pad}    <bpmn:sequenceFlow {attrs}>')
            out.append(f'{pad}      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f.condition)}</bpmn:conditionExpression>')
            out.append(f'{pad}    </bpmn:sequenceFlow>')
        else:
            out.append(f'{pad}    <bpmn:sequenceFlow {attrs} />')

    emit("", "")
    out.append('  </bpmn:process>')
    out.append(f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{pid}">')
    out.append(f'    <bpmndi:BPMNPlane id="BPMNPlane_{pid}" bpmnElement="Collaboration_{pid}">')
    total_h = LANE_H * len(lanes)
    out.append(f'      <bpmndi:BPMNShape id="Participant_{pid}_di" bpmnElement="Participant_{pid}" isHorizontal="true">')
    out.append(f'        <dc:Bounds x="{X0 - 30}" y="{Y0}" width="{width + 30}" height="{total_h}" />')
    out.append('      </bpmndi:BPMNShape>')
    for i, _ in enumerate(lanes):
        out.append(f'      <bpmndi:BPMNShape id="Lane_{pid}_{i}_di" bpmnElement="Lane_{pid}_{i}" isHorizontal="true">')
        out.append(f'        <dc:Bounds x="{X0}" y="{Y0 + i * LANE_H}" width="{width}" height="{LANE_H}" />')
        out.append('      </bpmndi:BPMNShape>')
    for n in nodes:
        x, y, w, h = bounds[n.id]
        extra = ' isMarkerVisible="true"' if n.type == "exclusiveGateway" else ' isExpanded="true"' if n.type == "subProcess" else ""
        out.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>')
        out.append(f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" />')
        if n.name and kind(n) != "task":
            out.append(f'        <bpmndi:BPMNLabel><dc:Bounds x="{x - 20}" y="{y + h + 4}" width="{w + 40}" height="14" /></bpmndi:BPMNLabel>')
        out.append('      </bpmndi:BPMNShape>')
    for f in flows:
        sx, sy, sw, sh = bounds[f.source]
        tx, ty, tw, th = bounds[f.target]
        src_boundary = by_id[f.source].type == "boundaryEvent"
        if f.route == "down":
            pts = [(sx + sw // 2, sy + sh), (sx + sw // 2, ty + th // 2), (tx, ty + th // 2)]
        elif f.route == "under":
            src = by_id[by_id[f.source].attached_to] if src_boundary else by_id[f.source]
            floor = Y0 + (src.lane + 1) * LANE_H - 12
            pts = [(sx + sw // 2, sy + sh), (sx + sw // 2, floor), (tx - 55, floor), (tx - 55, ty + th // 2), (tx, ty + th // 2)]
        elif f.route == "up":
            pts = [(sx + sw // 2, sy), (sx + sw // 2, ty + th // 2), (tx, ty + th // 2)]
        elif ty > sy + sh - 20 and tx <= sx + sw // 2 <= tx + tw:
            pts = [(sx + sw // 2, sy + sh), (sx + sw // 2, ty)]
        elif tx > sx:
            a, b = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
            pts = [a, b] if a[1] == b[1] else [a, ((a[0] + b[0]) // 2, a[1]), ((a[0] + b[0]) // 2, b[1]), b]
        else:  # back edge: go over the top of the lane
            top = min(sy, ty) - 25
            pts = [(sx + sw // 2, sy), (sx + sw // 2, top), (tx + tw // 2, top), (tx + tw // 2, ty)]
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        for px, py in pts:
            out.append(f'        <di:waypoint x="{px}" y="{py}" />')
        out.append('      </bpmndi:BPMNEdge>')
    out.append('    </bpmndi:BPMNPlane>')
    out.append('  </bpmndi:BPMNDiagram>')
    out.append('</bpmn:definitions>')
    return "\n".join(out) + "\n"


def reminder_and_escalation(host: Node, remind_after: str, escalate_after: str | None, escalate_to: str, col_shift: int = 0) -> tuple[list[Node], list[Flow]]:
    """The standard pair of non-interrupting boundary timers of a human task (reminder, escalation)."""
    nodes = [Node(f"{host.id}_remind_timer", "boundaryEvent", "催办提醒", attached_to=host.id, timer=remind_after),
             Node(f"{host.id}_remind", "serviceTask", "发送催办提醒", lane=host.lane, col=host.col + col_shift, row_offset=1, dx=-50, small=True, topic="remind", inputs={"task": host.id}),
             Node(f"{host.id}_remind_end", "endEvent", "已提醒", lane=host.lane, col=host.col + col_shift, row_offset=2, dx=-37)]
    flows = [Flow(f"Flow_{host.id}_r1", nodes[0].id, nodes[1].id), Flow(f"Flow_{host.id}_r2", nodes[1].id, nodes[2].id)]
    if escalate_after:
        nodes += [Node(f"{host.id}_escalate_timer", "boundaryEvent", "逾期升级", attached_to=host.id, timer=escalate_after),
                  Node(f"{host.id}_escalate", "serviceTask", "逾期升级督办", lane=host.lane, col=host.col + col_shift, topic="escalate", inputs={"task": host.id, "to": escalate_to}, row_offset=1, dx=50, small=True),
                  Node(f"{host.id}_escalate_end", "endEvent", "已升级", lane=host.lane, col=host.col + col_shift, row_offset=2, dx=37)]
        flows += [Flow(f"Flow_{host.id}_e1", nodes[3].id, nodes[4].id), Flow(f"Flow_{host.id}_e2", nodes[4].id, nodes[5].id)]
    return nodes, flows


if __name__ == "__main__":
    spec = runpy.run_path(sys.argv[1], init_globals={"Node": Node, "Flow": Flow, "reminder_and_escalation": reminder_and_escalation})
    xml = build(spec["PROCESS_ID"], spec["PROCESS_NAME"], spec["LANES"], spec["NODES"], spec["FLOWS"])
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        fh.write(xml)
