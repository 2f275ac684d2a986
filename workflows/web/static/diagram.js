/* Draws the instance on its BPMN diagram (bpmn-js NavigatedViewer from node_modules) and marks the
   completed (green) and current (orange) steps. Data: GET data-src → {xml, completed, current}. */
(function () {
  "use strict";
  var el = document.getElementById("diagram");
  if (!el) { return; }
  if (!window.BpmnJS) { el.textContent = "流程图组件未安装（npm ci），请参看下方办理记录。"; return; }
  fetch(el.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
    .then(function (d) {
      el.textContent = "";
      var viewer = new window.BpmnJS({ container: el });
      return viewer.importXML(d.xml).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var done = new Set(d.completed), current = new Set(d.current);
        canvas.zoom("fit-viewport");
        d.completed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "gg-done"); } });
        d.current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "gg-current"); } });
        registry.filter(function (e) { return e.waypoints && e.source && e.target; }).forEach(function (c) {
          if (done.has(c.source.id) && (done.has(c.target.id) || current.has(c.target.id))) { canvas.addMarker(c.id, "gg-done"); }
        });
        el.setAttribute("data-ready", "1");
      });
    })
    .catch(function (e) { el.textContent = "流程图加载失败（" + e.message + "），请参看下方办理记录。"; });
}());
