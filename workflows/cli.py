"""The ``groupgov`` command. Settings come from ``GROUPGOV_*`` environment variables (see ``--help``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import AppError, InvalidDiagram, InvalidImport
from .scheduler.cli import app as scheduler_app
from .settings import Settings

SETTINGS_HELP = "Settings (environment): " + ", ".join(
    f"GROUPGOV_{name.upper()}" for name in Settings.model_fields)

app = typer.Typer(help="groupgov: approval pipeline for work groups and official accounts.\n\n" + SETTINGS_HELP,
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
org_app = typer.Typer(help="Organisation data (units, Party organisations, people, roles).", no_args_is_help=True)
timers_app = typer.Typer(help="BPMN timers.", no_args_is_help=True)
documents_app = typer.Typer(help="The forms of the measures (att. 1-3) recorded by the processes.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(org_app, name="org")
app.add_typer(timers_app, name="timers")
app.add_typer(documents_app, name="documents")
app.add_typer(scheduler_app, name="scheduler")


def _rt():  # type: ignore[no-untyped-def]
    from .services.runtime import get_runtime

    return get_runtime()


def _out(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _fail(exc: AppError) -> None:
    typer.echo(exc.message, err=True)
    raise typer.Exit(1)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        typer.echo(f"--data 不是合法的 JSON：{exc}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(value, dict):
        typer.echo("--data 应为 JSON 对象", err=True)
        raise typer.Exit(2)
    return value


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema."""
    from .services.schema import upgrade

    rt = _rt()
    upgrade(rt.settings.sqlalchemy_url)
    typer.echo(f"database at {rt.settings.sqlalchemy_url.split('@')[-1]} is up to date")


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo university (about 30 units, a few hundred people; password `demo`)."""
    from .services.demo import load_demo
    from .services.schema import upgrade

    rt = _rt()
    upgrade(rt.settings.sqlalchemy_url)
    report = load_demo(engine=rt.db)
    typer.echo(str(report))


@org_app.command("import")
def org_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")]) -> None:
    """Import units, Party organisations, people and roles; nothing is imported if any row is bad."""
    from .services.org_import import import_org_file

    rt = _rt()
    try:
        report = import_org_file(file, engine=rt.db)
    except InvalidImport as exc:
        _fail(exc)
    typer.echo(str(report))
    try:
        from .services.org_events import after_import
    except ImportError:
        return
    for line in after_import(rt, report):
        typer.echo(line)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Validate .bpmn files; exit 1 with one line per problem, naming the element id, when invalid."""
    from .services.deployments import validate_file

    rt = _rt()
    bad = False
    for f in files:
        errors = validate_file(rt, f.read_bytes(), f.name)
        for e in errors:
            typer.echo(str(e))
        if errors:
            bad = True
        else:
            typer.echo(f"{f.name}: OK")
    raise typer.Exit(1 if bad else 0)


@app.command()
def deploy(paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default bpmn/)")] = None,
           as_user: Annotated[str | None, typer.Option("--as", help="deploying process owner")] = None) -> None:
    """Validate and deploy diagrams; prints the resulting versions. All or nothing."""
    from .services.deployments import deploy as do_deploy
    from .services.schema import upgrade

    rt = _rt()
    upgrade(rt.settings.sqlalchemy_url)
    files: list[Path] = []
    for p in paths or [rt.settings.bpmn_dir]:
        files += sorted(p.glob("*.bpmn")) if p.is_dir() else [p]
    try:
        result = do_deploy(rt, [(f.name, f.read_bytes()) for f in files], as_user)
    except InvalidDiagram as exc:
        for e in exc.errors:
            typer.echo(str(e), err=True)
        raise typer.Exit(1) from None
    except AppError as exc:
        _fail(exc)
    for d in result:
        typer.echo(f"{d.key} v{d.version} {'deployed' if d.created else 'unchanged'} ({d.name})")


@app.command()
def start(process: str, as_user: Annotated[str, typer.Option("--as")], data: Annotated[str, typer.Option("--data")] = "{}") -> None:
    """Start a process as a user; prints the instance."""
    from .services import instances, queries

    rt = _rt()
    try:
        instance_id = instances.start_process(rt, process, as_user, _json(data))
        _out(queries.get_instance(rt, as_user, instance_id))
    except AppError as exc:
        _fail(exc)


