# Scaffold description of tests/data/timer_probe.bpmn (python3 deployments/tools/bpmn_scaffold.py THIS OUT):
# a user task whose interrupting boundary timer moves the instance on after 20 seconds.
PROCESS_ID = "timer_probe"
PROCESS_NAME = "定时器探针（测试用）"
LANES = [("申请人", "applicant")]

wait = Node("wait_here", "userTask", "等待定时器", lane=0, col=1, role="applicant", due="P3WD")
NODES = [
    Node("start", "startEvent", "开始", lane=0, col=0),
    wait,
    Node("wait_timeout", "boundaryEvent", "20秒后", attached_to="wait_here", timer="PT20S", interrupting=True),
    Node("after_timer", "userTask", "定时器已触发", lane=0, col=3, role="applicant", due="P3WD"),
    Node("end", "endEvent", "结束", lane=0, col=4, properties={"outcome": "completed"}),
]
FLOWS = [
    Flow("Flow_start", "start", "wait_here"),
    Flow("Flow_done", "wait_here", "end"),
    Flow("Flow_timeout", "wait_timeout", "after_timer"),
    Flow("Flow_after", "after_timer", "end"),
]
