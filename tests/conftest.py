"""Test fixtures: a migrated database per test (SQLite or PostgreSQL), app, client, sign-in."""

from __future__ import annotations

import gc
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa

from tests import route_builders, shared_compiled_sql

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"  # third-party test files, with their sources and licences

# Lighter argon2id parameters keep the suite fast; production parameters are tested separately.
FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that use a database; start the long tests first.

    A test without the `database_url` fixture (a parser, a renderer, an architecture rule)
    gives the same answer on both databases, and the SQLite pass has run it: the PostgreSQL
    pass leaves it out (about 1,700 tests, 90 s). A test that opens PostgreSQL by itself says
    so with the `postgresql` marker.

    With two xdist workers, a long test collected last leaves one worker idle for its whole
    duration at the end of a pass; started first, it runs while the other worker drains the
    short ones. The sort is stable, so the order is otherwise the collection order.
    """
    if _postgres_base_url():
        without_database = [item for item in items if not _uses_a_database(item)]
        if without_database:
            config.hook.pytest_deselected(items=without_database)
            left_out = set(without_database)
            items[:] = [item for item in items if item not in left_out]
    items.sort(
        key=lambda item: (
            item.get_closest_marker("browser") is None and item.get_closest_marker("slow") is None
        )
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the garbage collector off what every test shares, and let it run less often.

    Each test builds an app (about 10,000 objects with reference cycles) and drops it, so
    the collector ran dozens of times per test, each full pass walking every module, class
    and function the run imported. Frozen after collection, those are never walked again;
    a young generation of 50,000 instead of 700 lets most of a test's garbage die in one
    pass. tests/people alone, one process: 133.7 s -> 105.6 s (a run with the collector off
    took 110 s), peak memory 264 -> 317 MB.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def _uses_a_database(item: pytest.Item) -> bool:
    return "database_url" in getattr(item, "fixturenames", ()) or (
        item.get_closest_marker("postgresql") is not None
    )


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def migrate(url: str, instance: Path) -> None:
    """Build the schema from the migrations (the only way the schema is ever built)."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    instance = tmp_path_factory.mktemp("instance")
    saved = dict(os.environ)
    os.environ.update(
        {
            "APP_ENV": "testing",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "test-secret-key-" + "x" * 40,
            "MAIL_DELIVERY": "inline",
            "LOG_LEVEL": "WARNING",
        }
    )
    yield instance
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def database_template(_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate one database per test session; tests get copies (SQLite) or a wiped one (PG)."""
    pg = _postgres_base_url()
    if pg:
        url = sa.make_url(pg)
        # One database per worker and per run, so parallel runs on a shared server never
        # truncate each other's data.
        name = f"{url.database}_{_worker()}_{os.getpid()}"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        target = url.set(database=name).render_as_string(hide_password=False)
        migrate(target, _env)
        yield target
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    folder = tmp_path_factory.mktemp("db")
    path = folder / "template.sqlite3"
    migrate(f"sqlite:///{path}", _env)
    yield str(path)


# The tables of the public schema (their list is read every time: a test may add one).
_TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)
# Each foreign key of the public schema, as (referencing, referenced), but those that set
# null: deleting the referenced row then only updates the referencing one. (A cascading key
# counts: the rows it would delete may be held by a restricting key of their own.)
_FOREIGN_KEYS = """
SELECT child.relname, parent.relname
FROM pg_constraint AS c
JOIN pg_class AS child ON child.oid = c.conrelid
JOIN pg_class AS parent ON parent.oid = c.confrelid
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    AND c.confdeltype NOT IN ('n', 'd')
"""
# Sequences that have handed out a value since they were last reset, with their table: a
# rolled-back insert leaves no row but moves the sequence, and tests may rely on ids from 1.
_USED_SEQUENCES = """
SELECT DISTINCT t.relname, quote_ident(s.sequencename), s.start_value
FROM pg_sequences AS s
JOIN pg_class AS sc ON sc.relname = s.sequencename AND sc.relnamespace = 'public'::regnamespace
JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = sc.oid
    AND d.refclassid = 'pg_class'::regclass
JOIN pg_class AS t ON t.oid = d.refobjid
WHERE s.schemaname = 'public' AND s.last_value IS NOT NULL
"""
# The delete order (referencing tables first) for each list of tables seen.
_DELETE_ORDERS: dict[tuple[str, ...], list[str] | None] = {}


def _delete_order(conn: sa.Connection, tables: tuple[str, ...]) -> list[str] | None:
    """`tables` ordered so that every table comes before the tables it references, or None
    when such references form a cycle (none do today)."""
    if tables not in _DELETE_ORDERS:
        import graphlib

        waits_for: dict[str, set[str]] = {table: set() for table in tables}
        for child, parent in conn.execute(sa.text(_FOREIGN_KEYS)):
            if child != parent and parent in waits_for:
                waits_for[parent].add(child)
        try:
            _DELETE_ORDERS[tables] = list(graphlib.TopologicalSorter(waits_for).static_order())
        except graphlib.CycleError:
            _DELETE_ORDERS[tables] = None
    return _DELETE_ORDERS[tables]


# A table holding this many rows or more is truncated instead (see _empty_written_tables).
_MANY_ROWS = 1000


def _empty_written_tables(engine: sa.Engine) -> None:
    """Empty the test database as TRUNCATE ... RESTART IDENTITY CASCADE would, at the cost
    of the rows the previous test wrote.

    TRUNCATE gives every table it empties new files, and CASCADE reaches every table that
    references a written one (users and units: nearly all of them): 160 ms per test. DELETE
    of a handful of rows costs a fraction of a millisecond. A row that references a written
    table's row is itself in a table with rows, so deleting the tables with rows, referencing
    ones first, leaves no dangling reference and never cascades.

    After a test that wrote thousands of rows, TRUNCATE it is: it also forgets the planner
    statistics. Deleted rows leave statistics that autovacuum brings to "empty" while the
    table's pages remain, and the next test that loads thousands of rows (the demo) then
    got plans for empty tables: one readiness statement took 20 s instead of milliseconds.
    """
    with engine.begin() as conn:
        tables = tuple(conn.execute(sa.text(_TABLES)).scalars().all())
        if not tables:
            return
        # Each table's rows, counted up to _MANY_ROWS.
        probes = ", ".join(
            f"('{t}', (SELECT count(*) FROM (SELECT FROM \"{t}\" LIMIT {_MANY_ROWS}) AS r))"
            for t in tables
        )
        rows = dict(
            conn.execute(
                sa.text(f"SELECT * FROM (VALUES {probes}) AS probe(name, n) WHERE n > 0")
            ).all()
        )
        sequences = [row for row in conn.execute(sa.text(_USED_SEQUENCES)) if row[0] in tables]
        order = _delete_order(conn, tables)
        if order is None or max(rows.values(), default=0) >= _MANY_ROWS:
            dirty = set(rows) | {table for table, _, _ in sequences}
            if dirty:
                names = ", ".join(f'"{t}"' for t in sorted(dirty))
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        work = [f'DELETE FROM "{t}"' for t in order if t in rows]
        work += [f"SELECT setval('{name}', {start}, false)" for _, name, start in sequences]
        if work:
            conn.exec_driver_sql("; ".join(work))


@pytest.fixture(scope="session")
def _postgres_cleaner(database_template: str) -> Iterator[sa.Engine | None]:
    """One connection for emptying the PostgreSQL test database between tests (None on SQLite)."""
    if not database_template.startswith("postgresql"):
        yield None
        return
    # pre_ping: the outage tests stop and restart the server under it.
    engine = sa.create_engine(database_template, pool_size=1, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(
    database_template: str, _postgres_cleaner: sa.Engine | None, tmp_path: Path
) -> str:
    """A migrated, empty database for one test."""
    if _postgres_cleaner is not None:
        _empty_written_tables(_postgres_cleaner)
        return database_template
    path = tmp_path / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(database_url: str) -> dict:
    """Configuration for the app under test; tests may change it before `app` is built."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH": dict(FAST_HASH),
        "MAIL_DELIVERY": "inline",
        "SERVER_NAME": None,
        # Tests read English messages unless they ask for a language; the product default
        # (French, for the Jura) is covered in tests/platform/test_i18n.py.
        "BABEL_DEFAULT_LOCALE": "en",
    }


