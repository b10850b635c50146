"""Shared fixtures for every test package.

    app        a dealguard app on a fresh database with the schema created
               (a temp SQLite file; PostgreSQL for tests marked `postgres`)
    client     its Flask test client
    make_key   make_key(role, manager_id=None, person_id=None, job_role=None)
               -> {"Authorization": "Bearer ..."}; a manager key is m-1 unless
               told, an approver key a-1, head_of_sales unless told
    db_engine  the app's SQLAlchemy engine (to look at rows directly)
    postgres_url  a fresh, empty PostgreSQL schema for one test (see below)
    backend    "sqlite" or "postgres": a test that asks for it (or a module with
               `pytestmark = pytest.mark.usefixtures("backend")`) runs on both
    body       make_body(action, **changes): a valid request (tests/bodies.py)
    crm, compliance   a key of that role
    post       post(body, headers=crm, path="/v1/decisions") -> the response
    decide     decide(action, **changes) -> the answer of a logged decision
    listing    listing(headers=compliance, **params) -> GET /v1/decisions
    candidate_text, clear_values   the running rules.yaml; the clear confidential values

Plain helpers: make_body and BODIES in tests/bodies.py, wait_until here.

PostgreSQL: mark a test (or module: `pytestmark = pytest.mark.postgres`) and the
same fixtures run on DEALGUARD_TEST_POSTGRES_URL, each test in its own schema that
is dropped afterwards. Without that variable such tests are skipped, unless
DEALGUARD_REQUIRE_POSTGRES=1 (CI), where a missing or unreachable server fails them.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app import db as app_db
from app.api import database
from app.config import Settings
from tests.bodies import CLEAR_VALUES, make_body

REPO = Path(__file__).resolve().parent.parent
POLICY = str(REPO / "policies" / "rules.yaml")
TEST_SECRET = "test-secret-for-hmac"
_key_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: run the app fixtures on PostgreSQL")


def _postgres_wanted() -> tuple[str | None, bool]:
    return (os.environ.get("DEALGUARD_TEST_POSTGRES_URL"),
            os.environ.get("DEALGUARD_REQUIRE_POSTGRES") == "1")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL whose search_path is a new schema, dropped after the test."""
    url, required = _postgres_wanted()
    if not url:
        if required:
            pytest.fail("DEALGUARD_REQUIRE_POSTGRES=1 but DEALGUARD_TEST_POSTGRES_URL is unset")
        pytest.skip("DEALGUARD_TEST_POSTGRES_URL is not set")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # noqa: BLE001 - unreachable server: skip or fail, see above
        admin.dispose()
        if required:
            pytest.fail(f"PostgreSQL at DEALGUARD_TEST_POSTGRES_URL unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {type(error).__name__}")
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.node.get_closest_marker("postgres"):
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'dealguard.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        policy_path=POLICY,
        timezone="Europe/Moscow",
        secret_key=TEST_SECRET,
        max_body=262144,
        environment="test",
        # In the worker: a writer process per app would cost each test a start of its
        # own; tests/log/write/test_writer_process.py runs the decisions through one.
        log_writer="thread",
    )


def create_schema(engine) -> None:
    """Every table of every area (their models are imported by create_app's blueprints)."""
    from app.log.write.writer import ensure_head

    app_db.Base.metadata.create_all(engine)
    ensure_head(engine)


@pytest.fixture
def app(settings: Settings):
    # The schema first: the app records its policy version in the database at start.
    engine = app_db.make_engine(settings.database_url)
    import app.auth  # noqa: F401
    import app.log.models  # noqa: F401 - register the log's tables

    _import_area_models()
    create_schema(engine)
    engine.dispose()
    application = create_app(settings)
    application.config["TESTING"] = True
    create_schema(application.extensions["dealguard.db_engine"])  # tables of late-imported areas
    yield application
    application.extensions["dealguard.db_engine"].dispose()


def _import_area_models() -> None:
    from importlib import import_module

    from app.api import BLUEPRINT_MODULES

    for name in BLUEPRINT_MODULES:
        try:
            import_module(name)
        except ImportError:
            pass


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_engine(app):
    return app.extensions["dealguard.db_engine"]


@pytest.fixture
def make_key(app) -> Callable[..., dict[str, str]]:
    from app.auth import create_key

    def make(role: str, manager_id: str | None = None, person_id: str | None = None,
             job_role: str | None = None) -> dict[str, str]:
        if role == "manager":
            person_id = manager_id or person_id or "m-1"
        elif role == "approver":
            person_id = person_id or "a-1"
            job_role = job_role or "head_of_sales"
        with app.app_context():
            key = create_key(database.session(), role, f"test-{role}-{next(_key_names)}",
                             person_id, job_role)
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def body() -> Callable[..., dict[str, Any]]:
    return make_body


@pytest.fixture
def crm(make_key) -> dict[str, str]:
    return make_key("crm")


@pytest.fixture
def compliance(make_key) -> dict[str, str]:
    return make_key("compliance")


@pytest.fixture
def post(client, crm):
    """post(body, headers=crm key) -> response of POST /v1/decisions."""

    def send(payload: Any, headers: dict[str, str] | None = None, path: str = "/v1/decisions"):
        return client.post(path, json=payload, headers=headers or crm)

    return send


@pytest.fixture
def decide(client, crm, body) -> Callable[..., dict[str, Any]]:
    """decide(action, actor=, client=, **changes) -> the answer of a logged decision."""

    def send(action: str, **changes: Any) -> dict[str, Any]:
        response = client.post("/v1/decisions", json=body(action, **changes), headers=crm)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def listing(client, compliance) -> Callable[..., Any]:
    """listing(headers=compliance, **params) -> the response of GET /v1/decisions."""

    def get(headers: dict[str, str] | None = None, **params: Any):
        return client.get("/v1/decisions", query_string=params, headers=headers or compliance)

    return get


@pytest.fixture
def clear_values() -> tuple[str, ...]:
    return CLEAR_VALUES


@pytest.fixture
def candidate_text(settings) -> str:
    """The running policy's rules.yaml, for a test to change into a candidate."""
    return Path(settings.policy_path).read_text(encoding="utf-8")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    # A bound against a hang, not a timing assertion: the condition comes true on any machine.
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)
