# Scaffold description of bpmn/account_deregistration.bpmn (see deployments/tools/bpmn_scaffold.py).
# Inactive account deregistration (measures art. 10): an official account not updated for two consecutive weeks is
# deregistered. Started by the periodic sweep (origin = periodic, data group_id) or by its owner. The owner explains
# (the Propaganda Dept accepts or rejects the explanation) or confirms the deregistration; the registry follows.
PROCESS_ID = "account_deregistration"
PROCESS_NAME = "公众号连续两周未更新注销"
LANES = [("群主/公众号创建人", "owner"), ("党委宣传部", "propaganda")]

REQUEST_FIELDS = [
    {"id": "group_name", "label": "公众号名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "note", "label": "申请说明", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]
RESPOND_FIELDS = [
    {"id": "response", "label": "处理方式", "type": "enum", "required": True,
     "options": [("explain", "说明情况，申请保留"), ("deregister", "确认注销")]},
    {"id": "explanation", "label": "情况说明（未更新原因及今后更新安排）", "props": {"widget": "textarea", "required_when": 'response == "explain"'},
     "constraints": {"maxlength": 1000}},
]
REVIEW_FIELDS = [
    {"id": "decision", "label": "审核意见", "type": "enum", "required": True,
     "options": [("approve", "接受说明，保留公众号"), ("reject", "不接受，予以注销"), ("return", "退回补充说明")]},
    {"id": "opinion", "label": "意见说明", "props": {"widget": "textarea", "required_when": 'decision != "approve"'}, "constraints": {"maxlength": 500}},
]

request = Node("request", "userTask", "申请注销公众号", lane=0, col=2, role="applicant", due="P3WD", form_key="account_deregistration", fields=REQUEST_FIELDS)
respond = Node("owner_respond", "userTask", "说明未更新原因或确认注销", lane=0, col=5, role="owner", due="P5WD", form_key="account_idle_response", fields=RESPOND_FIELDS)
review = Node("propaganda_review", "userTask", "党委宣传部审核情况说明", lane=1, col=7, role="propaganda", due="P3WD", form_key="decision", fields=REVIEW_FIELDS)

NODES = [
    Node("start", "startEvent", "公众号连续两周未更新", lane=0, col=0),
    Node("gw_origin", "exclusiveGateway", "自动发起？", lane=0, col=1, default="Flow_manual"),
    request,
    Node("load_account", "serviceTask", "读取公众号台账", lane=1, col=3, topic="account_idle_load"),
    Node("gw_account_ok", "exclusiveGateway", "公众号有效？", lane=1, col=4, default="Flow_account_ok"),
    respond,
    Node("gw_response", "exclusiveGateway", "处理方式", lane=0, col=6, default="Flow_confirmed"),
    review,
    Node("gw_review", "exclusiveGateway", "审核意见", lane=1, col=8, default="Flow_accepted"),
    Node("deregister", "serviceTask", "台账登记已注销", lane=0, col=9, topic="account_deregister"),
    Node("end_deregistered", "endEvent", "已注销", lane=0, col=10, properties={"outcome": "completed"}),
    Node("keep_account", "serviceTask", "台账记录保留", lane=1, col=9, topic="account_keep"),
    Node("end_kept", "endEvent", "保留", lane=1, col=10, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "gw_origin"),
    Flow("Flow_manual", "gw_origin", "request", "群主申请"),
    Flow("Flow_periodic", "gw_origin", "load_account", "自动发起", "bool(group_id)", route="down"),
    Flow("Flow_requested", "request", "load_account"),
    Flow("Flow_loaded", "load_account", "gw_account_ok"),
    Flow("Flow_account_ok", "gw_account_ok", "owner_respond", "有效"),
    Flow("Flow_account_bad", "gw_account_ok", "request", "公众号有误", "bool(group_error)"),
    Flow("Flow_responded", "owner_respond", "gw_response"),
    Flow("Flow_confirmed", "gw_response", "deregister", "确认注销"),
    Flow("Flow_explained", "gw_response", "propaganda_review", "说明情况", 'response == "explain"'),
    Flow("Flow_reviewed", "propaganda_review", "gw_review"),
    Flow("Flow_accepted", "gw_review", "keep_account", "接受说明"),
    Flow("Flow_not_accepted", "gw_review", "deregister", "不接受", 'decision == "reject"'),
    Flow("Flow_review_return", "gw_review", "owner_respond", "补充说明", 'decision == "return"'),
    Flow("Flow_deregistered", "deregister", "end_deregistered"),
    Flow("Flow_kept", "keep_account", "end_kept"),
]
for host, remind, esc, to in [(request, "P2WD", "P3WD", "propaganda"), (respond, "P3WD", "P5WD", "propaganda"),
                              (review, "P2WD", "P3WD", "party_office")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