@app.command()
def tasks(as_user: Annotated[str, typer.Option("--as")], scope: str = "mine") -> None:
    """List a user's tasks (scope: mine, group, done, started)."""
    from .services import queries

    try:
        _out(queries.list_tasks(_rt(), as_user, scope, limit=200))
    except AppError as exc:
        _fail(exc)


@app.command()
def complete(task: int, as_user: Annotated[str, typer.Option("--as")], data: Annotated[str, typer.Option("--data")] = "{}") -> None:
    """Complete a task as a user with form data; prints the instance."""
    from .services import instances, queries

    rt = _rt()
    try:
        instance_id = instances.complete_task(rt, task, as_user, _json(data))
        _out(queries.get_instance(rt, as_user, instance_id))
    except AppError as exc:
        _fail(exc)


@timers_app.command("fire")
def timers_fire() -> None:
    """Fire every timer that is due now, once."""
    from .services.timers import fire_due_timers

    typer.echo(f"fired {fire_due_timers(_rt())} instance(s)")


@documents_app.command("render")
def documents_render() -> None:
    """Render now every recorded form that is waiting (the scheduler does this a few seconds after each step; use
    this when it is not running). A form whose rendering fails stays listed with the reason and is retried later."""
    from sqlalchemy import func, select

    from .db import unit_of_work
    from .models import Document
    from .services.document_files import render_pending

    rt = _rt()
    rendered = 0
    while (done := render_pending(rt, limit=50)) > 0:
        rendered += done
    with unit_of_work(write=False, engine=rt.db) as session:
        waiting = session.scalar(select(func.count()).select_from(Document).where(Document.content.is_(None))) or 0
    typer.echo(f"rendered {rendered} form(s); {waiting} not rendered" + (" (failed: see the instance pages)" if waiting else ""))
    if waiting:
        raise typer.Exit(1)


@app.command()
def periodic(name: Annotated[str, typer.Argument(help="temp-groups, idle-accounts, campaign-deadlines or all")]) -> None:
    """Run a periodic start once, now (idempotent): ended temporary groups (art. 6), official accounts idle two weeks
    (art. 10), cleanup campaign deadlines (art. 7). The scheduler runs the same use cases on its own."""
    from .services import periodic as jobs

    rt = _rt()
    if name != "all" and name not in jobs.PERIODIC:
        typer.echo(f"unknown periodic start {name}; choose from: {', '.join(jobs.PERIODIC)}, all", err=True)
        raise typer.Exit(2)
    lines = jobs.run_all(rt) if name == "all" else jobs.PERIODIC[name](rt)
    for line in lines:
        typer.echo(line)
    typer.echo(f"{name}: {len(lines)} action(s)")


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="default 127.0.0.1")] = None,
          port: Annotated[int | None, typer.Option(help="default 8000")] = None) -> None:
    """Run the web app and the scheduler; on an empty database migrate, load the demo and deploy bpmn/ first."""
    from .server import run_server

    rt = _rt()
    run_server(rt, host or rt.settings.host, port or rt.settings.port)


@app.command()
def bench(quick: Annotated[bool, typer.Option(help="smaller sizes, for a smoke run")] = False,
          only: Annotated[list[str] | None, typer.Option(help="run only these groups (repeatable): raw, engine, postgres, "
                                                              "http, scaled, tasklist, timers, docs, serve")] = None) -> None:
    """Run the benchmarks; one line per figure: `name: value unit`."""
    try:
        from .bench import GROUPS, run_benchmarks
    except ImportError:
        typer.echo("benchmarks are not available in this build", err=True)
        raise typer.Exit(1) from None
    unknown = sorted(set(only or ()) - set(GROUPS))
    if unknown:
        typer.echo(f"unknown benchmark group(s): {', '.join(unknown)}; known: {', '.join(GROUPS)}", err=True)
        raise typer.Exit(2)
    run_benchmarks(quick=quick, only=only or None)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
