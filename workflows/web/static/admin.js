/* Dashboard diagrams (through bpmn-view.js): #admin-diagram[data-src][data-mode].
   mode "instance": GET data-src -> {xml, completed, current, incidents, status}; completed steps green, current
   orange with a token badge, failed steps red.  mode "counts": GET data-src -> {xml, counts: {element: {open,
   overdue, error}}}; each step gets badges with its open tasks, how many of them are overdue, failed instances. */
(function () {
  "use strict";
  var box = document.getElementById("admin-diagram");
  if (!box) { return; }
  function badge(cls, text, title) {
    return '<span class="gg-count ' + cls + '" title="' + title + '">' + text + "</span>";
  }

  window.ggDiagram.show(box, "流程图组件未安装（npm ci）。", "流程图加载失败（{error}）。", function (viewer, d) {
    var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry"), overlays = viewer.get("overlays");
    canvas.zoom("fit-viewport");
    var has = function (id) { return !!registry.get(id); };
    if (box.getAttribute("data-mode") === "instance") {
      var failed = new Set((d.incidents || []).filter(function (i) { return !i.resolved; }).map(function (i) { return i.element; }));
      d.completed.filter(has).forEach(function (id) { canvas.addMarker(id, "gg-done"); });
      d.current.filter(has).forEach(function (id) {
        if (failed.has(id) && d.status === "error") {
          canvas.addMarker(id, "gg-failed");
          overlays.add(id, "gg-token", { position: { top: -12, right: 12 }, html: badge("failed", "!", "故障") });
        } else {
          canvas.addMarker(id, "gg-current");
          overlays.add(id, "gg-token", { position: { top: -12, right: 12 }, html: badge("token", "●", "当前所在") });
        }
      });
      window.ggDiagram.markPath(canvas, registry, d.completed, d.current);
    } else {
      Object.keys(d.counts).filter(has).forEach(function (id) {
        var n = d.counts[id], html = "";
        if (n.open) { html += badge("open", n.open, "待办 " + n.open); }
        if (n.overdue) { html += badge("late", n.overdue, "其中逾期 " + n.overdue); }
        if (n.error) { html += badge("failed", n.error, "故障实例 " + n.error); canvas.addMarker(id, "gg-failed"); }
        if (html) {
          overlays.add(id, "gg-count", { position: { top: -14, right: 14 }, html: '<span class="gg-counts" data-element="' + id + '">' + html + "</span>" });
          if (n.open) { canvas.addMarker(id, "gg-current"); }
        }
      });
    }
  });
}());
