/* Chinese labels for the bpmn-js palette, context pad and the properties panel (bpmn-js `translate` service).
   Strings not listed stay in English. */

const ZH = {
  // palette and context pad
  "Activate hand tool": "抓手工具", "Activate lasso tool": "框选工具", "Activate create/remove space tool": "插入/删除空白",
  "Activate global connect tool": "连线工具", "Create start event": "开始事件", "Create intermediate/boundary event": "中间/边界事件",
  "Create end event": "结束事件", "Create gateway": "网关", "Create task": "任务", "Create data object reference": "数据对象",
  "Create data store reference": "数据存储", "Create expanded sub-process": "子流程", "Create pool/participant": "池/参与者",
  "Create group": "分组", "Append task": "追加任务", "Append end event": "追加结束事件", "Append gateway": "追加网关",
  "Append intermediate/boundary event": "追加中间事件", "Change element": "更改类型", "Change type": "更改类型", "Delete": "删除",
  "Connect using sequence/message flow or association": "连线", "Connect to other element": "连线", "Add text annotation": "添加注释",
  "Add lane above": "在上方添加泳道", "Add lane below": "在下方添加泳道", "Divide into two lanes": "拆分为两个泳道",
  "Divide into three lanes": "拆分为三个泳道", "Append element": "追加元素",
  // properties panel
  "General": "常规", "Name": "名称", "ID": "编号", "Documentation": "说明", "Element documentation": "元素说明",
  "Process documentation": "流程说明", "Timer": "定时器", "Type": "类型", "Value": "值", "Date": "日期", "Duration": "时长",
  "Cycle": "循环", "<none>": "（无）", "Implementation": "实现方式", "External": "外部任务", "Topic": "Topic（处理程序名）",
  "Priority": "优先级", "User assignment": "办理人", "Assignee": "指定办理人", "Candidate groups": "候选组（角色代码）",
  "Candidate users": "候选人", "Due date": "办理期限", "Follow up date": "跟进日期", "Forms": "表单", "Form key": "表单键",
  "Form fields": "表单字段", "Inputs": "输入参数", "Outputs": "输出参数", "Extension properties": "扩展属性",
  "Execution listeners": "执行监听器", "Task listeners": "任务监听器", "Condition": "条件", "Condition type": "条件类型",
  "Expression": "表达式", "Script": "脚本", "Asynchronous continuations": "异步", "Before": "之前", "After": "之后",
  "Exclusive": "排他", "Job execution": "作业执行", "Retry time cycle": "重试周期", "History cleanup": "历史清理",
  "Time to live": "保留期限", "Tasklist": "任务列表", "Startable": "可启动", "Version tag": "版本标签", "Executable": "可执行",
  "Interrupting": "中断任务", "Multi-instance": "多实例", "Loop cardinality": "循环次数", "Default": "默认",
  "Label": "标签", "Local variable name": "局部变量名", "Assignment type": "赋值类型", "Create": "新建", "Remove": "删除",
  "Process": "流程", "Participant": "参与者", "Candidate starter": "可发起人", "Data": "数据",
  // element types (panel header)
  "User Task": "用户任务", "Service Task": "服务任务", "Task": "任务", "Lane": "泳道", "Start Event": "开始事件",
  "End Event": "结束事件", "Exclusive Gateway": "排他网关", "Parallel Gateway": "并行网关", "Inclusive Gateway": "包容网关",
  "Sequence Flow": "连线", "Timer Boundary Event": "定时边界事件", "Timer Boundary Event (non-interrupting)": "定时边界事件（非中断）",
  "Timer Intermediate Catch Event": "定时中间事件", "Timer Start Event": "定时开始事件", "Sub Process": "子流程",
  "Call Activity": "调用活动", "Text Annotation": "注释", "External task": "外部任务", "Errors": "错误", "Field injections": "字段注入",
  "Connectors": "连接器", "Variable name": "变量名", "Result variable": "结果变量", "Form type": "表单类型", "Message": "消息", "Signal": "信号",
};

export function translate(template, replacements) {
  const values = replacements || {};
  return (ZH[template] || template).replace(/{([^}]+)}/g, (_, key) => (key in values ? values[key] : "{" + key + "}"));
}

export const translateModule = { translate: ["value", translate] };
