"""The two write scenarios: saving an answer (the attempt page's autosave) and submitting.

Both are real POSTs with the CSRF token of the attempt page, by generated learners other than
the pages' learner, on the quizzes of published modules (generated quizzes: unlimited attempts,
no cool-down, no time limit, single-choice questions).

- "save answer": `POST /attempts/<id>/answers` with JSON `{question_id, response}`, as the
  page's script sends it. Each virtual user saves the right answer to the first question of
  an open attempt of its own, again and again (the first save inserts, the next ones update).
- "submit": `POST /attempts/<id>/submit`, the confirmation page's form (answered with a 303 to
  the result). A submitted attempt cannot be submitted again, so before each phase, unmeasured,
  every request gets an attempt of its own: started (`POST /quizzes/<slug>/attempts`) and
  answered right on every question through the autosave, so each submit grades a passed
  attempt and records attempted, one answered per question and passed (and the completion of
  the module when the learner has read all its pages). A learner has one open attempt per
  quiz, so the attempts of a phase go to different (learner, quiz) pairs; pairs are used
  again in the next phase, once their attempts were submitted.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import requests
import sqlalchemy as sa

from bench.measure import Lane, Request, measure_scenario, send
from bench.scenarios import csrf_of, sign_in

_LEARNERS = """
SELECT email FROM users WHERE hr_number LIKE 'GEN-%P%' AND is_active AND email <> :skip
ORDER BY id LIMIT :count
"""
_QUIZZES = """
SELECT q.slug, v.definition FROM quizzes q JOIN quiz_versions v ON v.id = q.current_version_id
JOIN modules m ON m.id = q.module_id WHERE m.status = 'published' ORDER BY q.id
"""
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class QuizToTake:
    """A quiz and the right answer to each of its fixed questions."""

    slug: str
    answers: dict[str, Any]


@dataclass
class Taker:
    """A signed-in learner and the CSRF token of their attempt pages."""

    session: requests.Session
    token: str = ""
    has_attempt_token: bool = False


@dataclass
class Attempts:
    """Starts and answers attempts on (learner, quiz) pairs: pair k is learner k mod L."""

    base: str
    takers: list[Taker]
    quizzes: list[QuizToTake]
    open_ids: dict[int, int] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        """How many attempts can be open at once (one per learner and quiz)."""
        return len(self.takers) * len(self.quizzes)

    def pair(self, k: int) -> tuple[Taker, QuizToTake]:
        """The learner and quiz of pair k."""
        return self.takers[k % len(self.takers)], self.quizzes[k // len(self.takers)]

    def start(self, k: int, *, answer: bool) -> int:
        """Start (or resume) the attempt of pair k; with `answer`, save every right answer."""
        taker, quiz = self.pair(k)
        session = taker.session
        if not taker.token:
            taker.token = csrf_of(session, f"{self.base}/quizzes/{quiz.slug}")
        started = send(
            session,
            self.base,
            Request("POST", f"/quizzes/{quiz.slug}/attempts", data={"csrf_token": taker.token}),
        )
        if started.status_code != 303:
            raise RuntimeError(f"starting {quiz.slug} failed: HTTP {started.status_code}")
        attempt_id = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        if not taker.has_attempt_token:  # the token the attempt page gives its script
            taker.token = csrf_of(session, f"{self.base}/attempts/{attempt_id}")
            taker.has_attempt_token = True
        self.open_ids[k] = attempt_id
        for question_id, response in quiz.answers.items() if answer else ():
            saved = send(session, self.base, self.save_request(k, question_id, response))
            if saved.status_code != 200:
                raise RuntimeError(f"saving {attempt_id}/{question_id}: HTTP {saved.status_code}")
        return attempt_id

    def save_request(self, k: int, question_id: str, response: Any) -> Request:
        """The autosave of one answer to pair k's open attempt."""
        taker, _quiz = self.pair(k)
        return Request(
            "POST",
            f"/attempts/{self.open_ids[k]}/answers",
            json={"question_id": question_id, "response": response},
            headers={**JSON, "X-CSRFToken": taker.token},
        )

    def submit_job(self, k: int) -> tuple[requests.Session, Request]:
        """Pair k's open attempt submitted from the confirmation page's form (a 303)."""
        taker, _quiz = self.pair(k)
        clone = requests.Session()  # one per request: lanes never share a session
        clone.cookies.update(taker.session.cookies)
        data = {"csrf_token": taker.token}
        return clone, Request("POST", f"/attempts/{self.open_ids.pop(k)}/submit", data, ok=(303,))


def _right_answers(definition: dict[str, Any]) -> dict[str, Any]:
    """The right option of each single-choice question (other types are left unanswered)."""
    if isinstance(definition, str):  # SQLite hands JSON over as text
        definition = json.loads(definition)
    answers = {}
    for question in definition.get("questions", []):
        right = [o["id"] for o in question.get("options", []) if o.get("correct")]
        if question.get("type") == "single" and right:
            answers[question["id"]] = right[0]
    return answers


def _find(database_url: str, skip: str, clients: int, wanted: int) -> tuple[list, list]:
    """The learners and quizzes: enough learners for `clients` lanes and `wanted` attempts."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(_QUIZZES)).all()
        quizzes = [QuizToTake(slug, _right_answers(definition)) for slug, definition in rows]
        quizzes = [quiz for quiz in quizzes if quiz.answers]
        count = max(clients, math.ceil(wanted / max(1, len(quizzes))))
        emails = list(conn.execute(sa.text(_LEARNERS), {"skip": skip, "count": count}).scalars())
    engine.dispose()
    return emails, quizzes


def _split(jobs: list, clients: int) -> list[Lane]:
    """Deal the jobs round-robin to `clients` lanes (pair k goes to lane k mod clients)."""
    return [jobs[index::clients] for index in range(clients)]


def measure(ctx: dict[str, Any], database_url: str, skip: str) -> dict[str, dict]:
    """Measure "save answer" and "submit"; rows by scenario name (see the module's note)."""
    total, clients = ctx["requests"], max(ctx["concurrency"])
    wanted = max(total, clients)
    emails, quizzes = _find(database_url, skip, clients, wanted)
    if not quizzes or len(emails) * len(quizzes) < wanted:
        missing = {"missing": True}
        return {"save answer": missing, "submit": missing}
    attempts = Attempts(ctx["base"], [Taker(sign_in(ctx["base"], e)) for e in emails], quizzes)

    def save_lanes(clients: int, count: int) -> list[Lane]:
        lanes = []
        for k in range(clients):
            if k not in attempts.open_ids:
                attempts.start(k, answer=False)
            question_id, response = next(iter(attempts.pair(k)[1].answers.items()))
            job = (attempts.pair(k)[0].session, attempts.save_request(k, question_id, response))
            lanes.append([job] * (count // clients + (1 if k < count % clients else 0)))
        return lanes

    def submit_lanes(clients: int, count: int) -> list[Lane]:
        for k in range(count):
            attempts.start(k, answer=True)
        return _split([attempts.submit_job(k) for k in range(count)], clients)

    return {
        "save answer": measure_scenario(ctx, save_lanes, total),
        "submit": measure_scenario(ctx, submit_lanes, total),
    }
