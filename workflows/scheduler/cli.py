"""``groupgov scheduler …``: run the scheduler process, or register the deployments for Prefect workers."""

from __future__ import annotations

import os
from typing import Annotated

import typer

app = typer.Typer(help="The Prefect scheduler (timers, periodic starts, notifications).", no_args_is_help=True)


def _point_prefect_at_settings() -> None:
    """Use GROUPGOV_PREFECT_API_URL for Prefect unless PREFECT_API_URL is set (before Prefect is imported)."""
    from ..settings import get_settings

    settings = get_settings()
    if settings.prefect_api_url and not os.environ.get("PREFECT_API_URL"):
        os.environ["PREFECT_API_URL"] = settings.prefect_api_url
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if not os.environ.get("PREFECT_API_URL"):
        typer.echo("set GROUPGOV_PREFECT_API_URL (or PREFECT_API_URL) to the Prefect API, e.g. http://127.0.0.1:4200/api", err=True)
        raise typer.Exit(2)


@app.command("run")
def run(dispatch_only: Annotated[bool, typer.Option(help="only dispatch wake-ups; Prefect workers run the flows")] = False) -> None:
    """Run the scheduler process in the foreground: catch up on missed timers, dispatch wake-ups, serve the flows."""
    _point_prefect_at_settings()
    import logging

    from .service import run as run_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_service(dispatch_only)


@app.command("deploy")
def deploy() -> None:
    """Scaled mode: register the deployments on GROUPGOV_PREFECT_WORK_POOL and the zombie-run automation."""
    _point_prefect_at_settings()
    from prefect.client.orchestration import get_client

    from ..settings import get_settings
    from .deployments import deploy_to_work_pool
    from .dispatch import ensure_zombie_automation

    settings = get_settings()
    for name in deploy_to_work_pool(settings):
        typer.echo(f"deployed {name} on work pool {settings.prefect_work_pool}")
    with get_client(sync_client=True) as client:
        ensure_zombie_automation(client)
    typer.echo(f"start workers with: prefect worker start --pool {settings.prefect_work_pool}")
