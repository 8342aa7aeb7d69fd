"""`content check`: a whole library or one module, errors and warnings at file:line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app.content.library_check import check_library, check_readings, has_errors, read_library
from app.content.module_folder import load_module_folder
from app.web.problems import ERROR, WARNING, Problem, errors, make_problem, warnings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests/fixtures"
GOOD = FIXTURES / "courses_good"
PROBLEMS = FIXTURES / "courses_problems"


def found(path: Path, base: Path | None = None) -> list[tuple[str, int, str, str]]:
    base = base or path
    return [
        (Path(p.file).relative_to(base).as_posix(), p.line, p.severity, p.message)
        for p in check_library(path)
    ]


def test_a_clean_library_has_no_problems() -> None:
    assert check_library(GOOD) == []
    assert check_library(GOOD / "eid-login") == []


def test_every_kind_of_problem_in_a_library() -> None:
    not_allowed = "this file type is not allowed (only png, jpg, gif, webp, mp4, webm, pdf)"
    assert found(PROBLEMS) == [
        ("broken/index.en.md", 4, ERROR,
         "invalid YAML in the front matter: mapping values are not allowed in this context"),
        ("good-module/index.en.md", 10, WARNING,
         "'refresher_of' names 'missing-module', which is not in this library"),
        ("good-module/media/unused.png", 0, WARNING, "this file is not used by any page"),
        ("good-module/notes.md", 0, WARNING,
         "not part of the module (ignored): media go beside index files or in media/"),
        ("not-a-module", 0, WARNING,
         "no module file (index.de.md, ...) in this folder: it is ignored"),
        ("outdated/index.fr.md", 7, WARNING,
         "translation out of date: it follows revision 2 but the source (de) is at revision 3"),
        ("outdated/index.it.md", 7, ERROR,
         "'translates' is 4 but the source (de) is only at revision 3"),
        ("unsafe/index.en.md", 12, WARNING,
         'raw HTML is not supported and is removed: <span onclick="alert(1)"> </span>'),
        ("unsafe/index.en.md", 16, ERROR,
         "'media/missing.png' does not exist in the module folder"),
        ("unsafe/index.en.md", 16, WARNING,
         "image without alt text: describe it, like ![Login page](login.png)"),
        ("unsafe/index.en.md", 18, WARNING, "'javascript:' links are not allowed and are removed"),
        ("unsafe/media/evil.svg", 0, ERROR, not_allowed),
        ("wrong-id/index.en.md", 2, ERROR,
         "'id' is 'good-module' but the folder is 'wrong-id': they must be the same"),
        ("wrong-id/index.en.md", 2, ERROR,
         f"module id 'good-module' is already used by the folder {PROBLEMS / 'good-module'}"),
    ]  # fmt: skip


def test_line_numbers_point_at_the_real_lines() -> None:
    for problem in check_library(PROBLEMS):
        if problem.line == 0:
            continue
        line = Path(problem.file).read_text(encoding="utf-8").split("\n")[problem.line - 1]
        expected = {
            "refresher_of": "refresher_of:",
            "translat": "translates:",
            "raw HTML": "<span",
            "does not exist": "![](media/missing.png)",
            "alt text": "![](media/missing.png)",
            "javascript": "javascript:",
            "invalid YAML": "summary:",
            "module id": "id:",
            "'id' is": "id:",
        }
        needle = next(v for k, v in expected.items() if k in problem.message)
        assert needle in line, (str(problem), line)


def test_errors_and_warnings_are_told_apart() -> None:
    problems = check_library(PROBLEMS)
    assert has_errors(problems)
    assert len(errors(problems)) == 6
    assert len(warnings(problems)) == 8
    assert all(p.severity in (ERROR, WARNING) for p in problems)
    assert not has_errors(check_library(PROBLEMS / "good-module"))


def test_problems_print_as_file_line_message() -> None:
    lines = [str(p) for p in check_library(PROBLEMS)]
    assert f"{PROBLEMS}/outdated/index.it.md:7: 'translates' is 4 but" in lines[6]
    assert lines[4] == (
        f"{PROBLEMS}/not-a-module: no module file (index.de.md, ...) in this folder: it is ignored"
    )
    assert all(re.match(r"^\S+(:\d+)?: \S", line) for line in lines)


def test_relative_paths_stay_relative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    assert [p.file for p in check_library("courses_problems/outdated")] == [
        "courses_problems/outdated/index.fr.md",
        "courses_problems/outdated/index.it.md",
    ]


def test_checking_one_module_folder() -> None:
    assert found(PROBLEMS / "outdated", PROBLEMS) == [
        ("outdated/index.fr.md", 7, WARNING,
         "translation out of date: it follows revision 2 but the source (de) is at revision 3"),
        ("outdated/index.it.md", 7, ERROR,
         "'translates' is 4 but the source (de) is only at revision 3"),
    ]  # fmt: skip
    # refresher_of can only be judged against a whole library.
    assert found(PROBLEMS / "good-module", PROBLEMS) == [
        ("good-module/media/unused.png", 0, WARNING, "this file is not used by any page"),
        ("good-module/notes.md", 0, WARNING,
         "not part of the module (ignored): media go beside index files or in media/"),
    ]  # fmt: skip


def test_duplicate_ids_across_folders(tmp_path: Path) -> None:
    library = tmp_path / "courses"
    shutil.copytree(GOOD, library)
    copy = shutil.copytree(library / "eid-login", library / "a-copy")
    assert copy.name == "a-copy"
    problems = [
        (Path(p.file).relative_to(library).as_posix(), p.line, p.message)
        for p in check_library(library)
    ]
    mismatch = "'id' is 'eid-login' but the folder is 'a-copy': they must be the same"
    duplicate = f"module id 'eid-login' is already used by the folder {library / 'eid-login'}"
    assert problems == [
        ("a-copy/index.de.md", 2, mismatch),
        ("a-copy/index.de.md", 2, duplicate),
        ("a-copy/index.fr.md", 2, mismatch),
        ("a-copy/index.fr.md", 2, duplicate),
    ]


def test_a_missing_path_and_an_empty_library(tmp_path: Path) -> None:
    assert [str(p) for p in check_library(tmp_path / "nope")] == [
        f"{tmp_path / 'nope'}: this folder does not exist"
    ]
    assert [(p.severity, p.message) for p in check_library(tmp_path)] == [
        (WARNING, "no modules found here")
    ]


def test_callers_can_add_their_own_problems() -> None:
    readings, problems = read_library(GOOD)
    problems += check_readings(readings, whole_library=True)
    problems.append(make_problem("quizzes/eid-login.yaml", 3, "quiz problem"))
    assert [str(p) for p in problems] == ["quizzes/eid-login.yaml:3: quiz problem"]
    assert has_errors(problems)
    assert isinstance(problems[0], Problem)


def test_a_checked_library_loads(tmp_path: Path) -> None:
    readings, problems = read_library(GOOD)
    assert not has_errors(problems + check_readings(readings, whole_library=True))
    assert sorted(r.module.id for r in readings if r.module) == ["eid-login", "eid-login-refresher"]
    assert load_module_folder(GOOD / "eid-login-refresher").source.refresher_of == "eid-login"


def test_the_example_in_the_trainers_guide_is_a_valid_module(tmp_path: Path) -> None:
    guide = (REPO / "courses/README.md").read_text(encoding="utf-8")
    example = re.search(r"````markdown\n(.*?)````", guide, re.DOTALL)
    assert example is not None
    folder = tmp_path / "eid-login"
    (folder / "media").mkdir(parents=True)
    (folder / "index.en.md").write_text(example.group(1), encoding="utf-8")
    shutil.copy(GOOD / "eid-login/media/login.png", folder / "media/login.png")
    shutil.copy(GOOD / "eid-login/media/demo.mp4", folder / "media/demo.mp4")
    (folder / "media/handout.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert check_library(folder) == []
    module = load_module_folder(folder)
    assert [p.title for p in module.source.pages] == [
        "Signing in to the virtual counter with the eID",
        "Before you start",
        "Signing in",
        "When something goes wrong",
    ]
