"""Moodle's own GIFT conformance cases (tests/data/gift): import fields and exact export."""

import json
import math
from pathlib import Path

import pytest

from app.assessment.gift import extract_idnumber_and_tags
from app.assessment.gift_reader import read_gift
from app.assessment.gift_writer import write_gift

GIFT_DIR = Path(__file__).resolve().parents[1] / "data" / "gift"
EXPECTED = json.loads((GIFT_DIR / "expected.json").read_text(encoding="utf-8"))
CASES = EXPECTED["cases"]
EXPORT_CASES = [case for case in CASES if case["status"] == "moodle-phpunit-export"]


def assert_fields(actual, expected, path="question"):
    """Assert every field `expected` lists, comparing numbers with a 1e-6 tolerance."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} is missing"
            assert_fields(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_fields(got, want, f"{path}[{index}]")
    elif isinstance(expected, bool) or isinstance(actual, bool):
        assert actual is expected, path
    elif isinstance(expected, int | float) and isinstance(actual, int | float):
        assert math.isclose(actual, expected, abs_tol=1e-6), f"{path}: {actual} != {expected}"
    elif {actual, expected} <= {"", 0}:
        # expected.json: the tolerance of a '*' answer is '' in new Moodle and 0 in old.
        pass
    else:
        assert actual == expected, path


def test_all_24_cases_are_present():
    assert len(CASES) == 24
    assert sorted(p.name for p in GIFT_DIR.glob("*.gift")) == sorted(c["file"] for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["file"])
def test_read_gift_gives_the_fields_moodle_asserts(case):
    text = (GIFT_DIR / case["file"]).read_text(encoding="utf-8")
    result = read_gift(text, case["file"])
    if "expected_error" in case:
        assert result.questions == []
        assert [p.message for p in result.problems] == [case["expected_error"]]
        return
    assert [p for p in result.problems if p.severity == "error"] == []
    assert len(result.questions) == case.get("expected_count", len(case["questions"]))
    for actual, expected in zip(result.questions, case["questions"], strict=True):
        expected = dict(expected)
        if "file_import_questiontext" in case:
            # A whole-file import trims every line first, as qformat_default::readquestions.
            expected["questiontext"] = case["file_import_questiontext"]
        assert_fields(actual, expected)
        assert actual["line"] == 1
        assert actual["category"] is None


@pytest.mark.parametrize("case", EXPORT_CASES, ids=lambda case: case["file"])
def test_write_gift_reproduces_moodle_export_byte_for_byte(case):
    raw = (GIFT_DIR / case["file"]).read_bytes()
    # The exported question's id is in the first comment ("// question: 666  name: ...").
    question_id = int(raw.split(b"\n", 1)[0].split()[2])
    questions = [dict(question, id=question_id) for question in case["questions"]]
    assert write_gift(questions).encode("utf-8") == raw


@pytest.mark.parametrize("case", EXPORT_CASES, ids=lambda case: case["file"])
def test_export_cases_read_back_to_the_exported_question(case):
    text = (GIFT_DIR / case["file"]).read_text(encoding="utf-8")
    again = write_gift(read_gift(text).questions)
    assert read_gift(again).questions == read_gift(text).questions


@pytest.mark.parametrize("case", EXPECTED["comment_metadata_cases"], ids=lambda case: case["name"])
def test_idnumber_and_tags_from_comments(case):
    assert extract_idnumber_and_tags(case["comment"]) == (case["idnumber"], case["tags"])
