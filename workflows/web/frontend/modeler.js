/* The process owners' BPMN editor: bpmn-js Modeler + the Camunda Platform properties panel (camunda-bpmn-moddle),
   plus groupgov's own groups: the role of a user task (or of every user task in a lane) picked from the role
   catalogue, and the handler of a service task picked from the registered handlers.

   Bundled by esbuild (npm run build:modeler) into /static/vendor/modeler.js + modeler.css. The page
   (templates/web/admin/modeler.html) provides #modeler[data-key, data-version, data-csrf]; everything else comes
   from the JSON API: GET /api/modeler/catalogue, GET /api/modeler/{key}/diagram, POST .../validate, POST .../deploy.
   Saving validates first (the same checks as `groupgov validate`); invalid elements are marked on the canvas. */

import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
  useService,
} from "bpmn-js-properties-panel";
import { SelectEntry, isSelectEntryEdited } from "@bpmn-io/properties-panel";
import { jsx } from "@bpmn-io/properties-panel/preact/jsx-runtime";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import { is, getBusinessObject } from "bpmn-js/lib/util/ModelUtil";

import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";

import { translateModule } from "./modeler-zh.js";

const CATALOGUE = { roles: [], handlers: [] };

/* ---------------------------------------------------------------- groupgov's properties */

function roleOptions() {
  return [{ value: "", label: "（请选择）" }].concat(
    CATALOGUE.roles.map((r) => ({ value: r.code, label: r.label + "（" + r.code + "）" })));
}

function UserTaskRole(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  return jsx(SelectEntry, {
    element, id, label: "处理角色",
    getValue: () => getBusinessObject(element).get("camunda:candidateGroups") || "",
    setValue: (value) => modeling.updateProperties(element, { "camunda:candidateGroups": value || undefined }),
    getOptions: roleOptions,
  });
}

function laneTasks(element, elementRegistry) {
  const refs = getBusinessObject(element).get("flowNodeRef") || [];
  return refs.filter((bo) => is(bo, "bpmn:UserTask")).map((bo) => elementRegistry.get(bo.id)).filter(Boolean);
}

function LaneRole(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const elementRegistry = useService("elementRegistry");
  return jsx(SelectEntry, {
    element, id, label: "本泳道用户任务的处理角色",
    getValue: () => {
      const roles = new Set(laneTasks(element, elementRegistry).map((t) => getBusinessObject(t).get("camunda:candidateGroups") || ""));
      return roles.size === 1 ? [...roles][0] : "";
    },
    setValue: (value) => laneTasks(element, elementRegistry).forEach((task) =>
      modeling.updateProperties(task, { "camunda:candidateGroups": value || undefined })),
    getOptions: roleOptions,
  });
}

function ServiceHandler(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  return jsx(SelectEntry, {
    element, id, label: "处理程序",
    getValue: () => getBusinessObject(element).get("camunda:topic") || "",
    setValue: (value) => modeling.updateProperties(element, { "camunda:type": value ? "external" : undefined, "camunda:topic": value || undefined }),
    getOptions: () => [{ value: "", label: "（请选择）" }].concat(
      CATALOGUE.handlers.map((h) => ({ value: h.name, label: h.title + "（" + h.name + "）" }))),
  });
}

function GroupgovPropertiesProvider(propertiesPanel) {
  this.getGroups = function (element) {
    return function (groups) {
      let group = null;
      if (is(element, "bpmn:UserTask")) {
        group = { id: "groupgov-role", label: "办理人（系统角色）", entries: [{ id: "groupgov-candidate-role", component: UserTaskRole, isEdited: isSelectEntryEdited }] };
      } else if (is(element, "bpmn:Lane")) {
        group = { id: "groupgov-lane-role", label: "泳道角色", entries: [{ id: "groupgov-lane-role-select", component: LaneRole, isEdited: isSelectEntryEdited }] };
      } else if (is(element, "bpmn:ServiceTask")) {
        group = { id: "groupgov-handler", label: "处理程序（已注册）", entries: [{ id: "groupgov-topic", component: ServiceHandler, isEdited: isSelectEntryEdited }] };
      }
      if (group) { groups.splice(Math.min(1, groups.length), 0, group); }
      return groups;
    };
  };
  propertiesPanel.registerProvider(400, this); // after getGroups exists: registering checks for it
}
GroupgovPropertiesProvider.$inject = ["propertiesPanel"];
const groupgovModule = { __init__: ["groupgovPropertiesProvider"], groupgovPropertiesProvider: ["type", GroupgovPropertiesProvider] };

/* ---------------------------------------------------------------- the page */

function api(root, method, url, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) { headers["Content-Type"] = "application/json"; headers["X-CSRF-Token"] = root.dataset.csrf; }
  return fetch(url, { method, credentials: "same-origin", headers, body: body === undefined ? undefined : JSON.stringify(body) })
    .then((r) => r.json().catch(() => ({})).then((data) => ({ ok: r.ok, status: r.status, data })));
}

