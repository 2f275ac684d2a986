# Scaffold description of bpmn/owner_change.bpmn (see deployments/tools/bpmn_scaffold.py).
# Owner or account creator change (measures art. 10): started by hand, or by the org import when the owner is
# transferred or leaves (origin = org_import: the unit head names the new owner straight away). The unit head names
# and confirms the new owner; the change is filed with the secondary Party org (accounts: the Propaganda Dept).
# Decisions (interface.md: every decision task offers approve / reject / return):
#   unit_head_confirm  approve -> check the new owner and file; reject -> ends, nothing changes;
#                      return -> back to whoever names the new owner: by hand, the applicant's form (apply);
#                      started by the org import (no applicant to ask), the unit's naming task name_new_owner
#                      (any holder of the unit_head role names someone), then the confirmation again.
#   party_org_file / propaganda_file  approve -> registry updated; reject -> ends; return -> unit_head_confirm.
PROCESS_ID = "owner_change"
PROCESS_NAME = "群主（公众号创建人）变更备案"
LANES = [("申请人", "applicant"), ("单位(部门)负责人", "unit_head"), ("二级党组织", "party_org"), ("党委宣传部", "propaganda")]

OPINION = {"id": "opinion", "label": "意见说明", "type": "string", "props": {"widget": "textarea", "required_when": 'decision != "approve"'},
           "constraints": {"maxlength": 500}}
