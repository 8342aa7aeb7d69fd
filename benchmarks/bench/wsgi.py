"""The application as the benchmark serves it: the real app plus two measuring aids.

- `/bench/bare`: a bare Flask app mounted beside the real one in the same worker, the baseline
  every page's CPU time is divided by (what Flask and gunicorn cost without the platform).
- `X-Bench-SQL`: every response of the real app says how many SQL statements it executed
  (counted with a SQLAlchemy cursor event, from the request's start to its response).

Only the benchmark loads this module (`gunicorn bench.wsgi:application`); the app itself is
unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response
from sqlalchemy import event
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app
from app.extensions import db

app = create_app()
_count = threading.local()


def _on_execute(*_args: Any, **_kwargs: Any) -> None:
    _count.sql = getattr(_count, "sql", 0) + 1


with app.app_context():
    event.listen(db.engine, "before_cursor_execute", _on_execute)


@app.before_request
def _reset_count() -> None:
    _count.sql = 0


@app.after_request
def _report_count(response: Response) -> Response:
    response.headers["X-Bench-SQL"] = str(getattr(_count, "sql", 0))
    return response


bare = Flask("bare")


@bare.get("/bare")
def bare_endpoint() -> str:
    """Answer like the smallest Flask view: the baseline."""
    return "ok"


application = DispatcherMiddleware(app, {"/bench": bare})
