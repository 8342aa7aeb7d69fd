"""`flask demo generate`: counts, refusal, determinism, and agreement with the completion rule."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.content.models import ModulePage, ModuleVariant
from app.tracking.completion import is_module_complete
from app.tracking.models import Completion, ModuleProgress, PageProgress, Statement
from app.tracking.rebuild import rebuild_derived


@pytest.fixture
def generated(runner, db_session):
    """The XS size generated into the test's database."""
    result = runner.invoke(args=["demo", "generate", "--size", "XS", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Generated size XS (seed 7)" in result.output
    db_session.expire_all()
    return result.output


def _count(session, table: str) -> int:
    from app.db import Base

    return session.scalar(select(func.count()).select_from(Base.metadata.tables[table]))


def test_xs_has_the_promised_shape(generated, db_session):
    assert _count(db_session, "units") == 1 + 2 + 3  # network, regions, branches
    assert 45 <= _count(db_session, "users") <= 55
    assert _count(db_session, "modules") == 12
    assert _count(db_session, "campaigns") == 6
    assert _count(db_session, "module_versions") > 12  # several versions
    assert _count(db_session, "quizzes") > 0
    assert _count(db_session, "assignments") > 50
    assert _count(db_session, "statements") > 500
    assert 0 < _count(db_session, "completions") == _count(db_session, "certificates")
    languages = set(db_session.scalars(select(ModuleVariant.language).distinct()))
    assert languages == {"de", "fr", "it", "en"}
    # Counts are printed per table.
    assert "statements" in generated and "completions" in generated
    if db_session.get_bind().dialect.name == "sqlite":  # the planner has statistics at once
        analysed = db_session.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
        assert "page_progress" in set(analysed)


def test_derived_rows_are_what_the_statements_say(generated, db_session):
    report = rebuild_derived(db_session, check=True)
    assert report.statements > 500
    assert [str(d) for d in report.differences] == []


def _variant_pages(session, version_id: int) -> dict[int, set[int]]:
    pages: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(ModulePage.variant_id, ModulePage.id)
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .where(ModuleVariant.version_id == version_id)
    )
    for variant_id, page_id in rows:
        pages[variant_id].add(page_id)
    return pages


def _learners_with_completions(session, count: int) -> list[int]:
    return list(
        session.scalars(
            select(Completion.user_id)
            .group_by(Completion.user_id)
            .order_by(func.count().desc(), Completion.user_id)
            .limit(count)
        )
    )


def test_every_completion_meets_the_rule_in_its_cycle(generated, db_session):
    from app.assessment.models import Quiz

    with_quiz = set(db_session.scalars(select(Quiz.module_id)))
    checked = 0
    for user_id in _learners_with_completions(db_session, 5):
        statements = db_session.scalars(
            select(Statement).where(Statement.user_id == user_id).order_by(Statement.id)
        ).all()
        cycle_start: dict[int, int] = defaultdict(int)  # module -> first statement id of cycle
        for done in [s for s in statements if s.verb == "completed"]:
            window = [
                s
                for s in statements
                if s.module_id == done.module_id and cycle_start[done.module_id] <= s.id < done.id
            ]
            seen = {
                s.page_id
                for s in window
                if s.verb == "experienced" and s.module_version_id == done.module_version_id
            }
            passed = any(s.verb == "passed" for s in window)
            assert is_module_complete(
                variant_pages=_variant_pages(db_session, done.module_version_id),
                seen_pages=seen,
                has_quiz=done.module_id in with_quiz,
                quiz_passed=passed,
            ), f"completion {done.uuid} of user {user_id} does not meet the rule"
            cycle_start[done.module_id] = done.id
            checked += 1
    assert checked > 5


def test_no_completion_is_missing(generated, db_session):
    """Where the current cycle meets the rule, a completion was recorded (none forgotten)."""
    from app.assessment.models import Quiz

    with_quiz = set(db_session.scalars(select(Quiz.module_id)))
    for row in db_session.scalars(select(ModuleProgress)).all():
        if row.module_version_id is None:
            continue
        seen = set(
            db_session.scalars(
                select(PageProgress.page_id).where(
                    PageProgress.user_id == row.user_id,
                    PageProgress.module_version_id == row.module_version_id,
                    PageProgress.cycle == row.cycle,
                )
            )
        )
        assert not is_module_complete(
            variant_pages=_variant_pages(db_session, row.module_version_id),
            seen_pages=seen,
            has_quiz=row.module_id in with_quiz,
            quiz_passed=row.quiz_passed_cycle == row.cycle,
        ), f"user {row.user_id} met the rule for module {row.module_id} without a completion"


def test_a_database_with_people_is_refused_unless_forced(generated, runner, db_session):
    again = runner.invoke(args=["demo", "generate", "--size", "XS"])
    assert again.exit_code != 0
    assert "--force" in again.output
    forced = runner.invoke(args=["demo", "generate", "--size", "XS", "--force"])
    assert forced.exit_code == 0, forced.output
    db_session.expire_all()
    assert _count(db_session, "modules") == 24
    assert rebuild_derived(db_session, check=True).differences == []


def _fingerprint(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for query in (
            "SELECT email, unit_id FROM users ORDER BY id",
            "SELECT uuid, timestamp FROM statements ORDER BY id",
            "SELECT user_id, module_id, number, completed_at FROM completions ORDER BY id",
        ):
            for row in conn.execute(sa.text(query)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def test_the_same_seed_gives_the_same_data(
    database_template, database_url, tmp_path: Path, app_config
):
    if database_template.startswith("postgresql"):
        pytest.skip("compares two SQLite files")
    from tests.conftest import serving

    urls = [database_url]
    second = tmp_path / "second.sqlite3"
    shutil.copyfile(database_template, second)
    urls.append(f"sqlite:///{second}")
    for url in urls:
        with serving(dict(app_config, SQLALCHEMY_DATABASE_URI=url)) as application:
            result = application.test_cli_runner().invoke(
                args=["demo", "generate", "--size", "XS", "--seed", "11"]
            )
            assert result.exit_code == 0, result.output
    assert _fingerprint(urls[0]) == _fingerprint(urls[1])


@pytest.mark.parametrize("registration", [None, "0b0e1c1e-5a5a-4b4b-8c8c-123456789abc"])
def test_a_filled_template_is_the_builders_body(registration):
    from functools import partial

    from app.demo.generate_statements import BodyTemplates
    from app.tracking import event_statements
    from app.tracking.statements import Actor, Iris, ModuleRef

    iris = Iris("https://example.org")
    build = partial(
        event_statements.page_experienced,
        iris,
        module=ModuleRef(slug="m", version=2, titles={"fr": "Titre « x »", "de": "Titel"}),
        position=3,
        page_title='Page "trois"',
        language="fr",
    )
    actor = Actor("Zoe.Muller@Example.org", 'Zoë "Z" Müller')
    moment = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
    statement_id = iris.statement_id("experienced|user:1|page:2|cycle:0")
    templates = BodyTemplates()
    for _ in range(2):  # the second call fills the kept text
        text, iri, score = templates.fill(
            ("page", 2),
            build,
            statement_id=statement_id,
            actor=actor,
            timestamp=moment,
            registration=registration,
        )
        expected = build(
            statement_id=statement_id, actor=actor, timestamp=moment, registration=registration
        )
        assert json.loads(text) == expected
        assert iri == expected["object"]["id"]
        assert score is None


def test_a_filled_result_carries_the_builders_score():
    from datetime import timedelta
    from functools import partial

    from app.demo.generate_statements import BodyTemplates
    from app.tracking import event_statements
    from app.tracking.projection import score_percent_of
    from app.tracking.statements import Actor, Iris, ModuleRef, QuizRef

    iris = Iris("https://example.org")
    quiz = QuizRef("q", 1, {"de": "Quiz"}, ModuleRef(slug="m", version=2, titles={"de": "M"}))
    build = partial(
        event_statements.quiz_result,
        iris,
        quiz=quiz,
        attempt_number=2,
        score_percent=200 / 3,
        is_passed=False,
        duration=timedelta(seconds=110),
    )
    actor = Actor("a@example.org", "A")
    moment = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    statement_id = iris.statement_id("result|attempt:9")
    filled = BodyTemplates().fill(
        ("result", 9),
        build,
        statement_id=statement_id,
        actor=actor,
        timestamp=moment,
        registration=None,
    )
    expected = build(statement_id=statement_id, actor=actor, timestamp=moment, registration=None)
    assert json.loads(filled.text) == expected
    assert filled.score == score_percent_of(expected) == 66.6667


def test_a_learners_statement_ids_are_the_tracking_features():
    from datetime import timedelta
    from random import Random
    from zoneinfo import ZoneInfo

    from app.demo.generate_learning import Learner
    from app.demo.generate_org import Person
    from app.demo.generate_sizes import SIZES, Run
    from app.demo.generate_statements import BodyTemplates
    from app.tracking.rebuild import MemoryContent
    from app.tracking.statements import Iris

    iris = Iris("https://example.org")
    now = datetime(2026, 5, 4, tzinfo=UTC)
    run = Run(SIZES["XS"], Random(1), now=now, tz=ZoneInfo("Europe/Zurich"))
    person = Person(1, 1, "fr", "a@example.org", "A B", now - timedelta(days=9))
    learner = Learner(None, run, MemoryContent(), iris, BodyTemplates(), person)
    key = "experienced|user:1|page:2|cycle:0"
    assert learner.statement_id(key) == iris.statement_id(key)


def test_the_bulk_load_gives_back_every_index_and_foreign_key(generated, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("the bulk-load mode is PostgreSQL's")
    from sqlalchemy import text

    from app.db import Base
    from app.demo.generate_load import BIG_TABLES

    for name in BIG_TABLES:
        table = Base.metadata.tables[name]
        indexes = set(
            db_session.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": name}
            )
        )
        assert {index.name for index in table.indexes} <= indexes, name
        foreign_keys = set(
            db_session.scalars(
                text(
                    "SELECT conname FROM pg_constraint"
                    " WHERE contype = 'f' AND conrelid = CAST(:t AS regclass)"
                ),
                {"t": name},
            )
        )
        assert foreign_keys == {fk.name for fk in table.foreign_key_constraints}, name
        assert foreign_keys
