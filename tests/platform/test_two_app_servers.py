"""The reference deployment without containers: two gunicorn app servers on one PostgreSQL
behind nginx (compose.yaml describes the same shape with containers).

Proves what "stateless app servers" must mean: a session started on one server continues on
the other, the sign-in throttle counts failures from both, and the scheduler run from both
machines at the same moment assigns, reminds and e-mails nobody twice.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.campaigns.models import Assignment, SentReminder
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.models import Role
from tests.campaigns.builders import make_campaign, make_module
from tests.conftest import REPO, free_port
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.slow

SECRET = "two-servers-secret-" + "k" * 40
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _nginx() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """This test needs PostgreSQL (the reference deployment); the PostgreSQL pass runs it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("two app servers share one PostgreSQL: runs in the PostgreSQL pass")
    return database_url


@pytest.fixture
def app_config(app_config: dict, smtp_server) -> dict:
    app_config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port})
    return app_config


@dataclass
class Deployment:
    """Two app servers and the proxy in front of them."""

    proxy: str
    servers: tuple[str, str]
    logs: tuple[Path, Path]
    env: dict[str, str]

    def served_by(self, index: int) -> int:
        """How many requests server `index` has logged so far."""
        text = self.logs[index].read_text(errors="replace")
        return len(re.findall(r'" (?:200|302|303|400|403|404|429) ', text))


def _environment(database_url: str, smtp_port: int, proxy_port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "FLASK_", "TEST_DATABASE"))
    }
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{proxy_port}",
            "PROXY_FIX_HOPS": "1",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "DEFAULT_LOCALE": "en",
            "LOG_LEVEL": "WARNING",
            "FLASK_APP": "wsgi.py",
        }
    )
    return env


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            # Not listening yet, or too busy to answer in time on a loaded machine.
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within 60 s")


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _nginx_conf(folder: Path, listen: int, upstreams: list[int]) -> Path:
    servers = "\n".join(f"    server 127.0.0.1:{port};" for port in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
  access_log {folder / "access.log"};
{temp}
  uwsgi_temp_path {folder / "uwsgi"};
  scgi_temp_path {folder / "scgi"};
  upstream app {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{listen};
    location / {{
      proxy_pass http://app;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }}
  }}
}}
"""
    )
    return conf


@pytest.fixture
def deployment(postgres_url: str, smtp_server, tmp_path: Path) -> Iterator[Deployment]:
    nginx = _nginx()
    if nginx is None:
        if os.environ.get("REQUIRE_NGINX"):
            pytest.fail("nginx is not installed (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    ports = (free_port(), free_port())
    proxy_port = free_port()
    env = _environment(postgres_url, smtp_server.port, proxy_port)
    logs = (tmp_path / "server-a.log", tmp_path / "server-b.log")
    with ExitStack() as stack:
        for port, log in zip(ports, logs, strict=True):
            args = [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers=1",
                f"--bind=127.0.0.1:{port}",
                "--access-logfile=-",
                "--forwarded-allow-ips=127.0.0.1",
                "wsgi:app",
            ]
            process = stack.enter_context(_process(args, env, log))
            _wait_for(f"http://127.0.0.1:{port}", process, log)
        conf = _nginx_conf(tmp_path, proxy_port, list(ports))
        proxy = stack.enter_context(
            _process(
                [nginx, "-c", str(conf), "-e", str(tmp_path / "error.log")],
                env,
                tmp_path / "nginx.out",
            )
        )
        _wait_for(f"http://127.0.0.1:{proxy_port}", proxy, tmp_path / "error.log")
        yield Deployment(
            proxy=f"http://127.0.0.1:{proxy_port}",
            servers=tuple(f"http://127.0.0.1:{port}" for port in ports),
            logs=logs,
            env=env,
        )


def _sign_in(client: requests.Session, base: str, email: str, password: str) -> requests.Response:
    token = CSRF.search(client.get(f"{base}/login", timeout=10).text).group(1)
    return client.post(
        f"{base}/login",
        data={"csrf_token": token, "email": email, "password": password},
        timeout=30,
    )


def _figure(tick_output: str, name: str) -> int:
    """One figure of `flask campaigns tick`'s summary line (0 when the run stepped aside)."""
    match = re.search(rf"\b{name}=(\d+)", tick_output)
    return int(match.group(1)) if match else 0


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_session_and_the_throttle_span_both_servers(app, deployment):
    org = make_org()
    anna = make_user(org.branch_a1, Role.LEARNER, email="anna@example.org")
    make_user(org.branch_a2, Role.LEARNER, email="target@example.org")
    db.session.commit()
    a, b = deployment.servers

    # Signed in on server A, the same cookie is a signed-in session on server B.
    client = requests.Session()
    reply = _sign_in(client, a, anna.email, PASSWORD)
    assert reply.status_code == 200 and reply.url.endswith("/home"), reply.url
    on_b = client.get(f"{b}/home", timeout=10)
    assert on_b.status_code == 200 and "/login" not in on_b.url
    assert anna.first_name in on_b.text
    # A form served by B posts through A: the CSRF token lives in the shared signed session.
    token = CSRF.search(client.get(f"{b}/profile", timeout=10).text).group(1)
    signed_out = client.post(f"{a}/logout", data={"csrf_token": token}, timeout=10)
    assert signed_out.status_code == 200
    assert "/login" in client.get(f"{b}/home", timeout=10).url

    # Through the proxy, requests reach both servers.
    before = [deployment.served_by(i) for i in (0, 1)]
    browser = requests.Session()
    _sign_in(browser, deployment.proxy, anna.email, PASSWORD)
    for _ in range(6):
        assert browser.get(f"{deployment.proxy}/home", timeout=10).status_code == 200
    after = [deployment.served_by(i) for i in (0, 1)]
    assert after[0] > before[0] and after[1] > before[1], (before, after)

    # Five wrong passwords, spread over both servers, close the account to the sixth try,
    # even with the right password and on either server.
    attacker = requests.Session()
    for server in (a, b, a, b, a):
        wrong = _sign_in(attacker, server, "target@example.org", "not the password at all")
        assert "password is not correct" in wrong.text or "wrong password" in wrong.text
    refused = _sign_in(requests.Session(), b, "target@example.org", PASSWORD)
    assert "Too many attempts with a wrong password" in refused.text
    assert "/home" not in refused.url


