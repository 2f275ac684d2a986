"""The six process diagrams (and cleanup_unit) open in bpmn-js — the modeler process owners use — without import
warnings, with every flow element drawn; a screenshot of each goes to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugins.system_parts import need
from tests.web_live import SHOTS, browser  # noqa: F401  (fixture)
from workflows.engine.diagram import read_diagram
from workflows.settings import ROOT_DIR

KEYS = ["group_approval", "account_filing", "owner_change", "cleanup_refiling", "cleanup_unit", "temp_group_expiry", "account_deregistration", "member_exit"]
MODELER = ROOT_DIR / "node_modules" / "bpmn-js" / "dist" / "bpmn-modeler.production.min.js"
IMPORT = """async (xml) => {
  const el = document.getElementById('canvas');
  el.innerHTML = '';
  const modeler = new window.BpmnJS({ container: el });
  const { warnings } = await modeler.importXML(xml);
  modeler.get('canvas').zoom('fit-viewport');
  const ids = modeler.get('elementRegistry').getAll().map(e => e.id);
  return { warnings: warnings.map(w => w.message), ids };
}"""


@pytest.fixture(scope="module")
def page(browser: Any) -> Iterator[Any]:  # noqa: F811
    if not MODELER.is_file():
        need("node_modules", "front-end packages not installed: run `npm ci`")
    context = browser.new_context(viewport={"width": 1800, "height": 1000})
    p = context.new_page()
    p.set_content('<html><body style="margin:0"><div id="canvas" style="width:1800px;height:1000px"></div></body></html>')
    p.add_script_tag(path=str(MODELER))
    yield p
    context.close()


@pytest.mark.parametrize("key", KEYS)
def test_diagram_opens_in_bpmn_js_without_warnings(page: Any, key: str) -> None:
    xml = (ROOT_DIR / "bpmn" / f"{key}.bpmn").read_text(encoding="utf-8")
    result = page.evaluate(IMPORT, xml)
    assert result["warnings"] == []
    drawn = set(result["ids"])
    model = read_diagram(xml.encode("utf-8"))
    assert model.main_process[0] == key
    missing = [e for e in model.elements if e not in drawn]
    assert missing == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"diagram_{key}.png"))
