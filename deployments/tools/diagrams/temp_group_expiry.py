# Scaffold description of bpmn/temp_group_expiry.bpmn (see deployments/tools/bpmn_scaffold.py).
# Temporary group expiry (measures art. 6): a temporary group, registered without approval, must be dissolved within
# one week after its work ends. Started by the periodic sweep on its expected end date (origin = periodic, data
# group_id) or by its owner reporting the end of the work. The owner confirms the dissolution (or, within the
# limits, moves the end date); overdue, the task moves to the unit head (interrupting escalation).
PROCESS_ID = "temp_group_expiry"
PROCESS_NAME = "临时工作群组到期解散"
LANES = [("群主", "owner"), ("单位(部门)负责人", "unit_head")]

REPORT_FIELDS = [
    {"id": "group_name", "label": "临时工作群组名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "note", "label": "工作完成情况", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]
DISSOLVE_FIELDS = [
    {"id": "action", "label": "处理结果", "type": "enum", "required": True,
     "options": [("dissolved", "已解散该群"), ("extend", "工作尚未结束，延期解散")]},
    {"id": "dissolved_on", "label": "解散日期", "type": "date", "props": {"required_when": 'action == "dissolved"'}},
    {"id": "new_end_date", "label": "新的预计结束日期", "type": "date", "props": {"required_when": 'action == "extend"'}},
    {"id": "opinion", "label": "说明", "props": {"widget": "textarea", "required_when": 'action == "extend"'}, "constraints": {"maxlength": 500}},
]

report = Node("report_end", "userTask", "报告临时工作结束", lane=0, col=2, role="applicant", due="P3WD", form_key="temp_group_end", fields=REPORT_FIELDS)
confirm = Node("confirm_dissolve", "userTask", "解散临时工作群组并确认", lane=0, col=5, role="owner", due="P5WD", form_key="temp_group_dissolve", fields=DISSOLVE_FIELDS)
head = Node("unit_head_dissolve", "userTask", "单位负责人督促解散并确认", lane=1, col=6, role="unit_head", due="P3WD", form_key="temp_group_dissolve", fields=DISSOLVE_FIELDS)

NODES = [
    Node("start", "startEvent", "临时工作结束", lane=0, col=0),
    Node("gw_origin", "exclusiveGateway", "到期自动发起？", lane=0, col=1, default="Flow_manual"),
    report,
    Node("load_group", "serviceTask", "读取临时群组，标记待解散", lane=1, col=3, topic="temp_group_load"),
    Node("gw_group_ok", "exclusiveGateway", "群组有效？", lane=1, col=4, default="Flow_group_ok"),
    confirm,
    Node("escalate_to_head", "serviceTask", "逾期升级：通知单位负责人", lane=1, col=5, dx=50, topic="escalate",
         inputs={"task": "confirm_dissolve", "to": "unit_head"}),
    head,
    Node("gw_action", "exclusiveGateway", "处理结果", lane=0, col=7, default="Flow_dissolved"),
    Node("mark_dissolved", "serviceTask", "台账登记已解散及日期", lane=0, col=8, topic="temp_group_dissolved"),
    Node("end_dissolved", "endEvent", "已解散", lane=0, col=9, properties={"outcome": "completed"}),
    Node("extend", "serviceTask", "延期（在第六条限度内）", lane=1, col=9, topic="temp_group_extend"),
    Node("gw_extend_ok", "exclusiveGateway", "可以延期？", lane=1, col=10, default="Flow_extended"),
    Node("end_extended", "endEvent", "已延期", lane=1, col=11, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "gw_origin"),
    Flow("Flow_manual", "gw_origin", "report_end", "群主报告"),
    Flow("Flow_periodic", "gw_origin", "load_group", "到期", "bool(group_id)", route="down"),
    Flow("Flow_reported", "report_end", "load_group"),
    Flow("Flow_loaded", "load_group", "gw_group_ok"),
    Flow("Flow_group_ok", "gw_group_ok", "confirm_dissolve", "有效"),
    Flow("Flow_group_bad", "gw_group_ok", "report_end", "群组有误", "bool(group_error)"),
    Flow("Flow_owner_done", "confirm_dissolve", "gw_action"),
    Flow("Flow_overdue", "confirm_dissolve_overdue", "escalate_to_head"),
    Flow("Flow_to_head", "escalate_to_head", "unit_head_dissolve"),
    Flow("Flow_head_done", "unit_head_dissolve", "gw_action"),
    Flow("Flow_dissolved", "gw_action", "mark_dissolved", "已解散"),
    Flow("Flow_extend", "gw_action", "extend", "延期", 'action == "extend"', route="down"),
    Flow("Flow_marked", "mark_dissolved", "end_dissolved"),
    Flow("Flow_extend_done", "extend", "gw_extend_ok"),
    Flow("Flow_extended", "gw_extend_ok", "end_extended", "已延期"),
    Flow("Flow_extend_refused", "gw_extend_ok", "confirm_dissolve", "超出限度", "bool(extend_error)"),
]
for host, remind, esc, to in [(report, "P2WD", "P3WD", "unit_head"), (confirm, "P3WD", None, ""), (head, "P2WD", "P3WD", "party_org")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
# the owner's task has an interrupting escalation: overdue, it moves to the unit head (after the reminder, so the
# reminder timer sits at the task's left corner and this one at its right corner)
NODES.append(Node("confirm_dissolve_overdue", "boundaryEvent", "逾期转单位负责人", attached_to="confirm_dissolve", timer="P5WD", interrupting=True))
