"""`flask content check|import|export` and the demo loader."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.content.models import Module, ModuleVersion
from app.extensions import db
from app.platform.hooks import DEMO_LOADERS
from tests.content.builders import (
    COURSES,
    QUIZZES,
    count,
    in_transaction,
    module_text,
    tiny_png,
    write_module,
)
from tests.factories import make_org


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


FIXTURES = COURSES.parent / "tests" / "fixtures" / "courses_good"


def invoke(runner, *args: str):
    """Run a `flask` command in a real transaction, as from a shell (see in_transaction)."""
    with in_transaction():
        return runner.invoke(args=list(args))


def test_check_passes_on_the_shipped_library_with_its_quizzes(runner):
    result = invoke(runner, "content", "check", str(COURSES), str(QUIZZES))
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_check_prints_file_line_message_and_fails_on_errors(runner, tmp_path):
    write_module(tmp_path, "good")
    bad = write_module(tmp_path, "bad", body="## One\n\n![](missing.png)\n")
    (bad / "index.fr.md").write_text(
        (bad / "index.fr.md").read_text().replace("title:", "titel:", 1)
    )
    result = invoke(runner, "content", "check", str(tmp_path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{bad / 'index.fr.md'}:3: unknown front-matter key 'titel' (did you mean 'title'?)" in (
        " ".join(lines)
    )
    assert f"{bad / 'index.fr.md'}:15: 'missing.png' does not exist in the module folder" in (
        " ".join(lines)
    )
    assert "error(s)" in lines[-1]


def test_import_reports_counts_and_a_second_run_changes_nothing(runner, app, tmp_path):
    make_org()
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "eid-login-quiz.yaml").write_text(
        (QUIZZES / "eid-connexion-quiz.yaml")
        .read_text()
        .replace("id: eid-connexion-quiz", "id: eid-login-quiz")
        .replace("module: eid-connexion", "module: eid-login")
    )
    result = invoke(runner, "content", "import", str(FIXTURES), str(quizzes))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 new version(s), 0 unchanged." in result.output
    assert "Quizzes: 1 created" in result.output
    result = invoke(runner, "content", "import", str(FIXTURES))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 new version(s), 2 unchanged." in result.output
    assert count(ModuleVersion) == 2


def test_import_refuses_a_broken_library_and_writes_nothing(runner, app, tmp_path):
    make_org()
    for n in range(3):
        write_module(tmp_path, f"m{n}")
    (tmp_path / "m1" / "index.fr.md").write_text("---\nid: m1\ntitle: [oops\n---\n\n## A\n\nB\n")
    result = invoke(runner, "content", "import", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'm1' / 'index.fr.md'}:3: invalid YAML" in result.output
    assert "Nothing was imported" in result.output
    assert count(Module) == 0


def test_dry_run_shows_what_would_change_and_writes_nothing(runner, app, tmp_path):
    make_org()
    write_module(tmp_path, "m1", media={"a.png": tiny_png()}, body="## A\n\n![A](a.png)\n")
    result = invoke(runner, "content", "import", "--dry-run", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "would have 1 created" in result.output
    assert count(Module) == 0
    assert not [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]


def test_major_and_minor_flags(runner, app, tmp_path):
    make_org()
    write_module(tmp_path, "m1")
    assert invoke(runner, "content", "import", str(tmp_path)).exit_code == 0
    (tmp_path / "m1" / "index.fr.md").write_text(module_text("m1", minutes=7))
    result = invoke(runner, "content", "import", "--major", str(tmp_path))
    assert "m1: new_version (version 2, major)" in result.output
    (tmp_path / "m1" / "index.fr.md").write_text(module_text("m1", minutes=8))
    result = invoke(runner, "content", "import", "--minor", str(tmp_path))
    assert "m1: new_version (version 3, minor)" in result.output
    majors = db.session.scalars(select(ModuleVersion.is_major).order_by(ModuleVersion.number))
    assert list(majors) == [True, True, False]


def test_export_then_import_creates_no_new_version(runner, app, tmp_path):
    make_org()
    fixtures = FIXTURES
    assert invoke(runner, "content", "import", str(COURSES), str(fixtures)).exit_code == 0
    versions = count(ModuleVersion)
    out = tmp_path / "exported"
    result = invoke(runner, "content", "export", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "eid-login" / "media" / "login.png").read_bytes() == (
        fixtures / "eid-login" / "media" / "login.png"
    ).read_bytes()
    check = invoke(runner, "content", "check", str(out))
    assert check.exit_code == 0, check.output
    result = invoke(runner, "content", "import", str(out))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 new version(s)" in result.output
    assert count(ModuleVersion) == versions


def test_export_of_one_module_and_of_an_unknown_one(runner, app, tmp_path):
    make_org()
    write_module(tmp_path / "lib", "m1")
    write_module(tmp_path / "lib", "m2")
    invoke(runner, "content", "import", str(tmp_path / "lib"))
    result = invoke(runner, "content", "export", str(tmp_path / "out"), "--module", "m2")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["m2"]
    assert (
        "id: m2\ntitle: Module m2 (fr)\n" in (tmp_path / "out" / "m2" / "index.fr.md").read_text()
    )
    result = invoke(runner, "content", "export", str(tmp_path / "x"), "--module", "nope")
    assert result.exit_code != 0 and "nope" in result.output


def test_the_demo_loader_imports_the_library_once(app, tmp_path):
    from app.content.views import load_demo_library

    make_org()
    app.config["COURSES_PATH"] = str(FIXTURES)
    app.config["QUIZZES_PATH"] = str(tmp_path / "no-quizzes")
    messages: list[str] = []
    with app.app_context():
        load_demo_library(messages.append)
        db.session.commit()
        load_demo_library(messages.append)
        db.session.commit()
    assert messages == [
        "modules: 2 created, 0 new version(s), 0 unchanged",
        "modules: 0 created, 0 new version(s), 2 unchanged",
    ]
    assert DEMO_LOADERS.receivers(app).count(load_demo_library) == 1
