"""Benchmark (not part of the suite): queue N messages, then time ONE `flask mail deliver` run.

    .venv/bin/python benchmarks/mail.py [--count 50000] [--database URL] [--batch 500]
                                        [--workers N]

A local aiosmtpd server in its own process stands for the relay and counts what it receives
and over how many connections. Without --database a throw-away SQLite file is used (the
schema comes from the migrations, as always). Prints the messages per second of the delivery
run and its ratio to a baseline measured in the same run: the time to queue the messages.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# The relay: counts messages and distinct client connections; prints them when told to stop.
SERVER = textwrap.dedent(
    """
    import signal, sys, threading
    from aiosmtpd.controller import Controller

    class Counting:
        def __init__(self):
            self.messages = 0
            self.peers = set()
        async def handle_DATA(self, server, session, envelope):
            self.messages += 1
            self.peers.add(session.peer)
            return "250 OK"

    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(handler.messages, len(handler.peers), flush=True)
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: SQLite)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=None, help="default: the command's")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mail-bench-"))
    url = args.database or f"sqlite:///{work / 'bench.sqlite3'}"
    port = _free_port()
    env = {
        **os.environ,
        "INSTANCE_PATH": str(work),
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-" + "x" * 40,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DELIVERY": "off",
        "LOG_LEVEL": "WARNING",
        "FLASK_APP": "wsgi.py",
    }
    os.environ.update(env)
    sys.path.insert(0, str(REPO))

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.notifications.models import OutboxEmail
    from app.notifications.operations import enqueue_emails

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        db.session.execute(OutboxEmail.__table__.delete())
        db.session.commit()
        started = time.perf_counter()
        enqueue_emails(
            db.session,
            [
                {
                    "to_address": f"person{n}@example.org",
                    "subject": f"Reminder: the tax declaration module is due ({n})",
                    "body_text": "Hello,\n\nplease finish the module by Friday.\n" * 5,
                    "dedupe_key": f"bench:{n}",
                }
                for n in range(args.count)
            ],
        )
        db.session.commit()
        queue_seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()

    relay = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert relay.stdout is not None
    assert relay.stdout.readline().strip() == "ready"
    try:
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        run = subprocess.run(
            [
                str(REPO / ".venv/bin/flask"),
                "mail",
                "deliver",
                "--batch",
                str(args.batch),
                *(["--workers", str(args.workers)] if args.workers else []),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        deliver_seconds = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
    finally:
        relay.terminate()
        received, connections = (int(x) for x in relay.communicate(timeout=30)[0].split())
    relay_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    relay_cpu = (relay_usage.ru_utime - cpu_after.ru_utime) + (
        relay_usage.ru_stime - cpu_after.ru_stime
    )
    if run.returncode != 0:
        print(run.stdout, run.stderr, file=sys.stderr)
        return 1

    with app.app_context():
        unsent = db.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
        )
        ids = db.session.scalar(select(func.count(func.distinct(OutboxEmail.message_id))))
        db.engine.dispose()

    database = url.split(":", 1)[0]
    rate = args.count / deliver_seconds
    print(f"database            {database}")
    print(f"messages queued     {args.count}  in {queue_seconds:.2f} s (baseline)")
    print(f"one deliver run     {deliver_seconds:.1f} s  ({run.stdout.strip()})")
    print(f"messages/s          {rate:.0f}")
    per_message = 1000 * cpu_seconds / args.count
    print(f"deliver CPU         {cpu_seconds:.1f} s ({per_message:.2f} ms/message)")
    print(f"relay CPU           {relay_cpu:.1f} s ({1000 * relay_cpu / args.count:.2f} ms/message)")
    print(f"machine load        {os.getloadavg()[0]:.1f} (1-minute average, {os.cpu_count()} CPUs)")
    # On one connection sender and relay take turns, so an otherwise idle machine needs about
    # their sum; loops side by side (PostgreSQL) overlap them, down to the larger of the two.
    print(
        f"idle-machine need   ~{cpu_seconds + relay_cpu:.0f} s with one loop, "
        f"~{max(cpu_seconds, relay_cpu):.0f} s when loops overlap"
    )
    print(f"ratio to baseline   {deliver_seconds / queue_seconds:.1f}x the time to queue them")
    # The relay tells connections apart by client port, which the system may reuse.
    print(f"relay received      {received} over {connections} client ports")
    print(f"left unsent         {unsent}; distinct Message-IDs {ids}")
    ok = received == args.count and unsent == 0 and deliver_seconds < 120
    print("target (< 120 s, none lost, none doubled):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
