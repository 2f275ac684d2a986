"""The scheduler's Prefect deployments, defined once: served by the embedded scheduler, or registered on a
work pool for Prefect workers (scaled mode). ``deployments/prefect.yaml`` declares the same set for
``prefect deploy`` (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..settings import Settings

TAGS = ["groupgov"]
ENTRY_MODULE = "workflows.scheduler.flows"


@dataclass(frozen=True)
class Spec:
    """One deployment: which flow, its name, schedule, default parameters and concurrency."""

    flow: str            # attribute of workflows.scheduler.flows
    name: str
    description: str
    interval: int | None = None     # seconds
    cron: str | None = None         # in the settings' time zone
    parameters: dict[str, Any] = field(default_factory=dict)
    single: bool = False            # at most one run at a time; a run that would overlap is cancelled

    @property
    def entrypoint(self) -> str:
        return f"{ENTRY_MODULE}.{self.flow}"  # a module path: the flows use package-relative imports


def specs(settings: Settings) -> list[Spec]:
    return [
        Spec("sweep", "sweep", "每分钟的安全巡检：触发所有到期的定时器（含催办、逾期升级），投递通知",
             interval=settings.sweep_interval_seconds, single=True),
        Spec("wake_up", "wake-up", "在 BPMN 定时器到期时刻唤醒并触发（由派发器按到期时间创建，一个到期时间一次运行）"),
        Spec("periodic_starts", "daily", "每日启动：临时工作群组到期清理、连续两周未更新的公众号注销、专项工作截止提醒",
             cron=settings.daily_cron, parameters={"kind": "daily"}, single=True),
        Spec("deliver_notifications", "notifications", "通知投递重试（邮件、群机器人）",
             interval=300, single=True),
    ]


def _schedules(spec: Spec, settings: Settings) -> list[Any]:
    from prefect.schedules import Cron, Interval

    if spec.interval:
        return [Interval(timedelta(seconds=spec.interval))]
    if spec.cron:
        return [Cron(spec.cron, timezone=settings.timezone)]
    return []


def _concurrency(spec: Spec) -> Any:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW) if spec.single else None


def runner_deployments(settings: Settings) -> list[Any]:
    """``RunnerDeployment`` objects for ``serve()`` (embedded mode)."""
    from prefect.deployments.runner import EntrypointType

    from . import flows

    out = []
    for spec in specs(settings):
        fl = getattr(flows, spec.flow)
        out.append(fl.to_deployment(name=spec.name, description=spec.description, schedules=_schedules(spec, settings),
                                    parameters=spec.parameters, concurrency_limit=_concurrency(spec), tags=TAGS,
                                    paused=False, entrypoint_type=EntrypointType.MODULE_PATH))
    return out


def worker_env(settings: Settings) -> dict[str, str]:
    """Environment for flow runs started by workers: heartbeats for zombie detection, telemetry off."""
    return {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30", "DO_NOT_TRACK": "1"}


def deploy_to_work_pool(settings: Settings) -> list[str]:
    """Register every deployment on ``settings.prefect_work_pool`` (a ``process`` pool, created when missing)
    with code loaded from ``settings.root_dir``; returns the deployment names. Scaled mode."""
    from prefect import deploy
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.flows import Flow

    pool = settings.prefect_work_pool
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    out = []
    for spec in specs(settings):
        fl = Flow.from_source(source=str(settings.root_dir), entrypoint=spec.entrypoint)
        out.append(fl.to_deployment(name=spec.name, description=spec.description, schedules=_schedules(spec, settings),
                                    parameters=spec.parameters, concurrency_limit=_concurrency(spec), tags=TAGS, paused=False,
                                    job_variables={"env": worker_env(settings), "working_dir": str(settings.root_dir)}))
    deploy(*out, work_pool_name=pool, build=False, push=False, print_next_steps_message=False)
    return [f"{d.flow_name}/{d.name}" for d in out]
