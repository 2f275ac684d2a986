# Scaffold description of bpmn/cleanup_unit.bpmn (see deployments/tools/bpmn_scaffold.py).
# One unit's part of the art. 7 cleanup campaign (started by bpmn/cleanup_refiling.bpmn, one instance per unit, so
# roles resolve against that unit): the statistician lists the unit's existing groups (form field group_list, a JSON
# list drawn by the web app as a table editor (field property widget=group_list), or a spreadsheet upload) marking keep or dissolve with the retention basis and posting rules; the unit head
# and the secondary Party org secretary sign; kept groups are re-filed (att. 3); each dissolved group gets a
# dissolve-and-confirm task for its owner (a parallel multi-instance subprocess over dissolve_items).
# Decisions of the two signatures (interface.md: approve / reject / return): approve -> next signature / re-filing;
# return -> back to the statistician to amend the list; reject -> the list is refused (不同意), and since the
# clean-up is compulsory (art. 7) the unit's part does not end: it goes back to the statistician to list again, the
# opinion is required and the history records the decision as a rejection.
PROCESS_ID = "cleanup_unit"
PROCESS_NAME = "工作群组清理规范（单位）"
LANES = [("统计人", "statistician"), ("单位(部门)负责人", "unit_head"), ("二级党组织书记", "secretary"), ("群主", "owner")]

LIST_FIELDS = [
    {"id": "group_list", "label": "工作群组清单（逐群填写，标明保留或解散）",
     "required": True, "props": {"widget": "group_list"}, "constraints": {"maxlength": 200000}},
    {"id": "original_count", "label": "本单位(部门)原有工作群组的数量", "type": "long", "required": True, "constraints": {"min": 0, "max": 10000}},
    {"id": "note", "label": "说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]
SIGN = [
    {"id": "decision", "label": "签字意见", "type": "enum", "required": True,
     "options": [("approve", "同意，签字"), ("reject", "不同意（清单不予通过，退回统计人重新填报）"), ("return", "退回统计人修改")]},
    {"id": "opinion", "label": "意见说明", "props": {"widget": "textarea", "required_when": 'decision != "approve"'}, "constraints": {"maxlength": 500}},
]
DISSOLVE_FIELDS = [
    {"id": "dissolved_on", "label": "解散日期", "type": "date", "required": True},
    {"id": "opinion", "label": "说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

listing = Node("list_groups", "userTask", "填报工作群组清单", lane=0, col=2, role="statistician", due="P20WD", form_key="cleanup_list", fields=LIST_FIELDS)
head = Node("unit_head_sign", "userTask", "单位(部门)负责人签字", lane=1, col=5, role="unit_head", due="P3WD", form_key="decision", fields=SIGN)
secretary = Node("secretary_sign", "userTask", "二级党组织书记签字", lane=2, col=7, role="secretary", due="P3WD", form_key="decision", fields=SIGN)
SUB = "dissolve_each"
confirm = Node("confirm_dissolve", "userTask", "解散工作群组并确认", lane=3, col=12, role="owner", due="P5WD", form_key="cleanup_dissolve",
               fields=DISSOLVE_FIELDS, parent=SUB)

NODES = [
    Node("start", "startEvent", "单位清理备案", lane=0, col=0),
    Node("load_groups", "serviceTask", "读取本单位台账", lane=0, col=1, topic="cleanup_unit_groups"),
    listing,
    Node("check_list", "serviceTask", "核对群组清单", lane=0, col=3, topic="cleanup_check_list"),
    Node("gw_list_ok", "exclusiveGateway", "清单有效？", lane=0, col=4, default="Flow_list_ok"),
    head,
    Node("gw_head", "exclusiveGateway", "负责人意见", lane=1, col=6, default="Flow_head_ok"),
    secretary,
    Node("gw_secretary", "exclusiveGateway", "书记意见", lane=2, col=8, default="Flow_secretary_ok"),
    Node("refile", "serviceTask", "保留群组重新备案（附件3）", lane=2, col=9, topic="cleanup_refile"),
    Node(SUB, "subProcess", "逐个解散工作群组", lane=3, col=12, multi={"collection": "dissolve_items", "element": "dissolve_item"}),
    Node("dissolve_start", "startEvent", "待解散", lane=3, col=10, parent=SUB),
    Node("prepare_dissolve", "serviceTask", "通知群主解散", lane=3, col=11, topic="cleanup_prepare_dissolve", parent=SUB),
    confirm,
    Node("mark_dissolved", "serviceTask", "台账登记已解散", lane=3, col=13, topic="cleanup_mark_dissolved", parent=SUB),
    Node("dissolve_end", "endEvent", "已解散", lane=3, col=14, parent=SUB),
    Node("finish", "serviceTask", "本单位清理完成", lane=0, col=15, topic="cleanup_unit_finish"),
    Node("end", "endEvent", "本单位已完成", lane=0, col=16, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "load_groups"),
    Flow("Flow_loaded", "load_groups", "list_groups"),
    Flow("Flow_listed", "list_groups", "check_list"),
    Flow("Flow_checked", "check_list", "gw_list_ok"),
    Flow("Flow_list_ok", "gw_list_ok", "unit_head_sign", "清单有效"),
    Flow("Flow_list_bad", "gw_list_ok", "list_groups", "清单有误", "bool(list_error)"),
    Flow("Flow_head_done", "unit_head_sign", "gw_head"),
    Flow("Flow_head_ok", "gw_head", "secretary_sign", "同意"),
    Flow("Flow_head_return", "gw_head", "list_groups", "退回修改或不同意", 'decision in ("return", "reject")'),
    Flow("Flow_secretary_done", "secretary_sign", "gw_secretary"),
    Flow("Flow_secretary_ok", "gw_secretary", "refile", "同意"),
    Flow("Flow_secretary_return", "gw_secretary", "list_groups", "退回修改或不同意", 'decision in ("return", "reject")'),
    Flow("Flow_refiled", "refile", SUB),
    Flow("Flow_dissolve_start", "dissolve_start", "prepare_dissolve"),
    Flow("Flow_prepared", "prepare_dissolve", "confirm_dissolve"),
    Flow("Flow_confirmed", "confirm_dissolve", "mark_dissolved"),
    Flow("Flow_marked", "mark_dissolved", "dissolve_end"),
    Flow("Flow_all_dissolved", SUB, "finish"),
    Flow("Flow_finished", "finish", "end"),
]
for host, remind, esc, to in [(listing, "P15WD", "P20WD", "unit_head"), (head, "P2WD", "P3WD", "party_org"),
                              (secretary, "P2WD", "P3WD", "party_office")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
# inside the multi-instance subprocess every owner has a task of the same element: reminders and escalations
# address the owner of the group at hand (data owner_username), not the first task of that element
n, f = reminder_and_escalation(confirm, "P3WD", "P5WD", "unit_head")
for node in n:
    node.parent = SUB
    if node.type == "serviceTask":
        node.topic = {"remind": "cleanup_remind_owner", "escalate": "cleanup_escalate_owner"}[node.topic]
NODES += n
FLOWS += f
