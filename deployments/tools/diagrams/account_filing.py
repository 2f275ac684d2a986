# Scaffold description of bpmn/account_filing.bpmn (see deployments/tools/bpmn_scaffold.py).
# Official account filing (measures art. 5, 10; attachment 2): the applicant (the account's creator and direct
# responsible person) fills every field of att. 2, the unit head signs, the Propaganda Dept files or returns it.
PROCESS_ID = "account_filing"
PROCESS_NAME = "官方公众号备案登记"
LANES = [("申请人（直接责任人）", "applicant"), ("单位(部门)负责人", "unit_head"), ("党委宣传部", "propaganda")]

DECISION = [
    {"id": "decision", "label": "审批意见", "type": "enum", "required": True,
     "options": [("approve", "同意"), ("reject", "不同意"), ("return", "退回修改")]},
    {"id": "opinion", "label": "意见说明", "type": "string", "props": {"widget": "textarea", "required_when": 'decision != "approve"'},
     "constraints": {"maxlength": 500}},
]
FILING_DECISION = [
    {"id": "decision", "label": "备案意见", "type": "enum", "required": True,
     "options": [("approve", "同意备案"), ("reject", "不予备案"), ("return", "退回修改")]},
    DECISION[1],
]
PHONE = {"format": "phone"}
APPLY_FIELDS = [
    {"id": "group_name", "label": "公众号名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "group_kind", "label": "公众号类别", "type": "enum", "required": True,
     "options": [("wechat_official_account", "微信公众号"), ("qq_official_account", "QQ公众号")]},
    {"id": "open_date", "label": "开通日期", "type": "date", "required": True},
    {"id": "followers", "label": "关注量", "type": "long", "required": True, "constraints": {"min": 0, "max": 100000000}},
    {"id": "real_name_verified", "label": "是否已实名认证", "type": "boolean", "default": "false"},
    {"id": "registered_name", "label": "认证实名或注册账号名", "required": True, "constraints": {"maxlength": 100}},
    {"id": "function", "label": "公众号功能定位", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
    {"id": "first_responsible_name", "label": "第一责任人姓名", "required": True, "constraints": {"maxlength": 30}},
    {"id": "first_responsible_title", "label": "第一责任人职务职称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "first_responsible_mobile", "label": "第一责任人移动电话", "required": True, "props": PHONE},
    {"id": "first_responsible_landline", "label": "第一责任人固定电话", "props": PHONE},
    {"id": "admin_name", "label": "管理员姓名", "required": True, "constraints": {"maxlength": 30}},
    {"id": "admin_title", "label": "管理员职务职称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "admin_mobile", "label": "管理员移动电话", "required": True, "props": PHONE},
    {"id": "admin_landline", "label": "管理员固定电话", "props": PHONE},
    {"id": "admin_email", "label": "管理员Email", "required": True, "props": {"format": "email"}, "constraints": {"maxlength": 120}},
    {"id": "posting_rules", "label": "信息发布审核规则", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

apply = Node("apply", "userTask", "填写公众号备案登记表", lane=0, col=1, role="applicant", due="P5WD", form_key="account_filing", fields=APPLY_FIELDS)
unit_review = Node("unit_head_review", "userTask", "单位(部门)负责人签字", lane=1, col=3, role="unit_head", due="P3WD", form_key="decision", fields=DECISION)
propaganda_review = Node("propaganda_review", "userTask", "党委宣传部备案", lane=2, col=5, role="propaganda", due="P3WD", form_key="decision", fields=FILING_DECISION)

NODES = [
    Node("start", "startEvent", "申请公众号备案", lane=0, col=0),
    apply,
    Node("check_duplicates", "serviceTask", "重复账号检查", lane=1, col=2, topic="check_duplicates"),
    unit_review,
    Node("gw_unit_decision", "exclusiveGateway", "负责人意见", lane=1, col=4, default="Flow_unit_approve"),
    propaganda_review,
    Node("gw_filing_decision", "exclusiveGateway", "备案意见", lane=2, col=6, default="Flow_filing_approve"),
    Node("file_account", "serviceTask", "登记备案并生成备案登记表", lane=2, col=7, topic="file_account"),
    Node("end_filed", "endEvent", "已备案", lane=2, col=8, properties={"outcome": "completed"}),
    Node("end_rejected", "endEvent", "未予备案", lane=1, col=8, properties={"outcome": "rejected"}),
]
FLOWS = [
    Flow("Flow_start", "start", "apply"),
    Flow("Flow_submit", "apply", "check_duplicates"),
    Flow("Flow_checked", "check_duplicates", "unit_head_review"),
    Flow("Flow_unit_done", "unit_head_review", "gw_unit_decision"),
    Flow("Flow_unit_approve", "gw_unit_decision", "propaganda_review", "同意"),
    Flow("Flow_unit_return", "gw_unit_decision", "apply", "退回修改", 'decision == "return"'),
    Flow("Flow_unit_reject", "gw_unit_decision", "end_rejected", "不同意", 'decision == "reject"'),
    Flow("Flow_filing_done", "propaganda_review", "gw_filing_decision"),
    Flow("Flow_filing_approve", "gw_filing_decision", "file_account", "同意备案"),
    Flow("Flow_filing_return", "gw_filing_decision", "apply", "退回修改", 'decision == "return"'),
    Flow("Flow_filing_reject", "gw_filing_decision", "end_rejected", "不予备案", 'decision == "reject"', route="up"),
    Flow("Flow_filed", "file_account", "end_filed"),
]
for host, remind, esc, to in [(apply, "P3WD", "P5WD", "unit_head"), (unit_review, "P2WD", "P3WD", "party_org"),
                              (propaganda_review, "P2WD", "P3WD", "party_office")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