def twin_of(application):
    """A second Flask object with `application`'s config, routes, hooks and templates, and
    its own database engine (see `serving`).

    A shallow copy instead of a second `create_app`: building an app costs about 60 ms of CPU
    (mostly werkzeug compiling ~200 URL rules), once more per test for nothing. Flask pushes a
    fresh app context for a request unless the pushed one belongs to the same object, so the
    copy keeps the test body's `g` apart from the requests' as a second app did.
    """
    import copy

    from app.db import configure_engine
    from app.extensions import db

    twin = copy.copy(application)
    # What `db.init_app` writes must not land in the original's dicts and lists.
    twin.extensions = {k: v for k, v in application.extensions.items() if k != "sqlalchemy"}
    twin.teardown_appcontext_funcs = list(application.teardown_appcontext_funcs)
    twin.shell_context_processors = list(application.shell_context_processors)
    db.init_app(twin)
    # The copied list already ends the session in the original's order; drop init_app's second.
    twin.teardown_appcontext_funcs.pop()
    with twin.app_context():
        configure_engine(db.engine)
    return twin


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the whole test run, shared by every app.

    Each test builds a new app, hence a new Jinja environment that would compile again every
    template it renders (tens of milliseconds each). Jinja's bytecode cache checks each
    template's source checksum, so an edited template is compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Give `bucket` the stored code of its template, if any."""
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Keep the freshly compiled code of a template."""
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()
route_builders.install()
shared_compiled_sql.install()


@contextmanager
def serving(config: dict) -> Iterator:
    """Build the app under test, and give the test body its own context of a twin app.

    Flask reuses an already pushed app context of the same app for each request, which
    would share `g` (CSRF token, the signed-in user) between the test client's requests.
    The test body therefore works in a twin app's context (same config, same database,
    its own engine).
    """
    from app import create_app
    from app.db import sqlite_begin_mode
    from app.extensions import db

    application = create_app(config)
    application.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    twin = twin_of(application)
    token = sqlite_begin_mode.set("autocommit")
    try:
        with twin.app_context():
            yield application
            db.session.remove()
            db.engine.dispose()
        with application.app_context():
            db.engine.dispose()
    finally:
        sqlite_begin_mode.reset(token)


@pytest.fixture
def app(app_config: dict):
    """The application under test, bound to this test's database."""
    with serving(app_config) as application:
        yield application