FILING = [
    {"id": "decision", "label": "备案意见", "type": "enum", "required": True,
     "options": [("approve", "同意备案"), ("reject", "不予备案"), ("return", "退回单位重新确认")]},
    OPINION,
]
APPLY_FIELDS = [
    {"id": "group_name", "label": "工作群组或公众号名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "reason", "label": "变更原因", "type": "enum", "required": True,
     "options": [("transfer", "群主工作调动"), ("departure", "群主离职"), ("job_change", "群主工作变更"), ("other", "其他")]},
    {"id": "new_owner_username", "label": "拟任新群主（用户名）", "constraints": {"maxlength": 64}},
    {"id": "note", "label": "情况说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]
CONFIRM_FIELDS = [
    {"id": "new_owner_username", "label": "新群主（用户名）", "required": True, "constraints": {"maxlength": 64}},
    {"id": "decision", "label": "单位意见", "type": "enum", "required": True,
     "options": [("approve", "确认变更"), ("reject", "不同意变更（流程结束，群主不变）"), ("return", "退回重新提名新群主")]},
    OPINION,
]
NAME_FIELDS = [
    {"id": "new_owner_username", "label": "新群主（用户名）", "required": True, "constraints": {"maxlength": 64}},
    {"id": "note", "label": "提名说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

apply = Node("apply", "userTask", "填写群主变更申请", lane=0, col=2, role="applicant", due="P5WD", form_key="owner_change", fields=APPLY_FIELDS)
confirm = Node("unit_head_confirm", "userTask", "单位确认新群主", lane=1, col=5, role="unit_head", due="P3WD", form_key="owner_confirm", fields=CONFIRM_FIELDS)
party_file = Node("party_org_file", "userTask", "二级党组织备案", lane=2, col=10, role="party_org", due="P3WD", form_key="decision", fields=FILING)
name_owner = Node("name_new_owner", "userTask", "单位重新提名新群主", lane=1, col=10, role="unit_head", due="P3WD", form_key="owner_name", fields=NAME_FIELDS)
propaganda_file = Node("propaganda_file", "userTask", "党委宣传部备案（公众号）", lane=3, col=10, role="propaganda", due="P3WD", form_key="decision", fields=FILING)

NODES = [
    Node("start", "startEvent", "群主需要变更", lane=0, col=0),
    Node("gw_origin", "exclusiveGateway", "人员变动自动发起？", lane=0, col=1, default="Flow_manual"),
    apply,
    Node("load_group", "serviceTask", "读取群组台账", lane=1, col=3, topic="owner_change_load_group"),
    Node("gw_group_ok", "exclusiveGateway", "群组有效？", lane=1, col=4, default="Flow_group_ok"),
    confirm,
    Node("gw_unit_decision", "exclusiveGateway", "单位意见", lane=1, col=6, default="Flow_unit_approve"),
    Node("gw_return_to", "exclusiveGateway", "退回给谁？", lane=1, col=6, row_offset=1, default="Flow_return_applicant"),
    Node("check_new_owner", "serviceTask", "核对新群主", lane=1, col=7, topic="owner_change_check_new_owner"),
    Node("gw_owner_ok", "exclusiveGateway", "新群主有效？", lane=1, col=8, default="Flow_owner_ok"),
    name_owner,
    Node("gw_kind", "exclusiveGateway", "公众号？", lane=2, col=9, default="Flow_to_party"),
    party_file,
    propaganda_file,
    Node("gw_filing_decision", "exclusiveGateway", "备案意见", lane=2, col=11, default="Flow_filing_approve"),
    Node("change_owner", "serviceTask", "变更台账中的群主", lane=2, col=12, topic="owner_change_apply"),
    Node("end_changed", "endEvent", "已变更备案", lane=2, col=13, properties={"outcome": "completed"}),
    Node("end_rejected", "endEvent", "未变更", lane=0, col=14, properties={"outcome": "rejected"}),
]
FLOWS = [
    Flow("Flow_start", "start", "gw_origin"),
    Flow("Flow_manual", "gw_origin", "apply", "人工申请"),
    Flow("Flow_from_import", "gw_origin", "load_group", "人员变动", 'origin == "org_import"', route="down"),
    Flow("Flow_submit", "apply", "load_group"),
    Flow("Flow_loaded", "load_group", "gw_group_ok"),
    Flow("Flow_group_ok", "gw_group_ok", "unit_head_confirm", "有效"),
    Flow("Flow_group_bad", "gw_group_ok", "apply", "群组有误", "bool(group_error)"),
    Flow("Flow_unit_done", "unit_head_confirm", "gw_unit_decision"),
    Flow("Flow_unit_approve", "gw_unit_decision", "check_new_owner", "确认变更"),
    Flow("Flow_unit_reject", "gw_unit_decision", "end_rejected", "不同意", 'decision == "reject"', route="up"),
    Flow("Flow_unit_return", "gw_unit_decision", "gw_return_to", "退回", 'decision == "return"'),
    Flow("Flow_return_applicant", "gw_return_to", "apply", "人工申请：退回申请人重新提名", route="under"),
    Flow("Flow_return_unit", "gw_return_to", "name_new_owner", "人员变动发起：单位重新提名", 'origin == "org_import"', route="under"),
    Flow("Flow_named", "name_new_owner", "unit_head_confirm"),
    Flow("Flow_checked", "check_new_owner", "gw_owner_ok"),
    Flow("Flow_owner_ok", "gw_owner_ok", "gw_kind", "有效"),
    Flow("Flow_owner_bad", "gw_owner_ok", "unit_head_confirm", "新群主有误", "bool(owner_error)"),
    Flow("Flow_to_party", "gw_kind", "party_org_file", "工作群组"),
    Flow("Flow_to_propaganda", "gw_kind", "propaganda_file", "公众号", "is_account == True"),
    Flow("Flow_party_done", "party_org_file", "gw_filing_decision"),
    Flow("Flow_propaganda_done", "propaganda_file", "gw_filing_decision"),
    Flow("Flow_filing_approve", "gw_filing_decision", "change_owner", "同意备案"),
    Flow("Flow_filing_return", "gw_filing_decision", "unit_head_confirm", "退回", 'decision == "return"'),
    Flow("Flow_filing_reject", "gw_filing_decision", "end_rejected", "不予备案", 'decision == "reject"', route="up"),
    Flow("Flow_changed", "change_owner", "end_changed"),
]
for host, remind, esc, to in [(apply, "P3WD", "P5WD", "unit_head"), (confirm, "P2WD", "P3WD", "party_org"), (name_owner, "P2WD", "P3WD", "party_org"),
                              (party_file, "P2WD", "P3WD", "party_office"), (propaganda_file, "P2WD", "P3WD", "party_office")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
