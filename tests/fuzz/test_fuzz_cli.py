"""The import commands over the malformed corpus, against a database holding the shipped library.

Each command must exit 0 or 1 (never with a traceback), name the file in its messages when it
refuses, leave every table's row count and the media folder as they were after a refusal,
and stay within the CPU budget per input.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.content.builders import import_paths
from tests.factories import make_org
from tests.fuzz.corpus import COURSES, CPU_BUDGET, QUIZZES, Case, cases

# Three shipped modules and their quizzes: importing the whole library for the test would
# cost more than all the inputs together.
MODULES = ("aide-autonomie", "langage-clair", "service-en-panne")
MODULE_CASES, QUIZ_CASES, GIFT_CASES = 20, 30, 30


@pytest.fixture
def app_config(app_config, tmp_path):
    """Its own upload store, so that files left behind can be counted."""
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def library(app):
    """Three shipped modules and their quizzes, imported."""
    make_org()
    import_paths([COURSES / m for m in MODULES] + [QUIZZES / f"{m}-quiz.yaml" for m in MODULES])
    return app


def row_counts() -> dict[str, int]:
    """Rows per table, to prove that a refused import wrote nothing."""
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


def media_files(app) -> list[str]:
    """Every file in the media store, staging included."""
    root = Path(app.config["UPLOAD_PATH"])
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Library:
    """The database and media store between inputs: counted again only after an import."""

    def __init__(self, app) -> None:
        self.app = app
        self.rows = row_counts()
        self.files = media_files(app)

    def run(self, runner, case: Case, args: list[str], path: Path) -> None:
        """Run one command on one input and check the rules above."""
        started = time.process_time()
        result = runner.invoke(args=args)
        spent = time.process_time() - started
        assert spent <= CPU_BUDGET, f"{case}: {spent:.2f} s of CPU (budget {CPU_BUDGET} s)"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{case}: {args[:2]} raised") from result.exception
        assert result.exit_code in (0, 1), f"{case}: exit {result.exit_code}\n{result.output}"
        assert "Traceback" not in result.output, f"{case}\n{result.output}"
        if result.exit_code == 1:
            named = str(path) in result.output
            assert named, f"{case}: the refusal does not name the file\n{result.output[-2000:]}"
            assert row_counts() == self.rows, f"{case}: a refused import changed rows"
            assert media_files(self.app) == self.files, f"{case}: a refused import left files"
        else:
            self.rows, self.files = row_counts(), media_files(self.app)


def test_import_commands(library, runner, tmp_path):
    state = Library(library)
    for index, case in enumerate(cases("module", MODULE_CASES, MODULES)):
        folder_name, file_name = case.origin.split("/")
        folder = tmp_path / f"m{index}" / folder_name
        shutil.copytree(COURSES / folder_name, folder)
        (folder / file_name).write_bytes(case.data)
        state.run(runner, case, ["content", "import", str(folder)], folder)

    for index, case in enumerate(cases("quiz", QUIZ_CASES, MODULES)):
        path = tmp_path / f"q{index}" / case.origin
        path.parent.mkdir()
        path.write_bytes(case.data)
        state.run(runner, case, ["quizzes", "import", str(path)], path)

    for index, case in enumerate(cases("gift", GIFT_CASES, MODULES)):
        path = tmp_path / f"g{index}" / case.origin
        path.parent.mkdir()
        path.write_bytes(case.data)
        quiz = case.origin.removesuffix(".gift")
        args = ["quizzes", "import-gift", str(path), "--quiz", quiz, "--language", "fr"]
        state.run(runner, case, args, path)