def test_ticks_from_both_servers_at_once_do_nothing_twice(app, deployment, smtp_server):
    org = make_org()
    modules = [make_module(org.provider) for _ in range(2)]
    people = [
        make_user(
            (org.branch_a1, org.branch_a2, org.branch_b1)[n % 3],
            Role.LEARNER,
            email=f"p{n}@example.org",
        )
        for n in range(30)
    ]
    make_campaign(
        owner_unit=org.network, modules=modules, units=[org.network], schedule=True, roles=[]
    )
    db.session.commit()

    def tick_from_both(now: str, *extra: str) -> list[str]:
        args = [sys.executable, "-m", "flask", "campaigns", "tick", "--now", now, *extra]
        runs = [
            subprocess.Popen(
                args,
                cwd=REPO,
                env=deployment.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _server in deployment.servers
        ]
        outputs = [run.communicate(timeout=180)[0] for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        return outputs

    # Launch day, from both machines at once, as cron would start them: when they overlap,
    # the advisory lock lets one run and the other steps aside; either way, once.
    launch = tick_from_both("2027-02-01T07:00:00+01:00")
    assert sum(_figure(out, "assigned") for out in launch) == len(people) * len(modules)
    assert sum(_figure(out, "mail_sent") for out in launch) == len(people)
    assert _count(Assignment) == len(people) * len(modules)
    # A week later, with the lock switched off: the database constraints alone decide.
    week = tick_from_both("2027-02-08T07:00:00+01:00", "--no-lock")
    assert sum(_figure(out, "reminders") for out in week) == len(people), week
    assert _count(Assignment) == len(people) * len(modules)

    reminders = db.session.execute(
        select(SentReminder.campaign_id, SentReminder.user_id, SentReminder.step)
    ).all()
    assert len(reminders) == len(set(reminders))
    outbox = db.session.scalars(select(OutboxEmail)).all()
    keys = Counter((m.to_address, m.subject) for m in outbox)
    assert outbox and max(keys.values()) == 1, keys.most_common(3)
    # Every queued message went out once, over the wire, to the real SMTP server.
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == len(set(ids)) == len(outbox)
    assert all(m.sent_at is not None for m in outbox)