function show(box, kind, text, errors, onPick) {
  box.className = "flash " + kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
  box.hidden = false;
  if (errors && errors.length) {
    const list = document.createElement("ul");
    list.className = "gg-errors";
    errors.forEach((e) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = "[" + e.element_id + "] " + e.message;
      b.dataset.element = e.element_id;
      b.addEventListener("click", () => onPick(e.element_id));
      li.appendChild(b);
      list.appendChild(li);
    });
    box.appendChild(list);
  }
}

function start() {
  const root = document.getElementById("modeler");
  if (!root) { return; }
  const key = root.dataset.key;
  const status = document.getElementById("modeler-status");
  const modeler = new BpmnModeler({
    container: "#modeler-canvas",
    propertiesPanel: { parent: "#modeler-properties" },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, groupgovModule, translateModule],
    moddleExtensions: { camunda: camundaModdle },
  });
  window.groupgovModeler = modeler; // for the browser tests and the console
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  let marked = [];

  function unmark() {
    marked.forEach((id) => { if (registry.get(id)) { canvas.removeMarker(id, "gg-invalid"); } });
    modeler.get("overlays").remove({ type: "gg-invalid" });
    marked = [];
  }
  function pick(id) {
    const el = registry.get(id);
    if (el) { modeler.get("selection").select(el); canvas.scrollToElement(el); }
  }
  function mark(errors) {
    unmark();
    errors.forEach((e) => {
      if (!registry.get(e.element_id)) { return; }
      canvas.addMarker(e.element_id, "gg-invalid");
      modeler.get("overlays").add(e.element_id, "gg-invalid", { position: { top: -12, right: 12 }, html: '<span class="gg-invalid-badge" title="有错误">!</span>' });
      marked.push(e.element_id);
    });
    root.dataset.invalid = marked.join(" ");
  }
  function xml() { return modeler.saveXML({ format: true }).then((r) => r.xml); }

  function validate() {
    return xml().then((text) => api(root, "POST", "/api/modeler/" + key + "/validate", { xml: text })).then((res) => {
      if (!res.ok) { show(status, "error", "校验失败：" + (res.data.detail || res.status)); return false; }
      mark(res.data.errors);
      if (res.data.valid) { show(status, "ok", "校验通过，可以部署。"); return true; }
      if (marked.length) { pick(marked[0]); }
      show(status, "error", "流程图有 " + res.data.errors.length + " 处问题，已在图中标出：", res.data.errors, pick);
      return false;
    });
  }

  function deploy() {
    return xml().then((text) => api(root, "POST", "/api/modeler/" + key + "/deploy", { xml: text })).then((res) => {
      if (res.ok) {
        unmark();
        root.dataset.version = res.data.version;
        document.getElementById("modeler-version").textContent = "第 " + res.data.version + " 版";
        show(status, "ok", res.data.created ? "已部署为第 " + res.data.version + " 版：新发起的流程使用新版本，进行中的流程仍按原版本运行。"
          : "内容与当前版本（第 " + res.data.version + " 版）相同，未生成新版本。");
        return;
      }
      const errors = Array.isArray(res.data.detail) ? res.data.detail : [];
      mark(errors);
      if (marked.length) { pick(marked[0]); }
      show(status, "error", errors.length ? "未部署：流程图有 " + errors.length + " 处问题，已在图中标出：" : "未部署：" + (res.data.detail || res.status), errors, pick);
    });
  }

  document.getElementById("modeler-validate").addEventListener("click", () => validate());
  document.getElementById("modeler-deploy").addEventListener("click", () => deploy());
  document.getElementById("modeler-download").addEventListener("click", () => xml().then((text) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "application/xml" }));
    a.download = key + ".bpmn";
    a.click();
  }));
  document.getElementById("modeler-upload").addEventListener("change", (ev) => {
    const file = ev.target.files[0];
    if (!file) { return; }
    file.text().then((text) => modeler.importXML(text)).then(() => {
      canvas.zoom("fit-viewport");
      show(status, "info", "已载入 " + file.name + "：检查后点击「部署为新版本」。");
    }).catch((e) => show(status, "error", "无法打开该文件：" + e.message));
  });

  const version = root.dataset.version ? "?version=" + root.dataset.version : "";
  Promise.all([api(root, "GET", "/api/modeler/catalogue"), api(root, "GET", "/api/modeler/" + key + "/diagram" + version)])
    .then(([cat, dia]) => {
      if (!cat.ok || !dia.ok) { throw new Error((dia.data.detail || cat.data.detail || "HTTP " + dia.status)); }
      CATALOGUE.roles = cat.data.roles;
      CATALOGUE.handlers = cat.data.handlers;
      return modeler.importXML(dia.data.xml);
    })
    .then(() => { canvas.zoom("fit-viewport"); root.dataset.ready = "1"; })
    .catch((e) => show(status, "error", "流程图加载失败：" + e.message));
}

if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