@pytest.fixture
def db_session(app):
    """The Flask-SQLAlchemy session of the test's application context."""
    from app.extensions import db

    return db.session


@pytest.fixture
def client(app):
    """A test client with cookies."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask ...` commands."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """Extract the CSRF token from a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def get_csrf(client, path: str = "/login") -> str:
    """Load a page with a form and return its CSRF token (the session now holds it)."""
    return csrf_token_from(client.get(path).get_data(as_text=True))


def login_as(client, user) -> None:
    """Sign `user` in by writing a valid session, as the login view would."""
    import time

    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        now = int(time.time())
        sess["login_at"] = now
        sess["seen_at"] = now


def app_text(app, message: str, lang: str = "fr", plural: str | None = None, **variables) -> str:
    """Return `message` as the app shows it in `lang` (with `plural`: ngettext on `num`),
    whatever the catalogues hold today."""
    from flask_babel import force_locale, gettext, ngettext

    with app.test_request_context(), force_locale(f"{lang}_CH"):
        if plural is not None:
            return ngettext(message, plural, variables.pop("num"), **variables)
        return gettext(message, **variables)


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _CollectingHandler:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        import email
        from email import policy

        if self.refuse:
            return "451 Requested action aborted: try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); `.messages` holds what it received."""
    from aiosmtpd.controller import Controller

    handler = _CollectingHandler()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def mail_app_config(app_config: dict, smtp_server) -> dict:
    """App configuration pointing at the test SMTP server."""
    app_config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port})
    return app_config


@pytest.fixture(scope="session")
def ralph_models() -> Iterator:
    """Ralph's xAPI models (in Ralph's own virtualenv) for statement-shape checks."""
    from tests.lrs.ralph_venv import RalphModels

    models = RalphModels()
    yield models
    models.close()
