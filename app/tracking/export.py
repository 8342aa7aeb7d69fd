"""A learner's personal data (statements, completions, progress) as JSON and CSV files.

No database access: takes rows from `app.tracking.personal_record`, returns documents. CSV goes
through the shared formula-injection guard in `app.web.csv_export`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from app.tracking.certificates import format_code
from app.tracking.personal_record import PageProgressRow
from app.tracking.queries import CompletionRow
from app.web.csv_export import csv_bytes

CSV_TABLES = ("statements", "completions", "progress")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def completion_json(row: CompletionRow) -> dict[str, Any]:
    """Return one completion as JSON (personal data export and API)."""
    return {
        "module": row.module_slug,
        "version": row.version_number,
        "number": row.number,
        "completed_at": _iso(row.completed_at),
        "score_percent": row.score_percent,
        "expires_at": _iso(row.expires_at),
        "is_current": row.is_current,
        "status": row.status.value,
    }


def personal_data(
    *,
    user: Any,
    statements: Sequence[dict[str, Any]],
    completions: Sequence[CompletionRow],
    pages: Sequence[PageProgressRow],
    now: datetime,
) -> dict[str, Any]:
    """Return everything the platform recorded about a learner's learning, as one document."""
    return {
        "exported_at": _iso(now),
        "learner": {
            "id": user.id,
            "name": user.display_name,
            "email": user.email,
        },
        "statements": list(statements),
        "completions": [
            {
                **completion_json(row),
                "certificate_code": format_code(row.certificate_code)
                if row.certificate_code
                else None,
            }
            for row in completions
        ],
        "page_progress": [
            {
                "module": row.module_slug,
                "version": row.version_number,
                "language": row.language,
                "page": row.position + 1,
                "title": row.page_title,
                "cycle": row.cycle,
                "seen_at": _iso(row.seen_at),
            }
            for row in pages
        ],
    }


def statements_csv(statements: Sequence[dict[str, Any]]) -> bytes:
    """Return the learner's statements as CSV, one row per statement."""
    return csv_bytes(STATEMENT_CSV_HEADER, statement_rows_for_csv(statements))


def completions_csv(rows: Sequence[CompletionRow]) -> bytes:
    """Return the learner's completions as CSV."""
    header = (
        "module",
        "version",
        "number",
        "completed_at",
        "score_percent",
        "expires_at",
        "status",
        "is_current",
        "certificate_code",
    )
    return csv_bytes(
        header,
        (
            (
                row.module_slug,
                row.version_number,
                row.number,
                _iso(row.completed_at),
                row.score_percent,
                _iso(row.expires_at),
                row.status.value,
                row.is_current,
                format_code(row.certificate_code) if row.certificate_code else "",
            )
            for row in rows
        ),
    )


def progress_csv(rows: Sequence[PageProgressRow]) -> bytes:
    """Return the pages the learner has seen as CSV."""
    header = ("module", "version", "language", "page", "title", "cycle", "seen_at")
    return csv_bytes(
        header,
        (
            (
                row.module_slug,
                row.version_number,
                row.language,
                row.position + 1,
                row.page_title,
                row.cycle,
                _iso(row.seen_at),
            )
            for row in rows
        ),
    )


def statement_rows_for_csv(statements: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Flatten xAPI statements into the columns of the personal data CSV."""
    rows = []
    for body in statements:
        definition = body.get("object", {}).get("definition", {})
        name = definition.get("name") or {}
        result = body.get("result") or {}
        score = result.get("score") or {}
        rows.append(
            [
                body.get("id"),
                body.get("timestamp"),
                body.get("stored"),
                body.get("verb", {}).get("display", {}).get("en-US"),
                body.get("object", {}).get("id"),
                next(iter(name.values()), ""),
                score.get("scaled"),
                result.get("success"),
                result.get("completion"),
                result.get("duration"),
                (body.get("context") or {}).get("registration"),
            ]
        )
    return rows


STATEMENT_CSV_HEADER = (
    "statement_id",
    "timestamp",
    "stored",
    "verb",
    "object",
    "object_name",
    "score_scaled",
    "success",
    "completion",
    "duration",
    "registration",
)
