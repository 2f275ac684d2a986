/* Draws the instance on its BPMN diagram (through bpmn-view.js) and marks the completed (green) and current
   (orange) steps. Data: GET data-src -> {xml, completed, current}.
   Wide screens: the diagram fits the box (drag to pan, wheel to zoom). Narrow screens (phones), where fitting
   would make it unreadably small: it is drawn at a readable scale and the box scrolls natively, starting at
   the current step. */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box) { return; }
  var MIN_SCALE = 0.6, PAD = 20, WIDE = 600;
  window.ggDiagram.show(box, "流程图组件未安装（npm ci），请参看下方办理记录。", "流程图加载失败（{error}），请参看下方办理记录。",
    function (viewer, d, holder) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var inner = canvas.viewbox().inner;
      var fit = Math.min(box.clientWidth / (inner.width + 2 * PAD), box.clientHeight / (inner.height + 2 * PAD));
      if (fit >= MIN_SCALE / 1.5 || box.clientWidth >= WIDE) {
        canvas.zoom("fit-viewport");
      } else {
        viewer.get("zoomScroll").toggle(false);  // the box scrolls natively; the wheel must not move the canvas
        var width = Math.ceil((inner.width + 2 * PAD) * MIN_SCALE), height = Math.ceil((inner.height + 2 * PAD) * MIN_SCALE);
        box.classList.add("scroll");
        holder.style.width = width + "px";
        holder.style.height = height + "px";
        canvas.resized();
        canvas.viewbox({ x: inner.x - PAD, y: inner.y - PAD, width: width / MIN_SCALE, height: height / MIN_SCALE });
        var focus = d.current.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
        if (focus) {
          box.scrollLeft = Math.max(0, (focus.x - inner.x + PAD) * MIN_SCALE - box.clientWidth / 3);
          box.scrollTop = Math.max(0, (focus.y - inner.y + PAD) * MIN_SCALE - box.clientHeight / 3);
        }
      }
      d.completed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "gg-done"); } });
      d.current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "gg-current"); } });
      window.ggDiagram.markPath(canvas, registry, d.completed, d.current);
    });
}());
