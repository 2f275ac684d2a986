"""The raw limit: the same group_approval diagram run by plain SpiffWorkflow, no product code.

Stock ``CamundaParser``; service tasks complete at once (SpiffWorkflow's own ``ServiceTask`` waits for an
external worker and has no serializer converter, so a two-line subclass stands in); working-day timers
(``P3WD``) become plain ISO durations quoted as Python strings, as the stock script engine needs. At each
of the four boundaries (start, three human tasks) the workflow is read from SQLite, deserialized, advanced,
serialized with SpiffWorkflow's JSON serializer and written back, one commit per boundary (WAL, same pragmas
as the product). Two serializer variants are measured:

* ``raw_limit_sqlite``: the serialized workflow refers to the parsed spec held in memory instead of embedding
  it (what the product does, and what the architecture's raw-limit row measured) — the engine's own limit;
* ``raw_stock_serializer_sqlite``: the stock serializer, which embeds the whole spec in every instance.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import TaskState

from .common import APPROVE, PROCESS_KEY, Figure, Sizes, application, median, scratch_dir, timed

TIMER_TEXT = re.compile(rb"(<bpmn:time(?:Duration|Date|Cycle)[^>]*>)\s*([^<]*?)\s*(</bpmn:time)")


class InstantServiceTask(ServiceTask):
    def _run_hook(self, my_task: Any) -> bool:
        return True


class RawParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {**CamundaParser.OVERRIDE_PARSER_CLASSES,
                               full_tag("serviceTask"): (TaskParser, InstantServiceTask)}


def stock_timers(xml: bytes) -> bytes:
    """``P3WD`` → ``"P3D"``: the stock engine evaluates timer text as Python and knows no working days."""
    def fix(m: re.Match[bytes]) -> bytes:
        text = m.group(2).replace(b"WD", b"D")
        return m.group(1) + b'"' + text + b'"' + m.group(3)
    return TIMER_TEXT.sub(fix, xml)


def parse(bpmn_file: Path) -> tuple[Any, dict[str, Any]]:
    parser = RawParser()
    parser.add_bpmn_str(stock_timers(bpmn_file.read_bytes()))
    return parser.get_spec(PROCESS_KEY), parser.get_subprocess_specs(PROCESS_KEY)


def make_serializer(spec: Any, subprocess_specs: dict[str, Any], by_reference: bool) -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[InstantServiceTask] = BpmnTaskSpecConverter
    if by_reference:
        class SpecByReference(BpmnWorkflowConverter):
            def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
                dct = WorkflowConverter.to_dict(self, workflow)
                dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
                dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
                return dct

            def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
                workflow = self.target_class(spec, subprocess_specs, deserializing=True)
                workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
                workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
                self.set_default_attributes(workflow, dct)
                self.subprocesses_from_dict(dct["subprocesses"], workflow)
                workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
                return workflow

        config[BpmnWorkflow] = SpecByReference
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


class RawRunner:
    """Drives instances of the scenario against one SQLite file."""

    def __init__(self, db_file: Path, spec: Any, subprocess_specs: dict[str, Any], by_reference: bool) -> None:
        self.spec, self.subprocess_specs = spec, subprocess_specs
        self.serializer = make_serializer(spec, subprocess_specs, by_reference)
        self.db = sa.create_engine(f"sqlite:///{db_file}")
        sa.event.listen(self.db, "connect", _pragmas)
        meta = sa.MetaData()
        self.table = sa.Table("workflow", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("state", sa.Text))
        meta.create_all(self.db)

    def one(self, i: int) -> None:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.do_engine_steps()
        with self.db.begin() as conn:
            wid = conn.execute(self.table.insert().values(state=self.serializer.serialize_json(workflow))).inserted_primary_key[0]
        for data in (application(i), APPROVE, APPROVE):
            with self.db.begin() as conn:
                state = conn.execute(sa.select(self.table.c.state).where(self.table.c.id == wid)).scalar_one()
                workflow = self.serializer.deserialize_json(state)
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.data.update(data)
                task.run()
                workflow.refresh_waiting_tasks()
                workflow.do_engine_steps()
                conn.execute(self.table.update().where(self.table.c.id == wid).values(state=self.serializer.serialize_json(workflow)))
        if not workflow.completed:
            raise RuntimeError("raw scenario did not complete")

    def close(self) -> None:
        self.db.dispose()


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def measure(sizes: Sizes, bpmn_file: Path, by_reference: bool) -> tuple[float, float]:
    """Median (instances/s, CPU ms per instance) over ``sizes.repeats`` runs, each on a fresh SQLite file
    after a short warm-up."""
    spec, subprocess_specs = parse(bpmn_file)
    rates, cpu = [], []
    for _ in range(sizes.repeats):
        with scratch_dir("raw") as d:
            runner = RawRunner(d / "raw.sqlite3", spec, subprocess_specs, by_reference)
            for i in range(3):
                runner.one(-i)
            r, c = timed(sizes.instances, lambda: [runner.one(i) for i in range(sizes.instances)])
            rates.append(r)
            cpu.append(c)
            runner.close()
    return median(rates), median(cpu)


def run(sizes: Sizes, bpmn_file: Path) -> list[Figure]:
    limit, limit_cpu = measure(sizes, bpmn_file, by_reference=True)
    stock, _ = measure(sizes, bpmn_file, by_reference=False)
    return [Figure("raw_limit_sqlite", limit, "inst/s"), Figure("raw_cpu_per_instance", limit_cpu, "ms"),
            Figure("raw_stock_serializer_sqlite", stock, "inst/s")]
