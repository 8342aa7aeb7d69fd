"""The stale-translation completion rule (issue 12): one home, in app.tracking.completion."""

from __future__ import annotations

from sqlalchemy import select

from app.content.models import ModuleVariant
from app.extensions import db
from app.tracking.completion import (
    STALE_TRANSLATION_RULE,
    is_module_complete,
)
from app.tracking.models import Completion
from tests.factories import make_org, make_user
from tests.tracking import helpers


def test_the_rule_says_what_the_code_does():
    # Decided: a completion on an out-of-date translation counts; the text says so.
    assert STALE_TRANSLATION_RULE.startswith("A completion on an out-of-date translation counts")
    # Every language variant counts, whatever its state: the rule has no exception in code.
    assert is_module_complete(
        variant_pages={1: [10, 11], 2: [20, 21]},  # 2: an out-of-date translation
        seen_pages=[20, 21],
        has_quiz=True,
        quiz_passed=True,
    )


def test_a_completion_on_an_out_of_date_translation_counts(app):
    org = make_org()
    learner = make_user(org.branch_a1, language="de")
    built = helpers.make_module(org.provider, languages={"fr": 2, "de": 2}, with_quiz=True)
    variant = db.session.scalar(
        select(ModuleVariant).where(
            ModuleVariant.version_id == built.current.id, ModuleVariant.language == "de"
        )
    )
    variant.is_outdated = True
    db.session.commit()
    helpers.read_pages(learner, built.page_ids("de"))
    helpers.take_quiz(learner, built.quiz, correct=True)
    completion = db.session.scalar(select(Completion).where(Completion.user_id == learner.id))
    assert completion is not None and completion.is_current


def test_pages_state_the_rule_from_its_one_home(app, client):
    assert app.jinja_env.globals["stale_translation_rule"] is STALE_TRANSLATION_RULE
