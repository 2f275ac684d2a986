# Scaffold description of bpmn/cleanup_refiling.bpmn (see deployments/tools/bpmn_scaffold.py).
# The art. 7 cleanup and re-filing campaign: the Party Office starts one campaign with a deadline; every unit gets its
# own part, an instance of bpmn/cleanup_unit.bpmn started by the service task open_parts (so each part's tasks are
# routed to that unit's statistician, head and Party secretary). The campaign then waits in track_campaign, which the
# system completes when the last unit part finishes (the administrator may also complete it to re-check progress).
# Reminders before and escalation after the deadline: workflows/services/periodic.py::campaign_deadlines.
PROCESS_ID = "cleanup_refiling"
PROCESS_NAME = "工作群组清理规范与重新备案"
LANES = [("党委办公室", "applicant"), ("各单位（单位清理备案子流程）", "")]

LAUNCH_FIELDS = [
    {"id": "campaign_name", "label": "清理规范工作名称", "required": True, "constraints": {"maxlength": 60}},
    {"id": "deadline", "label": "各单位完成截止日期", "type": "date", "required": True},
    {"id": "unit_names", "label": "参加单位（每行一个单位名称；留空为全部单位）", "props": {"widget": "textarea"}, "constraints": {"maxlength": 5000}},
    {"id": "notice", "label": "工作要求", "props": {"widget": "textarea"}, "constraints": {"maxlength": 2000}},
]
TRACK_FIELDS = [
    {"id": "note", "label": "备注", "props": {"widget": "textarea"}, "constraints": {"maxlength": 500}},
]

launch = Node("launch", "userTask", "部署清理规范工作", lane=0, col=1, role="applicant", due="P3WD", form_key="cleanup_campaign", fields=LAUNCH_FIELDS)
track = Node("track_campaign", "userTask", "跟踪各单位清理进度", lane=0, col=4, role="applicant", due="P20WD", form_key="cleanup_track", fields=TRACK_FIELDS)

NODES = [
    Node("start", "startEvent", "开展清理规范", lane=0, col=0),
    launch,
    Node("open_parts", "serviceTask", "为每个单位发起清理备案", lane=1, col=2, topic="cleanup_open_parts"),
    Node("gw_launch_ok", "exclusiveGateway", "部署有效？", lane=1, col=3, default="Flow_launched"),
    track,
    Node("check_parts", "serviceTask", "汇总各单位进度", lane=1, col=5, topic="cleanup_check_parts"),
    Node("gw_all_done", "exclusiveGateway", "全部单位完成？", lane=1, col=6, default="Flow_not_yet"),
    Node("report", "serviceTask", "生成清理规范汇总表", lane=0, col=7, topic="cleanup_report"),
    Node("end", "endEvent", "清理规范完成", lane=0, col=8, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "launch"),
    Flow("Flow_launch", "launch", "open_parts"),
    Flow("Flow_opened", "open_parts", "gw_launch_ok"),
    Flow("Flow_launched", "gw_launch_ok", "track_campaign", "已发起"),
    Flow("Flow_launch_bad", "gw_launch_ok", "launch", "截止日期有误", "bool(launch_error)"),
    Flow("Flow_tracked", "track_campaign", "check_parts"),
    Flow("Flow_checked", "check_parts", "gw_all_done"),
    Flow("Flow_not_yet", "gw_all_done", "track_campaign", "尚未完成"),
    Flow("Flow_all_done", "gw_all_done", "report", "全部完成", "all_done == True"),
    Flow("Flow_reported", "report", "end"),
]
for host, remind, esc, to in [(launch, "P2WD", "P3WD", "party_office"), (track, "P15WD", "P20WD", "discipline")]:
    n, f = reminder_and_escalation(host, remind, esc, to)
    NODES += n
    FLOWS += f
