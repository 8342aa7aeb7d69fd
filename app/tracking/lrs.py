"""Forwarding statements to an external Learning Record Store, from the outbox, with retries.

Enabled by `XAPI_LRS_URL` (the LRS's xAPI endpoint, e.g. `https://lrs.example/xAPI/`) with
`XAPI_LRS_USERNAME` / `XAPI_LRS_PASSWORD` (HTTP Basic). Recording a statement only adds an
outbox row in the learner's transaction; sending happens later, from `flask tracking forward`
(cron, a systemd timer) or `forward_due()` called by a scheduler, or in a background thread
after the request when `XAPI_LRS_DELIVERY=thread`. A slow or absent LRS never slows learning.

How a batch travels:
1. claim: in a short transaction, pick due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
   runners never pick the same rows; SQLite's write lock does the same), give them a lease
   (`claimed_until`) and a claim token, commit;
2. send: one `POST <endpoint>/statements` with the list of statements, outside any transaction
   (an HTTP call must never hold the database's write lock);
3. settle: after a 2xx, mark the rows sent (only rows still holding our token); otherwise count
   the attempt and retry later with exponential back-off. A 4xx other than 408/429 will not get
   better by waiting: a refused batch is retried one statement at a time, and a statement the
   LRS refuses on its own is parked (`failed_at`) for a person to look at.

POST with a list rather than one PUT per statement: one request per batch, and it is just as
idempotent, because every statement carries its own id (xAPI 1.0.3, Communication 2.1.2: an
LRS does not store a statement id twice; Ralph answers 204 for a batch it already has). Rows
are marked sent only after the LRS said 2xx, so nothing is skipped; the one way a batch can
travel twice (a crash between the LRS's answer and our commit) is absorbed by those ids.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.tracking.models import Statement, StatementOutbox
from app.tracking.statements import XAPI_VERSION

log = logging.getLogger(__name__)

MAX_BACKOFF_MINUTES = 60


@dataclass(frozen=True)
class LrsSettings:
    """Where the LRS is and how to talk to it."""

    url: str
    username: str = ""
    password: str = ""
    timeout: float = 10.0
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)

    @property
    def statements_url(self) -> str:
        """Return the URL of the LRS's statements resource."""
        return self.url.rstrip("/") + "/statements"


def lrs_settings_from_config() -> LrsSettings | None:
    """Read the LRS settings of the running app (None: forwarding is off)."""
    config = current_app.config
    url = config.get("XAPI_LRS_URL")
    if not url:
        return None
    return LrsSettings(
        url=url,
        username=config.get("XAPI_LRS_USERNAME") or "",
        password=config.get("XAPI_LRS_PASSWORD") or "",
        timeout=float(config.get("XAPI_LRS_TIMEOUT") or 10),
        batch_size=int(config.get("XAPI_LRS_BATCH") or 50),
    )


class LrsError(Exception):
    """The LRS did not accept a batch; `permanent` when retrying the same request is futile."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        """Tell whether the LRS refused the content itself (4xx other than 408 and 429)."""
        status = self.status
        return status is not None and 400 <= status < 500 and status not in (408, 429)


def post_statements(settings: LrsSettings, statements: list[dict[str, Any]]) -> int:
    """Send statements in one POST; return the HTTP status (2xx) or raise LrsError."""
    body = json.dumps(statements, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    credentials = f"{settings.username}:{settings.password}".encode()
    request = urllib.request.Request(
        settings.statements_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Experience-API-Version": XAPI_VERSION,
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "User-Agent": "CounterReady-xAPI/1.0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").replace("\n", " ")
        raise LrsError(f"HTTP {exc.code}: {detail}", status=exc.code) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LrsError(f"{type(exc).__name__}: {reason}") from exc


def backoff(attempts: int) -> timedelta:
    """Wait longer after each failure: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_MINUTES))


@dataclass
class ForwardReport:
    """What one forwarding run did."""

    sent: int = 0
    failed: int = 0
    parked: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, parked {self.parked}"


