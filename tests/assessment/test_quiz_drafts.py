"""Quiz drafts: the check that places problems, the form round trip, and the draft operations."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.assessment import draft_forms, drafts
from app.assessment.draft_check import check_quiz
from app.assessment.models import QuizVersion
from app.assessment.operations import definition_of, save_quiz_definition
from app.assessment.questions import Pool
from app.assessment.quiz_format import parse_quiz_text
from app.extensions import db
from app.people.models import Role
from tests.assessment.quiz_factories import NOW, make_quiz, quiz_yaml
from tests.factories import make_org, make_user


def all_types():
    definition, problems = parse_quiz_text(quiz_yaml(), "all.yaml")
    assert definition is not None, problems
    return definition


def replace_question(definition, index, **changes):
    questions = list(definition.questions)
    questions[index] = dataclasses.replace(questions[index], **changes)
    return dataclasses.replace(definition, questions=tuple(questions))


# -- the check ----------------------------------------------------------------------------------


def test_check_names_the_question_its_field_and_row():
    definition = all_types()
    single = definition.questions[0]
    no_right = tuple(dataclasses.replace(o, correct=False) for o in single.options)
    broken = replace_question(definition, 0, options=no_right)
    options = list(broken.questions[1].options)
    options[2] = dataclasses.replace(options[2], weight=-500)
    broken = replace_question(broken, 1, options=tuple(options))
    broken = replace_question(broken, 2, stem={}, answer=None)
    broken = dataclasses.replace(broken, pass_mark=101)
    checked, issues = check_quiz(broken)
    assert checked is None
    placed = {(i.number, i.question_type, i.field, i.row, i.problem.message) for i in issues}
    assert placed == {
        (None, None, "pass_mark", None, "'pass_mark' must be between 0 and 100"),
        (
            1,
            "single",
            "options",
            None,
            "a single-choice question needs exactly one correct option, found 0",
        ),
        (2, "multiple", "options", 3, "'weight' must be between -100 and 100"),
        (3, "truefalse", "stem", None, "'stem' is empty"),
        (3, "truefalse", "answer", None, "'answer' must be true or false"),
    }
    assert [i.part for i in issues if i.row == 3] == ["weight"]


def test_check_numbers_pool_questions_after_the_fixed_ones():
    definition = all_types()
    pooled = dataclasses.replace(definition.questions[3], id="pooled", stem={})
    pool = Pool(id="extra", draw=3, questions=(pooled,))
    _checked, issues = check_quiz(dataclasses.replace(definition, pools=(pool,)))
    assert {(i.number, i.question_id, i.field, i.pool) for i in issues} == {
        (8, "pooled", "stem", None),
        (None, None, "pools", 1),
    }


def test_a_valid_quiz_passes_the_check_unchanged():
    definition = all_types()
    checked, issues = check_quiz(definition)
    assert checked == definition and not [i for i in issues if i.is_error]


# -- the forms ----------------------------------------------------------------------------------


def test_every_question_type_survives_the_form_round_trip():
    for question in all_types().questions:
        values = draft_forms.question_values(question)
        read, _rows = draft_forms.read_question(MultiDict(values), question.type)
        assert read == question, question.type


def test_blank_rows_are_left_out_and_kept_rows_remember_their_form_row():
    form = MultiDict(
        {
            "stem-und": "Order these",
            "items-rows": "4",
            "items-2-text-und": "first",
            "items-4-text-de": "zweite",
        }
    )
    question, row_map = draft_forms.read_question(form, "ordering")
    assert [item.text for item in question.items] == [{"und": "first"}, {"de": "zweite"}]
    assert row_map == {"items": [2, 4]}
    # Generated ids are random: they never give the order away.
    assert len({item.id for item in question.items}) == 2


def test_numbers_are_read_as_typed_and_other_text_is_left_for_the_rules():
    assert draft_forms.number("0,5", 1) == 0.5
    assert draft_forms.number(" 1'000 ", 1) == 1000
    assert draft_forms.number("", 7) == 7
    assert draft_forms.number("two", 1) == "two"


def test_offered_languages_follow_the_title_and_the_texts_in_use():
    definition = dataclasses.replace(all_types(), title={"de": "Prüfung", "fr": "Contrôle"})
    assert draft_forms.languages_of(definition) == ["de", "fr"]
    assert draft_forms.languages_of(definition, definition.questions[0]) == ["und", "de", "fr"]


# -- operations ---------------------------------------------------------------------------------


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def quiz(org):
    return make_quiz(org.provider)


@pytest.fixture
def actor(org):
    return make_user(org.branch_a1, Role.TRAINER, provider=org.provider).id


def versions(quiz) -> int:
    return db.session.scalar(
        select(func.count(QuizVersion.id)).where(QuizVersion.quiz_id == quiz.id)
    )


def current(quiz):
    db.session.expire_all()
    return drafts.working_definition(quiz, drafts.draft_of(db.session, quiz))


def test_a_question_that_breaks_a_rule_stores_nothing(quiz, actor):
    single = all_types().questions[0]
    wrong = dataclasses.replace(
        single, options=tuple(dataclasses.replace(o, correct=True) for o in single.options)
    )
    issues = drafts.save_question(
        db.session, quiz, wrong, replaces="q-single", lock=0, now=NOW, actor_id=actor
    )
    assert [i.problem.message for i in issues if i.is_error] == [
        "a single-choice question needs exactly one correct option, found 2"
    ]
    db.session.rollback()
    assert drafts.draft_of(db.session, quiz) is None
    # Taking the id of another question is refused by the same rules.
    taken = dataclasses.replace(single, id="q-multi")
    issues = drafts.save_question(
        db.session, quiz, taken, replaces="q-single", lock=0, now=NOW, actor_id=actor
    )
    # The first use is named by its number in the list, not by a line of a file.
    assert [(i.number, i.problem.message) for i in issues if i.is_error] == [
        (2, "the question id 'q-multi' is already used by question 1")
    ]
    db.session.rollback()


def test_edits_go_to_one_draft_and_learners_keep_the_published_version(quiz, actor):
    single = all_types().questions[0]
    changed = dataclasses.replace(single, stem={"und": "Changed stem"})
    drafts.save_question(
        db.session, quiz, changed, replaces="q-single", lock=0, now=NOW, actor_id=actor
    )
    db.session.commit()
    draft = drafts.draft_of(db.session, quiz)
    assert draft.updated_by_id == actor and draft.base_version_id == quiz.current_version_id
    assert current(quiz).questions[0].stem == {"und": "Changed stem"}
    assert definition_of(quiz.current_version).questions[0].stem != {"und": "Changed stem"}
    # A second edit from a form shown before the first one is refused.
    with pytest.raises(drafts.DraftConflict):
        drafts.delete_question(db.session, quiz, "q-tf", lock=0, now=NOW, actor_id=actor)
    lock = drafts.lock_of(draft)
    assert (
        drafts.move_question(db.session, quiz, "q-single", -1, lock=lock, now=NOW, actor_id=actor)
        is False
    )
    assert drafts.move_question(db.session, quiz, "q-single", 1, lock=lock, now=NOW, actor_id=actor)
    db.session.commit()
    assert [q.id for q in current(quiz).questions][:2] == ["q-multi", "q-single"]
    assert versions(quiz) == 1


def test_publish_makes_the_next_version_and_removes_the_draft(quiz, actor):
    drafts.delete_question(db.session, quiz, "q-tf", lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    lock = drafts.lock_of(drafts.draft_of(db.session, quiz))
    version, issues = drafts.publish_draft(db.session, quiz, lock=lock, now=NOW, actor_id=actor)
    db.session.commit()
    assert version.number == 2 and not [i for i in issues if i.is_error]
    assert drafts.draft_of(db.session, quiz) is None
    assert "q-tf" not in [q.id for q in definition_of(quiz.current_version).questions]
    # A draft equal to the published version adds no version, and is gone afterwards.
    draft = drafts.replace_draft(
        db.session, quiz, definition_of(quiz.current_version), lock=0, now=NOW, actor_id=actor
    )
    db.session.commit()
    version, _issues = drafts.publish_draft(
        db.session, quiz, lock=draft.lock_version, now=NOW, actor_id=actor
    )
    db.session.commit()
    assert version is None and versions(quiz) == 2 and drafts.draft_of(db.session, quiz) is None


def test_an_empty_draft_is_not_published(quiz, actor):
    empty = dataclasses.replace(all_types(), questions=())
    draft = drafts.replace_draft(db.session, quiz, empty, lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    version, issues = drafts.publish_draft(
        db.session, quiz, lock=draft.lock_version, now=NOW, actor_id=actor
    )
    assert version is None
    assert [i.problem.message for i in issues] == [
        "the quiz has no questions: add 'questions' or 'pools'"
    ]
    db.session.rollback()
    assert versions(quiz) == 1 and drafts.draft_of(db.session, quiz) is not None


def test_a_draft_older_than_the_published_version_is_not_published_over_it(quiz, actor, org):
    draft = drafts.replace_draft(db.session, quiz, all_types(), lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    # Meanwhile someone imports the quiz file (the CLI publishes at once).
    newer = dataclasses.replace(all_types(), pass_mark=90)
    save_quiz_definition(db.session, newer, provider_id=org.provider.id, module_id=None, now=NOW)
    db.session.commit()
    with pytest.raises(drafts.DraftError) as refused:
        drafts.publish_draft(db.session, quiz, lock=draft.lock_version, now=NOW, actor_id=actor)
    assert refused.value.params == {"number": 2}
    drafts.discard_draft(db.session, quiz, lock=draft.lock_version, now=NOW, actor_id=actor)
    db.session.commit()
    assert drafts.draft_of(db.session, quiz) is None and current(quiz).pass_mark == 90


def test_a_quiz_never_published_keeps_its_draft(org, actor):
    definition = dataclasses.replace(all_types(), id="fresh")
    quiz = drafts.create_quiz(
        db.session,
        definition,
        provider_id=org.provider.id,
        module_id=None,
        now=NOW,
        actor_id=actor,
    )
    db.session.commit()
    assert quiz.current_version_id is None
    with pytest.raises(drafts.DraftError):
        drafts.discard_draft(db.session, quiz, lock=1, now=NOW, actor_id=actor)


def test_settings_are_checked_but_a_quiz_without_questions_may_be_set_up(org, actor):
    empty = dataclasses.replace(all_types(), id="fresh", questions=())
    quiz = drafts.create_quiz(
        db.session, empty, provider_id=org.provider.id, module_id=None, now=NOW, actor_id=actor
    )
    db.session.commit()
    issues = drafts.save_settings(
        db.session, quiz, {"attempts": 2.5}, {}, lock=1, now=NOW, actor_id=actor
    )
    assert [(i.field, i.problem.message) for i in issues if drafts.blocks_settings(i)] == [
        ("attempts", "'attempts' must be a whole number")
    ]
    db.session.rollback()
    issues = drafts.save_settings(
        db.session, quiz, {"attempts": 2}, {}, lock=1, now=NOW, actor_id=actor
    )
    db.session.commit()
    assert not [i for i in issues if drafts.blocks_settings(i)] and current(quiz).attempts == 2


def test_pool_questions_are_edited_and_moved_within_their_pool(quiz, actor):
    base = all_types()
    pool = Pool(id="extra", draw=1, questions=base.questions[5:])
    with_pool = dataclasses.replace(base, questions=base.questions[:5], pools=(pool,))
    draft = drafts.replace_draft(db.session, quiz, with_pool, lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    assert [q.id for q, p in drafts.all_questions(with_pool)][5:] == ["q-match", "q-order"]
    assert drafts.move_question(
        db.session, quiz, "q-order", -1, lock=draft.lock_version, now=NOW, actor_id=actor
    )
    db.session.commit()
    # The first question of a pool does not leave it.
    assert not drafts.move_question(
        db.session, quiz, "q-order", -1, lock=draft.lock_version, now=NOW, actor_id=actor
    )
    order = base.questions[6]
    renamed = dataclasses.replace(order, stem={"und": "In order, please"})
    issues = drafts.save_question(
        db.session,
        quiz,
        renamed,
        replaces="q-order",
        lock=draft.lock_version,
        now=NOW,
        actor_id=actor,
    )
    db.session.commit()
    assert not [i for i in issues if i.is_error]
    saved = current(quiz)
    assert [q.id for q in saved.pools[0].questions] == ["q-order", "q-match"]
    assert saved.pools[0].questions[0].stem == {"und": "In order, please"}
    assert len(saved.questions) == 5


def test_control_characters_typed_in_a_form_are_dropped():
    form = MultiDict({"stem-und": "Nul\x00 and escape\x1b\r\nkept", "id": "q\x07-x"})
    question, _rows = draft_forms.read_question(form, "truefalse")
    assert question.stem == {"und": "Nul and escape\nkept"} and question.id == "q-x"


def test_a_change_racing_another_one_is_a_conflict_not_an_overwrite(quiz, actor):
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    from app.assessment.models import QuizDraft

    draft = drafts.replace_draft(db.session, quiz, all_types(), lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    lock = draft.lock_version
    # Another request saves the draft between our read and our write.
    db.session.execute(
        update(QuizDraft)
        .where(QuizDraft.id == draft.id)
        .values(lock_version=lock + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(drafts.DraftConflict) as raced:
        drafts.delete_question(db.session, quiz, "q-tf", lock=lock, now=NOW, actor_id=actor)
    # The database refused the write (the form's lock still matched what we had read).
    assert isinstance(raced.value.__cause__, StaleDataError)
    db.session.rollback()
    assert "q-tf" in [q.id for q in current(quiz).questions]


def test_of_two_publishes_at_once_only_one_makes_a_version(quiz, actor):
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    from app.assessment.models import QuizDraft

    changed = dataclasses.replace(all_types(), pass_mark=70)
    draft = drafts.replace_draft(db.session, quiz, changed, lock=0, now=NOW, actor_id=actor)
    db.session.commit()
    lock = draft.lock_version
    # The other publish (or an edit) touched the draft after we read it.
    db.session.execute(
        update(QuizDraft)
        .where(QuizDraft.id == draft.id)
        .values(lock_version=lock + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(drafts.DraftConflict) as raced:
        drafts.publish_draft(db.session, quiz, lock=lock, now=NOW, actor_id=actor)
    assert isinstance(raced.value.__cause__, StaleDataError)
    db.session.rollback()
    assert versions(quiz) == 1
