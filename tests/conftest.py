"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, users with tokens.

PostgreSQL tests use a database created for this test session on 127.0.0.1:5432 (trust auth) and dropped at the
end. Without a reachable server they are skipped — except with CI=true, where they must run and fail instead.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import rules.evaluator
import rules.ruleset
from engine import bpmn, sandbox
from engine.store.migrate import upgrade
from engine.store.models import Base

bpmn.install()  # tests that drive SpiffWorkflow directly get the same corrections as the engine's services

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PG_ADMIN_URL = os.environ.get("EMFLOW_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LANES = ("duty_officer", "leader", "monitoring_station", "emergency_office", "enforcement", "press_office")


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Each test parses, compiles and registers for itself: no ruleset, plan or expression cached by another.

    A cache filled by an earlier test (or by the process a mutation-testing worker forks from) would answer
    with what was computed before, hiding a change in the code that computes it.
    """
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture(autouse=True, scope="session")
def bundled_yaml_parsed_once() -> Iterator[None]:
    """The YAML text of each bundled ruleset file is turned into plain data once per test process.

    PyYAML's pure-Python parser takes about nine tenths of a rules test's time, so parsing the same unchanging
    files again in every test made the suite, and a mutation run (which reruns the tests for each mutant), several
    times slower. Only the text-to-data step is shared, as a deep copy: validating, compiling and registering the
    rulesets still run afresh in every test, and any other text (every test of the YAML loader itself) is parsed
    by the real loader each time.
    """
    original = rules.ruleset._load_text
    bundled_texts = {
        path.read_text(encoding="utf-8")
        for path in rules.ruleset.BUNDLED_DIR.iterdir()
        if path.suffix in (".yaml", ".yml", ".json")
    }
    parsed: dict[str, object] = {}

    def load_text(text: str) -> object:
        if text not in bundled_texts:
            return original(text)
        if text not in parsed:
            parsed[text] = original(text)
        return copy.deepcopy(parsed[text])

    rules.ruleset._load_text = load_text  # type: ignore[assignment]
    yield
    rules.ruleset._load_text = original  # type: ignore[assignment]


def _clear_caches() -> None:
    rules.ruleset.clear_caches()  # the parsed bundled rulesets
    rules.evaluator.clear_caches()  # compiled plans and the durable-rules host they are registered on
    sandbox.clear_caches()  # compiled diagram expressions


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not reachable"
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    problem = _pg_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must be reachable in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"emflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "emflow.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "emflow.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


class Api:
    """The Flask test client with a token per user name: ``api.post(path, as_='admin', json=...)``."""

    def __init__(self, app: Any, tokens: dict[str, str]):
        self.app = app
        self.client = app.test_client()
        self.tokens = tokens

    def _headers(self, as_: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if as_ is not None:
            out["Authorization"] = f"Bearer {self.tokens[as_]}"
        return out

    def get(self, path: str, as_: str | None = "admin", **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)

    def post(self, path: str, as_: str | None = "admin", **kw: Any) -> Any:
        return self.client.post(path, headers=self._headers(as_, kw.pop("headers", None)), **kw)

    def deploy(self, xml: bytes | str, as_: str = "admin") -> Any:
        data = xml.encode() if isinstance(xml, str) else xml
        return self.post("/api/v1/definitions", as_=as_, data=data, content_type="application/xml")

    def start(self, key: str, business_key: str = "INC-1", data: dict | None = None, as_: str = "duty") -> Any:
        return self.post(
            "/api/v1/instances", as_=as_, json={"definition_key": key, "business_key": business_key, "data": data or {}}
        )


def make_users(services: Any) -> dict[str, str]:
    tokens = {}
    for name, role, lanes in [
        ("admin", "administrator", ()),
        ("auditor", "auditor", ()),
        ("duty", "responder", ("duty_officer",)),
        ("leader", "responder", ("leader",)),
        ("monitor", "responder", ("monitoring_station",)),
        ("office", "responder", ("emergency_office",)),
        ("allhands", "responder", LANES),
    ]:
        tokens[name] = services.users.add(name, role, list(lanes))[1]
    return tokens


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    from api import create_app

    application = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield application
    application.extensions["emflow"].close()


@pytest.fixture
def api(app: Any) -> Api:
    return Api(app, make_users(app.extensions["emflow"]))


@pytest.fixture
def triage_xml() -> bytes:
    return (FIXTURES / "triage.bpmn").read_bytes()
