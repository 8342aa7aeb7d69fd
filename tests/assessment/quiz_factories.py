"""Builders for quiz tests: a quiz with every question type, modules, attempts and answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.assessment.models import Quiz
from app.assessment.operations import save_quiz_definition
from app.assessment.quiz_format import parse_quiz_text
from app.content.models import Module, ModuleStatus
from app.extensions import db
from tests.conftest import csrf_token_from

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

# Every text only the answer key holds carries a marker, so leakage tests can look for it.
ALL_TYPES_YAML = """\
id: {slug}
{module_line}title: All types check
pass_mark: 60
attempts: {attempts}
cooldown_minutes: {cooldown}
{time_limit_line}score: {score}
layout: {layout}
review: {review}
questions:
  - id: q-single
    type: single
    stem: Which log-in does the canton accept?
    explanation: EXPLAIN-SINGLE
    options:
      - id: opt-eid
        text: The eID
        correct: true
        feedback: FEEDBACK-SINGLE-RIGHT
      - id: opt-ahv
        text: The AHV number
        feedback: FEEDBACK-SINGLE-WRONG
  - id: q-multi
    type: multiple
    stem: Which documents are needed?
    options:
      - id: m-salary
        text: Salary statement
        weight: 50
      - id: m-receipts
        text: Receipts
        weight: 50
      - id: m-passport
        text: Passport
        weight: -50
        feedback: FEEDBACK-MULTI-PASSPORT
  - id: q-tf
    type: truefalse
    stem: The deadline is in March.
    answer: true
    feedback_true: FEEDBACK-TF-TRUE
    feedback_false: FEEDBACK-TF-FALSE
  - id: q-short
    type: short
    stem: Name the online counter.
    answers:
      - text: ZEPHYRPORTAL
        feedback: FEEDBACK-SHORT
  - id: q-num
    type: numeric
    stem: How much does a paper letter cost?
    answers:
      - value: 4242.5
        tolerance: 0.5
        feedback: FEEDBACK-NUMERIC
  - id: q-match
    type: matching
    stem: Match each service.
    pairs:
      - id: p-mail
        prompt: Digital mailbox
        match: Receives letters
      - id: p-proxy
        prompt: Proxy access
        match: Acts for a relative
    distractors:
      - Pays taxes
  - id: q-order
    type: ordering
    stem: Put the steps in order.
    items:
      - id: s-open
        text: Open the site
      - id: s-login
        text: Log in
      - id: s-fill
        text: Fill in the form
"""

RIGHT: dict[str, Any] = {
    "q-single": "opt-eid",
    "q-multi": ["m-salary", "m-receipts"],
    "q-tf": True,
    "q-short": " zephyrportal ",
    "q-num": "4242,5",
    "q-match": {"p-mail": "Receives letters", "p-proxy": "Acts for a relative"},
    "q-order": ["s-open", "s-login", "s-fill"],
}
WRONG: dict[str, Any] = {
    "q-single": "opt-ahv",
    "q-multi": ["m-passport"],
    "q-tf": False,
    "q-short": "nothing",
    "q-num": "-3",
    "q-match": {"p-mail": "Pays taxes", "p-proxy": "Receives letters"},
    "q-order": ["s-login", "s-fill", "s-open"],
}
# Strings that only the answer key holds: none may reach the browser while an attempt is open.
KEY_ONLY = (
    "FEEDBACK-",
    "EXPLAIN-",
    "ZEPHYRPORTAL",
    "4242",
)


def quiz_yaml(
    slug: str = "check-all",
    *,
    module: str | None = None,
    attempts: int = 3,
    cooldown: int = 10,
    time_limit: int | None = None,
    score: str = "highest",
    layout: str = "all_at_once",
    review: str = "after_submit",
) -> str:
    """The all-types quiz as a quiz file, with the settings a test needs."""
    return ALL_TYPES_YAML.format(
        slug=slug,
        module_line=f"module: {module}\n" if module else "",
        attempts=attempts,
        cooldown=cooldown,
        time_limit_line=f"time_limit_minutes: {time_limit}\n" if time_limit else "",
        score=score,
        layout=layout,
        review=review,
    )


def make_module(provider, slug: str = "mod-check", status=ModuleStatus.PUBLISHED) -> Module:
    """A module row (enough for quizzes to belong to it)."""
    module = Module(slug=slug, provider_id=provider.id, source_language="fr", status=status)
    db.session.add(module)
    db.session.commit()
    return module


def make_quiz(
    provider, text: str | None = None, *, module: Module | None = None, **settings
) -> Quiz:
    """Store a quiz (version 1) from quiz-file text, by default the all-types quiz."""
    if text is None:
        text = quiz_yaml(module=module.slug if module else None, **settings)
    definition, problems = parse_quiz_text(text, "test.yaml")
    assert definition is not None, [str(p) for p in problems]
    quiz, _version = save_quiz_definition(
        db.session,
        definition,
        provider_id=provider.id,
        module_id=module.id if module else None,
        now=NOW,
    )
    db.session.commit()
    return quiz


# -- a learner's browser, without JavaScript or with the autosave endpoint -------------------

JSON = {"Accept": "application/json"}


def start(client, quiz) -> int:
    """Press "start" on the quiz page; return the id of the attempt it leads to."""
    page = client.get(f"/quizzes/{quiz.slug}")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(f"/quizzes/{quiz.slug}/attempts", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def token_of(client, attempt_id: int) -> str:
    """The CSRF token of the attempt page (the session keeps it for later requests)."""
    return csrf_token_from(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))


def save(client, attempt_id, token, question_id, response):
    """Save one answer through the JSON endpoint, as the page's script does."""
    return client.post(
        f"/attempts/{attempt_id}/answers",
        json={"question_id": question_id, "response": response},
        headers={**JSON, "X-CSRFToken": token},
    )


def submit(client, attempt_id, token, **headers):
    """Submit the attempt from the confirmation page's form."""
    return client.post(
        f"/attempts/{attempt_id}/submit", data={"csrf_token": token}, headers=headers
    )


def form_fields(question_id: str, response) -> dict:
    """The form fields a browser without JavaScript posts for a response."""
    name = f"q-{question_id}"
    if question_id == "q-match":
        return {f"{name}-{pair}": value for pair, value in response.items()}
    if question_id == "q-order":
        return {f"{name}-{item}": str(i) for i, item in enumerate(response, start=1)}
    if question_id == "q-tf":
        return {name: "true" if response else "false"}
    return {name: response}
