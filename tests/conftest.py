"""Shared fixtures: a runtime on a real database (SQLite file, or PostgreSQL), a small org, the diagrams."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

from workflows.db import unit_of_work
from workflows.models import PartyOrg, Person, RoleAssignment, Unit
from workflows.security import hash_password
from workflows.services.deployments import deploy_directory
from workflows.services.runtime import Runtime, build_runtime
from workflows.services.schema import upgrade
from workflows.settings import ROOT_DIR, Settings

pytest_plugins = ["tests.plugins.system_parts"]

BPMN_DIR = ROOT_DIR / "bpmn"
PASSWORD = "demo"

# username, name, unit, roles (unit/org roles scoped to the person's unit and its Party org)
SMALL_ORG = [
    ("admin", "王主任", "党委办公室", ["admin", "party_office", "process_owner"]),
    ("staff_cs", "李老师", "计算机工程学院", []),
    ("staff_cs2", "赵老师", "计算机工程学院", []),
    ("head_cs", "张院长", "计算机工程学院", ["unit_head"]),
    ("party_cs", "陈书记助理", "计算机工程学院", ["party_org"]),
    ("secretary_cs", "刘书记", "计算机工程学院", ["secretary"]),
    ("stats_cs", "周统计", "计算机工程学院", ["statistician"]),
    ("staff_me", "孙老师", "机械工程学院", []),
    ("head_me", "吴院长", "机械工程学院", ["unit_head"]),
    ("party_me", "郑委员", "机械工程学院", ["party_org"]),
    ("xuegong", "钱部长", "党委学生工作部", ["xuegong"]),
    ("yangong", "冯部长", "党委研究生工作部", ["yangong"]),
    ("tuanwei", "褚书记", "团委", ["tuanwei"]),
    ("propaganda", "卫部长", "党委宣传部", ["propaganda"]),
    ("discipline", "蒋主任", "纪委办公室", ["discipline"]),
]
UNITS = {"党委办公室": "机关党委", "计算机工程学院": "计算机工程学院党委", "机械工程学院": "机械工程学院党委",
         "党委学生工作部": "机关党委", "党委研究生工作部": "机关党委", "团委": "机关党委", "党委宣传部": "机关党委",
         "纪委办公室": "机关党委"}


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def load_small_org(rt: Runtime) -> None:
    from workflows.roles import scope_for

    with unit_of_work(engine=rt.db) as s:
        orgs = {name: PartyOrg(name=name) for name in sorted(set(UNITS.values()))}
        s.add_all(orgs.values())
        s.flush()
        units = {name: Unit(name=name, kind="college" if "学院" in name else "office", party_org_id=orgs[org].id) for name, org in UNITS.items()}
        s.add_all(units.values())
        s.flush()
        for username, name, unit, roles in SMALL_ORG:
            u = units[unit]
            p = Person(username=username, name=name, unit_id=u.id, mobile="13800000000", email=f"{username}@jsut.edu.cn",
                       password_hash=password_hash())
            p.roles = [RoleAssignment(role=r, scope=scope_for(r, u.id, u.party_org_id)) for r in roles]
            s.add(p)


def runtime_for(url: str, tmp_path: Path) -> Runtime:
    """SQLite runtimes keep warm workflows between steps, as in production; PostgreSQL runtimes turn the cache
    off, so every step of the tests parametrized over both databases is also a serialize/restore round trip."""
    settings = Settings(database_url=url, var_dir=tmp_path / "var", secret_key="test-secret", environment="test",
                        workflow_cache_size=256 if url.startswith("sqlite") else 0)
    return build_runtime(settings)


def make_runtime(url: str, tmp_path: Path) -> Runtime:
    """A runtime on a new database: migrated, the small org loaded, bpmn/ deployed."""
    upgrade(url)
    rt = runtime_for(url, tmp_path)
    load_small_org(rt)
    deploy_directory(rt, BPMN_DIR)
    return rt


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prepared database file per session; each test gets a copy (migrating per test costs ~2 s)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "groupgov.sqlite3"
    rt = make_runtime(f"sqlite:///{path}", folder)
    with rt.db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    rt.db.dispose()
    return path


@pytest.fixture
def sqlite_rt(tmp_path: Path, sqlite_template: Path) -> Iterator[Runtime]:
    path = tmp_path / "groupgov.sqlite3"
    shutil.copyfile(sqlite_template, path)
    rt = runtime_for(f"sqlite:///{path}", tmp_path)
    yield rt
    rt.db.dispose()


@pytest.fixture(scope="session")
def pg_template(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A prepared PostgreSQL database that each test's database is created from (CREATE DATABASE … TEMPLATE)."""
    from sqlalchemy.engine import make_url

    from workflows.bench.pgcluster import create_database, drop_database

    name = f"gg_template_{uuid.uuid4().hex[:12]}"
    create_database(postgres_server, name)
    rt = make_runtime(make_url(postgres_server).set(database=name).render_as_string(hide_password=False), tmp_path_factory.mktemp("pgt"))
    rt.db.dispose()
    yield name
    drop_database(postgres_server, name)


@pytest.fixture
def pg_rt(postgres_server: str, pg_template: str, tmp_path: Path) -> Iterator[Runtime]:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from workflows.bench.pgcluster import drop_database, to_libpq_url

    name = f"gg_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(to_libpq_url(postgres_server), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(pg_template)))
    rt = runtime_for(make_url(postgres_server).set(database=name).render_as_string(hide_password=False), tmp_path)
    yield rt
    rt.db.dispose()
    drop_database(postgres_server, name)


@pytest.fixture(params=["sqlite", "postgres"])
def rt(request: pytest.FixtureRequest) -> Runtime:
    """The runtime on each database the product supports."""
    return request.getfixturevalue("sqlite_rt" if request.param == "sqlite" else "pg_rt")
