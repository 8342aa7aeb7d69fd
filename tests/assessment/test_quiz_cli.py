"""`flask quizzes ...`: GIFT import (dry run, errors, --skip-invalid), exports, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.assessment.models import Quiz, QuizVersion
from app.assessment.operations import definition_of
from app.assessment.quiz_format import parse_quiz_text
from app.extensions import db
from tests.assessment.quiz_factories import make_quiz
from tests.assessment.test_gift_conformance import CASES, GIFT_DIR, assert_fields
from tests.factories import make_org

RICH = Path(__file__).resolve().parent / "fixtures" / "rich.gift"
BROKEN = """::ok:: Fine question {T}

::no-answers:: How many? {#}

::essay:: Tell us. {}
"""


@pytest.fixture
def org(app):
    return make_org()


def invoke(runner, *args):
    return runner.invoke(args=["quizzes", *map(str, args)])


def versions(slug: str) -> int:
    return db.session.scalar(
        select(func.count(QuizVersion.id))
        .join(Quiz, Quiz.id == QuizVersion.quiz_id)
        .where(Quiz.slug == slug)
    )


def test_dry_run_json_gives_moodles_fields_for_every_conformance_case(runner):
    for case in CASES:
        result = invoke(runner, "import-gift", GIFT_DIR / case["file"], "--dry-run", "--json")
        assert result.exit_code == 0, (case["file"], result.stderr)
        questions = json.loads(result.stdout)
        expected = [dict(question) for question in case["questions"]]
        if "file_import_questiontext" in case:
            # A whole-file import trims every line first, as Moodle's importer does.
            expected[0]["questiontext"] = case["file_import_questiontext"]
        assert_fields(questions, expected, case["file"])


def test_dry_run_json_fails_on_a_block_moodle_refuses(runner, tmp_path):
    path = tmp_path / "broken.gift"
    path.write_text(BROKEN, encoding="utf-8")
    result = invoke(runner, "import-gift", path, "--dry-run", "--json")
    assert result.exit_code == 1
    listed = json.loads(result.stdout)
    assert [q["qtype"] for q in listed] == ["truefalse", "essay"]
    assert f"{path}:3: No answers found for numerical question" in result.stderr


def test_nothing_is_imported_on_errors_unless_skip_invalid(runner, org, tmp_path):
    path = tmp_path / "broken.gift"
    path.write_text(BROKEN, encoding="utf-8")
    refused = invoke(runner, "import-gift", path, "--quiz", "broken", "--provider", "ju-it")
    assert refused.exit_code == 1
    assert f"{path}:3: No answers found for numerical question" in refused.stderr
    assert f"{path}:5: warning: essay questions are not supported" in refused.stderr
    assert "nothing imported" in refused.stderr
    assert db.session.scalar(select(func.count(Quiz.id))) == 0
    done = invoke(
        runner, "import-gift", path, "--quiz", "broken", "--provider", "ju-it", "--skip-invalid"
    )
    assert done.exit_code == 0, done.output
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "broken"))
    assert [q.id for q in definition_of(quiz.current_version).questions] == ["ok"]


def test_a_new_quiz_needs_a_module_or_a_provider(runner, org):
    result = invoke(runner, "import-gift", RICH, "--quiz", "rich")
    assert result.exit_code == 1
    assert "needs a provider" in result.stderr
    unknown = invoke(runner, "import-gift", RICH, "--quiz", "rich", "--module", "no-such-module")
    assert (
        unknown.exit_code == 1
        and "module 'no-such-module' is not on the platform" in unknown.stderr
    )
    assert db.session.scalar(select(func.count(Quiz.id))) == 0


def test_gift_round_trip_platform_gift_platform_loses_nothing(runner, org, tmp_path):
    first = invoke(runner, "import-gift", RICH, "--quiz", "rich", "--provider", "ju-it")
    assert first.exit_code == 0, first.output
    assert "rich.gift:27: warning: essay questions are not supported" in first.stderr
    exported = invoke(runner, "export-gift", "rich")
    assert exported.exit_code == 0, exported.output
    gift_file = tmp_path / "exported.gift"
    gift_file.write_text(exported.stdout, encoding="utf-8")
    # Back into the same quiz: nothing changed, so no new version.
    again = invoke(runner, "import-gift", gift_file, "--quiz", "rich")
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.stdout and versions("rich") == 1
    # Into a new quiz: the same questions.
    copy = invoke(runner, "import-gift", gift_file, "--quiz", "rich-copy", "--provider", "ju-it")
    assert copy.exit_code == 0, copy.output
    db.session.expire_all()
    original = db.session.scalar(select(Quiz).where(Quiz.slug == "rich"))
    duplicate = db.session.scalar(select(Quiz).where(Quiz.slug == "rich-copy"))
    assert (
        definition_of(original.current_version).questions
        == definition_of(duplicate.current_version).questions
    )
    assert invoke(runner, "export-gift", "rich-copy").stdout == exported.stdout
    question = definition_of(original.current_version).question("Num")
    assert [(a.value, a.tolerance, a.weight) for a in question.answers] == [
        (8, 0.5, 100),
        (7.5, 2.5, 50),
    ]


def test_export_gift_warns_about_what_gift_cannot_hold(runner, org):
    make_quiz(org.provider)
    result = invoke(runner, "export-gift", "check-all", "--language", "en")
    assert result.exit_code == 0
    assert (
        "question 'q-order': warning: ordering questions cannot be written to GIFT" in result.stderr
    )
    assert "::q-single::" in result.stdout and "q-order" not in result.stdout
    assert invoke(runner, "export-gift", "no-such-quiz").exit_code != 0


def test_export_yaml_gives_back_the_same_quiz(runner, org, tmp_path):
    quiz = make_quiz(org.provider)
    out = tmp_path / "check-all.yaml"
    result = invoke(runner, "export", "check-all", "--output", out)
    assert result.exit_code == 0, result.output
    parsed, problems = parse_quiz_text(out.read_text(encoding="utf-8"), str(out))
    assert parsed == definition_of(quiz.current_version), problems


def test_check_and_import_the_shipped_quiz_library(runner, org, app):
    from app.content.models import Module, ModuleStatus

    folder = Path(app.config["QUIZZES_PATH"])
    checked = invoke(runner, "check", folder)
    assert checked.exit_code == 0, checked.output
    missing = invoke(runner, "import", folder)
    assert missing.exit_code == 1
    assert "is not on the platform: import the module first" in missing.stderr
    assert db.session.scalar(select(func.count(Quiz.id))) == 0
    for path in sorted(folder.glob("*.yaml")):
        slug = path.stem.removesuffix("-quiz")
        db.session.add(
            Module(
                slug=slug,
                provider_id=org.provider.id,
                source_language="fr",
                status=ModuleStatus.PUBLISHED,
            )
        )
    db.session.commit()
    imported = invoke(runner, "import", folder)
    assert imported.exit_code == 0, imported.output
    assert "11 created, 0 updated, 0 unchanged." in imported.stdout
    again = invoke(runner, "import", folder)
    assert "0 created, 0 updated, 11 unchanged." in again.stdout
