"""The database of a run (generated once, copied per run) and the timed `flask` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


def flask(repo: Path, venv_bin: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run one `flask` command; return its wall time and its output (raises if it fails)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(venv_bin / "flask"), *args], cwd=repo, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


@dataclass
class Database:
    """The pristine generated database of a size and the copy one run works on."""

    pristine: str
    url: str


def _sqlite(data_dir: Path, size: str, fresh: bool) -> tuple[str, str, bool]:
    pristine = data_dir / f"bench-{size}.sqlite3"
    if fresh:
        for path in data_dir.glob(f"bench-{size}.sqlite3*"):
            path.unlink()
    return (
        f"sqlite:///{pristine}",
        f"sqlite:///{data_dir / f'bench-{size}-run.sqlite3'}",
        (pristine.exists()),
    )


def _pg_exists(admin: sa.Engine, name: str) -> bool:
    with admin.connect() as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        return found.first() is not None


def _pg_recreate(admin: sa.Engine, name: str, template: str | None = None) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        if template and conn.dialect.server_version_info >= (15,):
            # A file copy: PostgreSQL 15's default writes every block of the ~20 GB L database
            # to the WAL too (about twice the time).
            suffix += " STRATEGY FILE_COPY"
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))


def prepare(
    repo: Path, venv_bin: Path, env: dict[str, str], kind: str, size: str, options: dict
) -> tuple[Database, float | None]:
    """Generate the size's database unless it exists; give the run a fresh copy of it.

    Returns the database and the generation time (None when an existing one was reused).
    """
    size = size.upper()
    if kind == "sqlite":
        data_dir = Path(options["data_dir"])
        data_dir.mkdir(parents=True, exist_ok=True)
        pristine, run_url, exists = _sqlite(data_dir, size, options["fresh"])
    else:
        base = sa.make_url(options["url"])
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = f"counter_ready_bench_{size.lower()}"
        exists = _pg_exists(admin, name) and not options["fresh"]
        if not exists:
            _pg_recreate(admin, name)
        pristine = base.set(database=name).render_as_string(hide_password=False)
        run_url = base.set(database=f"{name}_run").render_as_string(hide_password=False)
    generated = None
    if not exists:
        gen_env = dict(env, DATABASE_URL=pristine)
        flask(repo, venv_bin, gen_env, "db", "upgrade")
        generated, output = flask(repo, venv_bin, gen_env, "demo", "generate", "--size", size)
        print(output.rstrip())
    if kind == "sqlite":
        source, target = Path(pristine[len("sqlite:///") :]), Path(run_url[len("sqlite:///") :])
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        if Path(f"{source}-wal").exists():
            shutil.copyfile(f"{source}-wal", f"{target}-wal")
    else:
        _pg_recreate(admin, f"counter_ready_bench_{size.lower()}_run", template=name)
        admin.dispose()
    return Database(pristine, run_url), generated


class SmtpSink:
    """A local SMTP server that accepts and counts messages (the relay of `flask mail deliver`)."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages = 0
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink.messages += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


def environment(database_url: str, instance: Path) -> dict[str, str]:
    """Return the environment every process of a run shares."""
    return dict(
        os.environ,
        APP_ENV="development",
        DATABASE_URL=database_url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY="benchmark-secret-key-" + "x" * 40,
        FLASK_APP="wsgi",
        LOG_LEVEL="WARNING",
        MAIL_DELIVERY="off",
        # The benchmark signs in hundreds of times from one address.
        LOGIN_LIMIT_PER_ADDRESS="100000",
    )
