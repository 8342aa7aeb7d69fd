"""The learner's commonest write: "next page", the reader's Next button.

`POST /modules/<slug>/pages/<n>/done` with the reader's form (CSRF token, version, language),
answered by a 303 to the next page, the quiz or the module page. Each request reads a page the
learner has not read before, so each one records what a real first read records: the reading
position, `experienced` (and `launched` on a module's first page), the page's progress, and on
the last page of a module without a quiz its completion (`completed`, completion, certificate).
The reader page scenario, by contrast, only shows a page again.

The learners are generated learners other than the pages' learner and those of the quiz
writes, one per client; each reads the current version of the modules they never started, page by
page, in the modules' source language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests
import sqlalchemy as sa

from bench.measure import Lane, Request, measure_scenario
from bench.scenarios import csrf_of, sign_in

# The last learners by id: the quiz writes take the first ones, whose modules this would finish.
_LEARNERS = """
SELECT email FROM users WHERE hr_number LIKE 'GEN-%P%' AND is_active AND email <> :skip
ORDER BY id DESC LIMIT :count
"""
_UNREAD = """
SELECT m.slug, v.id, mv.language, count(p.id)
FROM modules m
JOIN module_versions v ON v.id = m.current_version_id
JOIN module_variants mv ON mv.version_id = v.id AND mv.language = m.source_language
JOIN module_pages p ON p.variant_id = mv.id
WHERE m.status = 'published' AND NOT EXISTS (
    SELECT 1 FROM module_progress g JOIN users u ON u.id = g.user_id
    WHERE u.email = :email AND g.module_id = m.id
)
GROUP BY m.id, m.slug, v.id, mv.language
ORDER BY m.id
"""


@dataclass
class Reader:
    """A signed-in learner and the pages they have not read yet, in reading order."""

    session: requests.Session
    pages: Iterator[Request]


def _pages(rows: list[Any], token: str) -> Iterator[Request]:
    for slug, version_id, language, count in rows:
        for number in range(1, count + 1):
            data = {"csrf_token": token, "version_id": str(version_id), "language": language}
            yield Request("POST", f"/modules/{slug}/pages/{number}/done", data, ok=(303,))


def measure(ctx: dict[str, Any], database_url: str, skip: str) -> dict[str, dict]:
    """Measure "next page" (see the module's note); the row by scenario name."""
    total, clients = ctx["requests"], max(ctx["concurrency"])
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        emails = list(conn.execute(sa.text(_LEARNERS), {"skip": skip, "count": clients}).scalars())
        unread = {e: conn.execute(sa.text(_UNREAD), {"email": e}).all() for e in emails}
    engine.dispose()
    # The first learner reads the probe, the warm-up and the one-client phase; every learner
    # reads its share of the last phase.
    needed = dict.fromkeys(emails, total // clients + 1)
    if emails:
        needed[emails[0]] += 4 + total
    if len(emails) < clients or any(sum(row[3] for row in unread[e]) < needed[e] for e in emails):
        return {"next page": {"missing": True}}
    readers = []
    for email in emails:
        session = sign_in(ctx["base"], email)
        slug = unread[email][0][0]
        token = csrf_of(session, f"{ctx['base']}/modules/{slug}/pages/1")
        readers.append(Reader(session, _pages(unread[email], token)))

    def lanes_for(clients: int, count: int) -> list[Lane]:
        return [
            [
                (readers[k].session, next(readers[k].pages))
                for _ in range(count // clients + (1 if k < count % clients else 0))
            ]
            for k in range(clients)
        ]

    return {"next page": measure_scenario(ctx, lanes_for, total)}
