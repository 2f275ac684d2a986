# Scaffold description of bpmn/group_approval.bpmn (see deployments/tools/bpmn_scaffold.py).
PROCESS_ID = "group_approval"
PROCESS_NAME = "新建工作群组审批"
LANES = [("申请人", "applicant"), ("单位(部门)负责人", "unit_head"), ("二级党组织", "party_org"), ("学生工作主管部门", "student_body")]

DECISION = [
    {"id": "decision", "label": "审批意见", "type": "enum", "required": True,
     "options": [("approve", "同意"), ("reject", "不同意"), ("return", "退回修改")]},
    {"id": "opinion", "label": "意见说明", "type": "string", "props": {"widget": "textarea", "required_when": 'decision != "approve"'},
     "constraints": {"maxlength": 500}},
]
APPLY_FIELDS = [
    {"id": "group_name", "label": "工作群名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "group_kind", "label": "群类别", "type": "enum", "required": True, "options": [("wechat_group", "微信工作群"), ("qq_group", "QQ工作群")]},
    {"id": "function", "label": "群功能", "required": True, "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
    {"id": "member_scope", "label": "人员范围", "required": True, "props": {"widget": "textarea"}, "constraints": {"maxlength": 300}},
    {"id": "member_count", "label": "人员规模（人数）", "type": "long", "required": True, "constraints": {"min": 1, "max": 5000}},
    {"id": "owner_name", "label": "群主", "required": True, "constraints": {"maxlength": 30}},
    {"id": "admins", "label": "管理员", "constraints": {"maxlength": 100}},
    {"id": "contact", "label": "联系方式", "required": True, "props": {"format": "phone"}},
    {"id": "line", "label": "工作条线", "type": "enum", "required": True,
     "options": [("party", "党建"), ("united_front", "统战"), ("admin", "行政管理"), ("teaching", "教学科研"), ("student", "学生工作")]},
    {"id": "is_student", "label": "是否学生组建的工作群组", "type": "boolean", "default": "false"},
    {"id": "student_body", "label": "学生工作主管部门", "type": "enum", "props": {"required_when": "is_student"},
     "options": [("xuegong", "党委学生工作部"), ("yangong", "党委研究生工作部"), ("tuanwei", "团委")]},
    {"id": "posting_rules", "label": "群信息发布规则", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

apply = Node("apply", "userTask", "填写工作群审批表", lane=0, col=1, role="applicant", due="P3WD", form_key="group_application", fields=APPLY_FIELDS)
unit_review = Node("unit_head_review", "userTask", "单位(部门)负责人审核", lane=1, col=3, role="unit_head", due="P3WD", form_key="decision", fields=DECISION)
party_review = Node("party_org_review", "userTask", "二级党组织审批备案", lane=2, col=5, role="party_org", due="P3WD", form_key="decision", fields=DECISION)
student_review = Node("student_body_review", "userTask", "学生工作主管部门审批备案", lane=3, col=5, role="student_body", due="P3WD", form_key="decision", fields=DECISION)

NODES = [
    Node("start", "startEvent", "提出建群申请", lane=0, col=0),
    apply,
    Node("check_duplicates", "serviceTask", "重复群组检查", lane=1, col=2, topic="check_duplicates"),
    unit_review,
    Node("gw_unit_decision", "exclusiveGateway", "负责人意见", lane=1, col=4, default="Flow_unit_approve"),
    Node("gw_student", "exclusiveGateway", "学生群组？", lane=2, col=4, row_offset=0, dx=70, default="Flow_to_party"),
    party_review,
    student_review,
    Node("gw_final_decision", "exclusiveGateway", "审批意见", lane=2, col=6, default="Flow_final_approve"),
    Node("file_group", "serviceTask", "登记备案", lane=2, col=7, topic="file_group"),
    Node("make_att1", "serviceTask", "生成审批表（附件1）", lane=2, col=8, topic="make_document", inputs={"kind": "att1"}),
    Node("end_filed", "endEvent", "已备案", lane=2, col=9, properties={"outcome": "completed"}),
    Node("end_rejected", "endEvent", "未通过", lane=1, col=9, properties={"outcome": "rejected"}),
]
FLOWS = [
    Flow("Flow_start", "start", "apply"),
    Flow("Flow_submit", "apply", "check_duplicates"),
    Flow("Flow_checked", "check_duplicates", "unit_head_review"),
    Flow("Flow_unit_done", "unit_head_review", "gw_unit_decision"),
    Flow("Flow_unit_approve", "gw_unit_decision", "gw_student", "同意"),
    Flow("Flow_unit_return", "gw_unit_decision", "apply", "退回修改", 'decision == "return"'),
    Flow("Flow_unit_reject", "gw_unit_decision", "end_rejected", "不同意", 'decision == "reject"'),
    Flow("Flow_to_student", "gw_student", "student_body_review", "学生群组", "is_student == True"),
    Flow("Flow_to_party", "gw_student", "party_org_review", "教职工群组"),
    Flow("Flow_party_done", "party_org_review", "gw_final_decision"),
    Flow("Flow_student_done", "student_body_review", "gw_final_decision"),
    Flow("Flow_final_approve", "gw_final_decision", "file_group", "同意"),
    Flow("Flow_final_return", "gw_final_decision", "apply", "退回修改", 'decision == "return"'),
    Flow("Flow_final_reject", "gw_final_decision", "end_rejected", "不同意", 'decision == "reject"', route="up"),
    Flow("Flow_filed", "file_group", "make_att1"),
    Flow("Flow_documented", "make_att1", "end_filed"),
]
for host, esc, to in [(apply, None, ""), (unit_review, "P3WD", "party_org"), (party_review, "P3WD", "party_office"), (student_review, "P3WD", "party_office")]:
    n, f = reminder_and_escalation(host, "P2WD" if esc else "P3WD", esc, to)
    NODES += n
    FLOWS += f
