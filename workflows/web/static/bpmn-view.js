/* What the staff and the dashboard diagrams share (bpmn-js NavigatedViewer from node_modules):
   ggDiagram.show(box, unavailable, failed, draw): GET box[data-src] -> {xml, ...}, draw the diagram in the box,
   call draw(viewer, data, holder), then mark the box data-ready="1"; without bpmn-js or on an error the box says
   why (unavailable / failed + the error).
   ggDiagram.markPath(canvas, registry, completed, current): the connections already travelled, green. */
(function () {
  "use strict";
  function show(box, unavailable, failed, draw) {
    if (!window.BpmnJS) { box.textContent = unavailable; return; }
    fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (d) {
        box.textContent = "";
        var holder = document.createElement("div");
        box.appendChild(holder);
        var viewer = new window.BpmnJS({ container: holder });
        return viewer.importXML(d.xml).then(function () {
          draw(viewer, d, holder);
          box.setAttribute("data-ready", "1");
        });
      })
      .catch(function (e) { box.textContent = failed.replace("{error}", e.message); });
  }

  function markPath(canvas, registry, completed, current) {
    var done = new Set(completed), now = new Set(current);
    registry.filter(function (e) { return e.waypoints && e.source && e.target; }).forEach(function (c) {
      if (done.has(c.source.id) && (done.has(c.target.id) || now.has(c.target.id))) { canvas.addMarker(c.id, "gg-done"); }
    });
  }

  window.ggDiagram = { show: show, markPath: markPath };
}());
