"""A test-only process whose service task fails on demand (``FLAKY.fail``), for incident tests.

Importing this module registers the handler ``test_flaky``; :func:`deploy_flaky` deploys the diagram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.registry import REGISTRY, HandlerContext
from workflows.services import deployments
from workflows.services.runtime import Runtime

DIAGRAM = Path(__file__).parent / "diagrams" / "test_flaky.bpmn"


class _Switch:
    fail = True
    calls = 0


FLAKY = _Switch()


def _flaky(ctx: HandlerContext) -> dict[str, Any]:
    FLAKY.calls += 1
    if FLAKY.fail:
        raise ConnectionError("外部登记系统无响应（测试）")
    return {"registered": True}


if REGISTRY.get("test_flaky") is None:
    REGISTRY.register("test_flaky", "测试：按开关失败的处理程序")(_flaky)


def deploy_flaky(rt: Runtime) -> None:
    deployments.deploy(rt, [(DIAGRAM.name, DIAGRAM.read_bytes())], "admin")