def _claim(
    session: Session, settings: LrsSettings, now: datetime, token: str
) -> list[tuple[int, dict[str, Any]]]:
    """Lease a batch of due rows to this runner; return (outbox id, statement) pairs."""
    query = (
        select(StatementOutbox.id)
        .where(
            StatementOutbox.sent_at.is_(None),
            StatementOutbox.failed_at.is_(None),
            StatementOutbox.next_attempt_at <= now,
            (StatementOutbox.claimed_until.is_(None)) | (StatementOutbox.claimed_until < now),
        )
        .order_by(StatementOutbox.id)
        .limit(settings.batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        session.commit()
        return []
    session.execute(
        update(StatementOutbox)
        .where(StatementOutbox.id.in_(ids))
        .values(claimed_until=now + settings.lease, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(StatementOutbox.id, Statement.payload)
        .join(Statement, Statement.id == StatementOutbox.statement_id)
        .where(StatementOutbox.id.in_(ids))
        .order_by(StatementOutbox.id)
    ).all()
    session.commit()
    return [(row_id, payload) for row_id, payload in rows]


def _settle(
    session: Session,
    ids: list[int],
    token: str,
    now: datetime,
    error: LrsError | None,
    *,
    park: bool = False,
) -> None:
    """Record the outcome of a send for rows still holding our claim, and commit."""
    for row in session.scalars(
        select(StatementOutbox).where(
            StatementOutbox.id.in_(ids), StatementOutbox.claim_token == token
        )
    ):
        row.attempts += 1
        row.claimed_until = None
        row.claim_token = None
        if error is None:
            row.sent_at = now
            row.last_error = None
        else:
            row.last_error = str(error)[:500]
            if park:
                row.failed_at = now
            else:
                row.next_attempt_at = now + backoff(row.attempts)
    session.commit()


def forward_due(
    session: Session,
    settings: LrsSettings,
    now: datetime | None = None,
    *,
    max_batches: int = 100,
) -> ForwardReport:
    """Send every due statement in batches (commits); stops at the first failing batch."""
    now = now or utcnow()
    report = ForwardReport()
    for _ in range(max_batches):
        token = secrets.token_hex(8)
        batch = _claim(session, settings, now, token)
        if not batch:
            break
        report.batches += 1
        ids = [row_id for row_id, _payload in batch]
        try:
            post_statements(settings, [payload for _row_id, payload in batch])
        except LrsError as exc:
            if exc.permanent and len(batch) > 1:
                log.warning("LRS refused a batch of %s (%s); sending one by one", len(batch), exc)
                _one_by_one(session, settings, batch, token, now, report)
                continue
            _settle(session, ids, token, now, exc, park=exc.permanent)
            if exc.permanent:
                report.parked += len(ids)
                log.error("LRS refused statement outbox id=%s for good: %s", ids, exc)
                continue
            report.failed += len(ids)
            log.warning("LRS unreachable, %s statement(s) will be retried: %s", len(ids), exc)
            break
        _settle(session, ids, token, now, None)
        report.sent += len(ids)
    if report.batches:
        log.info("LRS forwarding: %s", report)
    return report


def _one_by_one(
    session: Session,
    settings: LrsSettings,
    batch: list[tuple[int, dict[str, Any]]],
    token: str,
    now: datetime,
    report: ForwardReport,
) -> None:
    for row_id, payload in batch:
        try:
            post_statements(settings, [payload])
        except LrsError as exc:
            _settle(session, [row_id], token, now, exc, park=exc.permanent)
            if exc.permanent:
                report.parked += 1
                log.error("LRS refused statement %s for good: %s", payload.get("id"), exc)
            else:
                report.failed += 1
            continue
        _settle(session, [row_id], token, now, None)
        report.sent += 1


def forward_from_config(session: Session, now: datetime | None = None) -> ForwardReport | None:
    """For schedulers: forward what is due with the app's settings (None when forwarding is off)."""
    settings = lrs_settings_from_config()
    if settings is None:
        return None
    return forward_due(session, settings, now)


def retry_parked(session: Session, now: datetime) -> int:
    """Put statements the LRS refused for good back in line (after fixing the cause)."""
    result = session.execute(
        update(StatementOutbox)
        .where(StatementOutbox.failed_at.is_not(None), StatementOutbox.sent_at.is_(None))
        .values(failed_at=None, next_attempt_at=now)
    )
    return int(result.rowcount or 0)


# --- in the background, after a request --------------------------------------------------


def _forward_in_thread(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        try:
            forward_from_config(db.session)
        except Exception:
            log.exception("LRS forwarding failed")
            db.session.rollback()
        finally:
            db.session.remove()


def forward_after_request() -> None:
    """With `XAPI_LRS_DELIVERY=thread`, forward once the current request has committed."""
    if not has_request_context() or current_app.config.get("XAPI_LRS_DELIVERY") != "thread":
        return
    if not current_app.config.get("XAPI_LRS_URL"):
        return
    from flask import after_this_request, g

    if g.get("_lrs_forward_scheduled"):
        return
    g._lrs_forward_scheduled = True
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    @after_this_request
    def _start(response: Any) -> Any:
        threading.Thread(target=_forward_in_thread, args=(app,), daemon=True).start()
        return response
