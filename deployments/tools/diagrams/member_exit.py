# Scaffold description of bpmn/member_exit.bpmn (see deployments/tools/bpmn_scaffold.py).
# Member exit (measures art. 11): a transferred or departed person must be taken out of the unit's work groups. The
# org import starts one instance per group on the person's roster (origin = org_import, data group_id and
# member_username); anyone may also report it by hand. The group's owner removes the member and confirms.
PROCESS_ID = "member_exit"
PROCESS_NAME = "调离人员移出工作群组"
LANES = [("申请人", "applicant"), ("群主", "owner")]

APPLY_FIELDS = [
    {"id": "group_name", "label": "工作群组名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "member_username", "label": "应移出人员（用户名）", "required": True, "constraints": {"maxlength": 64}},
    {"id": "reason", "label": "原因", "type": "enum", "required": True,
     "options": [("transfer", "工作调动"), ("departure", "离职"), ("job_change", "岗位调整"), ("other", "其他")]},
    {"id": "note", "label": "说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]
REMOVE_FIELDS = [
    {"id": "result", "label": "处理结果", "type": "enum", "required": True,
     "options": [("removed", "已移出工作群组"), ("not_member", "该人员不在群内")]},
    {"id": "removed_on", "label": "移出日期", "type": "date", "props": {"required_when": 'result == "removed"'}},
    {"id": "opinion", "label": "说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

apply = Node("apply", "userTask", "报告应移出的人员", lane=0, col=2, role="applicant", due="P3WD", form_key="member_exit", fields=APPLY_FIELDS)
remove = Node("remove_member", "userTask", "将人员移出工作群组并确认", lane=1, col=5, role="owner", due="P3WD", form_key="member_remove", fields=REMOVE_FIELDS)

NODES = [
    Node("start", "startEvent", "人员调离或离职", lane=0, col=0),
    Node("gw_origin", "exclusiveGateway", "人员变动自动发起？", lane=0, col=1, default="Flow_manual"),
    apply,
    Node("load_member", "serviceTask", "读取群组与群主", lane=1, col=3, topic="member_exit_load"),
    Node("gw_ok", "exclusiveGateway", "信息有效？", lane=1, col=4, default="Flow_ok"),
    remove,
    Node("record_removal", "serviceTask", "台账花名册移出该人员", lane=1, col=6, topic="member_exit_record"),
    Node("end_removed", "endEvent", "已移出", lane=1, col=7, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "gw_origin"),
    Flow("Flow_manual", "gw_origin", "apply", "人工报告"),
    Flow("Flow_from_import", "gw_origin", "load_member", "人员变动", "bool(group_id)", route="down"),
    Flow("Flow_reported", "apply", "load_member"),
    Flow("Flow_loaded", "load_member", "gw_ok"),
    Flow("Flow_ok", "gw_ok", "remove_member", "有效"),
    Flow("Flow_bad", "gw_ok", "apply", "信息有误", "bool(exit_error)"),
    Flow("Flow_removed", "remove_member", "record_removal"),
    Flow("Flow_recorded", "record_removal", "end_removed"),
]
for host, remind, esc, to in [(apply, "P2WD", "P3WD", "unit_head"), (remove, "P2WD", "P3WD", "unit_head")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
