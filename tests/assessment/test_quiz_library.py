"""The quiz library on disk: checks with file and line, atomic import, versions by content hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.assessment.library import check_quiz_paths, export_quiz, import_quizzes
from app.assessment.models import Quiz, QuizVersion
from app.assessment.quiz_format import parse_quiz_text
from app.extensions import db
from app.web.problems import Problem
from tests.assessment.quiz_factories import NOW, make_module, quiz_yaml
from tests.factories import make_org

SHIPPED = Path(__file__).resolve().parents[2] / "quizzes"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_quizzes_have_no_errors():
    problems = check_quiz_paths([SHIPPED])
    assert [str(p) for p in problems if p.is_error] == []
    assert all(isinstance(p, Problem) for p in problems)


def test_checks_name_file_and_line_and_find_duplicates_and_unknown_modules(tmp_path):
    quizzes = tmp_path / "quizzes"
    (tmp_path / "courses" / "known-module").mkdir(parents=True)
    (tmp_path / "courses" / "known-module" / "index.fr.md").write_text("---\n---\n")
    write(quizzes, "one.yaml", quiz_yaml("one", module="known-module"))
    write(quizzes, "two.yaml", quiz_yaml("one", module="missing-module"))
    write(quizzes, "bad.yaml", "id: bad\ntitle: Bad\npass_mark: 140\nquestions: []\n")
    write(quizzes, "named-wrong.yaml", quiz_yaml("other-name"))
    problems = {str(p): p for p in check_quiz_paths([quizzes])}
    texts = sorted(problems)
    assert f"{quizzes / 'bad.yaml'}:3: 'pass_mark' must be between 0 and 100" in texts
    assert (
        f"{quizzes / 'two.yaml'}:1: quiz id 'one' is already used by {quizzes / 'one.yaml'}"
        in texts
    )
    module_warnings = [t for t in texts if "is not in the library" in t]
    assert (
        module_warnings == []
    )  # two.yaml is refused as a duplicate before its module is looked at
    renamed = [p for t, p in problems.items() if "should be named after the quiz id" in t]
    assert renamed and not renamed[0].is_error
    write(quizzes, "two.yaml", quiz_yaml("two", module="missing-module"))
    warned = [p for p in check_quiz_paths([quizzes / "two.yaml"]) if "not in the library" in str(p)]
    assert len(warned) == 1 and not warned[0].is_error and warned[0].line == 2
    missing = check_quiz_paths([tmp_path / "nowhere"])
    assert missing[0].is_error and "does not exist" in missing[0].message


@pytest.fixture
def org(app):
    return make_org()


def test_import_is_all_or_nothing_and_names_the_unknown_module(org, tmp_path):
    make_module(org.provider, "known-module")
    write(tmp_path, "good.yaml", quiz_yaml("good", module="known-module"))
    write(tmp_path, "orphan.yaml", quiz_yaml("orphan", module="unknown-module"))
    report = import_quizzes(db.session, [tmp_path], now=NOW)
    assert report.has_errors
    assert [str(p) for p in report.problems if p.is_error] == [
        f"{tmp_path / 'orphan.yaml'}:2: module 'unknown-module' is not on the platform: "
        "import the module first"
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Quiz.id))) == 0


def test_import_versions_only_changed_content_and_takes_the_modules_provider(org, tmp_path):
    module = make_module(org.other_provider, "known-module")
    path = write(tmp_path, "good.yaml", quiz_yaml("good", module="known-module"))
    lines = []
    first = import_quizzes(db.session, [path], now=NOW, progress=lambda *a: lines.append(a))
    db.session.commit()
    assert first.created == ["good"] and lines == [(1, 1, "good")]
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "good"))
    assert quiz.provider_id == org.other_provider.id and quiz.module_id == module.id
    # Re-written but equal (80 == 80.0, other key order): no new version.
    unchanged = import_quizzes(db.session, [path], now=NOW)
    assert unchanged.unchanged == ["good"]
    write(tmp_path, "good.yaml", quiz_yaml("good", module="known-module", attempts=5))
    changed = import_quizzes(db.session, [path], now=NOW)
    db.session.commit()
    assert changed.updated == ["good"] and changed.versions == {"good": 2}
    assert db.session.scalar(select(func.count(QuizVersion.id))) == 2


def test_standalone_quizzes_need_a_provider(org, tmp_path):
    path = write(tmp_path, "alone.yaml", quiz_yaml("alone"))
    refused = import_quizzes(db.session, [path], now=NOW)
    assert refused.has_errors and "needs a provider" in str(refused.problems[0])
    unknown = import_quizzes(db.session, [path], now=NOW, provider="nobody")
    assert unknown.has_errors and "there is no provider 'nobody'" in str(unknown.problems[0])
    done = import_quizzes(db.session, [path], now=NOW, provider="ju-it")
    db.session.commit()
    assert done.created == ["alone"]
    # Once it exists the quiz keeps its provider.
    again = import_quizzes(db.session, [path], now=NOW)
    assert again.unchanged == ["alone"]


def test_export_quiz_writes_the_file_format_back(org, tmp_path):
    path = write(tmp_path, "alone.yaml", quiz_yaml("alone", time_limit=15, review="never"))
    import_quizzes(db.session, [path], now=NOW, provider="ju-it")
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "alone"))
    text = export_quiz(db.session, quiz)
    original, _ = parse_quiz_text(path.read_text(), "alone.yaml")
    exported, problems = parse_quiz_text(text, "exported.yaml")
    assert exported == original, problems
