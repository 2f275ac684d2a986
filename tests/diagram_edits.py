"""XML edits of the reference diagram for modeler tests (what a process owner would do in the editor)."""

from __future__ import annotations

from lxml import etree

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI",
      "camunda": "http://camunda.org/schema/1.0/bpmn"}
B = "{%s}" % NS["bpmn"]


def insert_task_after(xml: bytes, flow_id: str, task_id: str, name: str, role: str) -> bytes:
    root = etree.fromstring(xml)
    proc = root.find("bpmn:process", NS)
    flow = proc.find(f"bpmn:sequenceFlow[@id='{flow_id}']", NS)
    target = flow.get("targetRef")
    flow.set("targetRef", task_id)
    tgt = proc.find(f"*[@id='{target}']")
    for inc in tgt.findall("bpmn:incoming", NS):
        if inc.text == flow_id:
            inc.text = f"{flow_id}_x"
    task = etree.SubElement(proc, B + "userTask", id=task_id, name=name)
    task.set("{%s}candidateGroups" % NS["camunda"], role)
    task.set("{%s}dueDate" % NS["camunda"], "P3WD")
    etree.SubElement(task, B + "incoming").text = flow_id
    etree.SubElement(task, B + "outgoing").text = f"{flow_id}_x"
    etree.SubElement(proc, B + "sequenceFlow", id=f"{flow_id}_x", sourceRef=task_id, targetRef=target)
    plane = root.find(".//bpmndi:BPMNPlane", NS)
    shape = etree.SubElement(plane, "{%s}BPMNShape" % NS["bpmndi"], id=f"{task_id}_di", bpmnElement=task_id)
    etree.SubElement(shape, "{%s}Bounds" % NS["dc"], x="2200", y="100", width="100", height="80")
    edge = etree.SubElement(plane, "{%s}BPMNEdge" % NS["bpmndi"], id=f"{flow_id}_x_di", bpmnElement=f"{flow_id}_x")
    etree.SubElement(edge, "{%s}waypoint" % NS["di"], x="2300", y="140")
    etree.SubElement(edge, "{%s}waypoint" % NS["di"], x="2400", y="140")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def reference() -> bytes:
    from workflows.settings import ROOT_DIR

    return (ROOT_DIR / "bpmn" / "group_approval.bpmn").read_bytes()


def set_timer(xml: bytes, element_id: str, expression: str) -> bytes:
    root = etree.fromstring(xml)
    node = root.find(f".//bpmn:boundaryEvent[@id='{element_id}']/bpmn:timerEventDefinition/bpmn:timeDuration", NS)
    node.text = expression
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_attribute(xml: bytes, element_id: str, name: str, value: str) -> bytes:
    root = etree.fromstring(xml)
    node = root.find(f".//*[@id='{element_id}']")
    node.set("{%s}%s" % (NS["camunda"], name) if ":" not in name else name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def remove_elements(xml: bytes, *element_ids: str) -> bytes:
    """Drop elements with their shapes, edges and lane references (the caller keeps the rest consistent)."""
    root = etree.fromstring(xml)
    ids = set(element_ids)
    doomed = [n for n in root.iter() if isinstance(n.tag, str) and (n.get("id") in ids or n.get("bpmnElement") in ids
                                                                     or (etree.QName(n).localname in {"flowNodeRef", "incoming", "outgoing"} and (n.text or "").strip() in ids))]
    for node in doomed:
        node.getparent().remove(node)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def bypass(xml: bytes, element_id: str) -> bytes:
    """Remove a step with one incoming and one outgoing flow, connecting its predecessor to its successor."""
    root = etree.fromstring(xml)
    proc = root.find("bpmn:process", NS)
    incoming = proc.find(f"bpmn:sequenceFlow[@targetRef='{element_id}']", NS)
    outgoing = proc.find(f"bpmn:sequenceFlow[@sourceRef='{element_id}']", NS)
    target = proc.find(f"*[@id='{outgoing.get('targetRef')}']")
    incoming.set("targetRef", outgoing.get("targetRef"))
    for ref in target.findall("bpmn:incoming", NS):
        if ref.text == outgoing.get("id"):
            ref.text = incoming.get("id")
    return remove_elements(etree.tostring(root), element_id, outgoing.get("id"))
