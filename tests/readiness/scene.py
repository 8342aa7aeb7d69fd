"""The campaign scene of the readiness tests (unit, API, export and browser tests).

The clock is moved to `helpers.NOW` (15 February 2027) so that due dates mean the same in
every run. The campaign was due two days ago; in branch A1 Ann and Ben are ready and Cat has
done one of two modules; in A2 Dan has done nothing and Eve joined late (due in ten days);
in B1 Fay is ready and Gus has done nothing; B2 has nobody.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from app.assessment.models import Attempt, AttemptState, Quiz, QuizVersion
from app.extensions import db
from app.people.models import Role, User
from tests.factories import Org, make_org, make_user
from tests.readiness.helpers import (
    NOW,
    CampaignSetup,
    assign,
    complete,
    make_campaign,
    make_module,
)

_seeds = itertools.count(1)


@dataclass
class Scene:
    """The organisation, the campaign and the people of the readiness tests."""

    org: Org
    setup: CampaignSetup
    people: dict[str, User]
    admin: User
    network_manager: User
    region_a_manager: User
    a1_manager: User
    b1_manager: User
    trainer: User
    quiz: Quiz

    @property
    def campaign_id(self) -> int:
        return self.setup.campaign.id


def person(unit, first: str, last: str = "Muster") -> User:
    """A learner with a readable name."""
    user = make_user(unit)
    user.first_name, user.last_name = first, last
    db.session.commit()
    return user


def add_attempt(user: User, quiz: Quiz, version: QuizVersion, score: float) -> None:
    """A submitted attempt with a score (for the score distribution)."""
    number = db.session.query(Attempt).filter_by(user_id=user.id, quiz_id=quiz.id).count() + 1
    db.session.add(
        Attempt(
            user_id=user.id,
            quiz_id=quiz.id,
            quiz_version_id=version.id,
            number=number,
            state=AttemptState.SUBMITTED,
            seed=next(_seeds),
            question_ids=[],
            option_orders={},
            started_at=NOW - timedelta(days=5),
            submitted_at=NOW - timedelta(days=5),
            score_percent=score,
            is_passed=score >= 50,
        )
    )
    db.session.commit()


def build_scene() -> Scene:
    """Build the scene described in the module docstring."""
    org = make_org()
    m1 = make_module(org.provider, slug="tax-basics")
    m2 = make_module(org.provider, slug="tax-online")
    setup = make_campaign(
        org.network,
        [m1, m2],
        percent=80,
        min_per_branch=1,
        assign_at=NOW - timedelta(days=30),
        due_at=NOW - timedelta(days=2),
    )
    people = {
        "ann": person(org.branch_a1, "Ann"),
        "ben": person(org.branch_a1, "Ben"),
        "cat": person(org.branch_a1, "Cat"),
        "dan": person(org.branch_a2, "Dan"),
        "eve": person(org.branch_a2, "Eve"),
        "fay": person(org.branch_b1, "Fay"),
        "gus": person(org.branch_b1, "Gus"),
    }
    for name, user in people.items():
        if name == "eve":
            assign(
                setup,
                user,
                assigned_at=NOW - timedelta(days=4),
                due_at=NOW + timedelta(days=10),
            )
        else:
            assign(setup, user)
    for name in ("ann", "ben", "fay"):
        complete(people[name], m1, at=NOW - timedelta(days=10))
        complete(people[name], m2, at=NOW - timedelta(days=9))
    complete(people["cat"], m1, at=NOW - timedelta(days=8))
    quiz = Quiz(slug="tax-basics-quiz", module_id=m1.id, provider_id=org.provider.id)
    db.session.add(quiz)
    db.session.flush()
    version = QuizVersion(
        quiz_id=quiz.id,
        number=1,
        content_hash="q1",
        definition={"id": "tax-basics-quiz", "title": {"en": "Tax quiz"}, "pass_mark": 50},
        pass_mark=50,
    )
    db.session.add(version)
    db.session.flush()
    quiz.current_version_id = version.id
    db.session.commit()
    for name, score in (("ann", 95), ("ben", 72), ("cat", 40), ("fay", 100)):
        add_attempt(people[name], quiz, version, score)
    return Scene(
        org=org,
        setup=setup,
        people=people,
        admin=make_user(org.network, Role.ADMIN),
        network_manager=make_user(org.network, Role.MANAGER),
        region_a_manager=make_user(org.region_a, Role.MANAGER),
        a1_manager=make_user(org.branch_a1, Role.MANAGER),
        b1_manager=make_user(org.branch_b1, Role.MANAGER),
        trainer=make_user(org.branch_a1, Role.TRAINER, provider=org.provider),
        quiz=quiz,
    )
