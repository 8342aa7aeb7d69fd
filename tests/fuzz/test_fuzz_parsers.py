"""The pure readers over the malformed corpus: a problem with file and line, never an exception.

Each input must be answered within the CPU budget; every refusal names the file and a line.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from app.assessment import gift_convert, gift_reader, quiz_format
from app.assessment.library import check_definition, merge_questions
from app.assessment.questions import Quiz
from app.content import module_folder
from app.content.media_types import media_type_for_name, sniff_media
from tests.content.builders import tiny_pdf, tiny_png
from tests.fuzz.corpus import CPU_BUDGET, SEED, Case, cases

PER_KIND = 80


def _timed(case: Case, run) -> tuple[object, float]:
    started = time.process_time()
    result = run()
    spent = time.process_time() - started
    assert spent <= CPU_BUDGET, f"{case}: {spent:.2f} s of CPU (budget {CPU_BUDGET} s)"
    return result, spent


def _assert_refusal_names_the_file(case: Case, problems, filename: str) -> None:
    errors = [p for p in problems if p.is_error]
    assert errors, f"{case}: refused without an error"
    for problem in errors:
        assert problem.file == filename, f"{case}: {problem} does not name {filename}"
        assert str(problem).startswith(f"{filename}:"), f"{case}: {problem}"
        assert problem.line >= 0, f"{case}: {problem}"


@pytest.mark.parametrize("case", cases("quiz", PER_KIND), ids=str)
def test_quiz_files(case: Case, tmp_path: Path) -> None:
    path = tmp_path / case.origin
    path.write_bytes(case.data)
    (quiz, problems), _spent = _timed(case, lambda: quiz_format.parse_quiz_file(path))
    if quiz is None:
        _assert_refusal_names_the_file(case, problems, str(path))


@pytest.mark.parametrize("case", cases("module", PER_KIND), ids=str)
def test_module_files(case: Case, tmp_path: Path) -> None:
    folder_name, file_name = case.origin.split("/")
    folder = tmp_path / folder_name
    folder.mkdir()
    (folder / file_name).write_bytes(case.data)
    reading, _spent = _timed(case, lambda: module_folder.read_module_folder(folder))
    if reading.module is None:
        errors = [p for p in reading.problems if p.is_error]
        assert errors, f"{case}: refused without an error"
        assert all(p.file.startswith(str(folder)) for p in errors), case


@pytest.mark.parametrize("case", cases("gift", PER_KIND), ids=str)
def test_gift_files(case: Case) -> None:
    try:
        text = case.data.decode("utf-8")
    except UnicodeDecodeError:
        text = case.data.decode("utf-8", errors="replace")

    def read():
        result = gift_reader.read_gift(text, case.origin)
        questions, problems = gift_convert.gift_to_questions(result.questions, case.origin)
        if questions:
            definition = Quiz(id="fuzz", title={"und": "Fuzz"}, pass_mark=50)
            check_definition(merge_questions(definition, questions), case.origin)
        return [*result.problems, *problems]

    problems, _spent = _timed(case, read)
    for problem in problems:
        assert problem.file == case.origin, f"{case}: {problem}"


def test_media_sniffing() -> None:
    rng = random.Random(SEED)
    originals = (tiny_png(), tiny_pdf(), b"\x1a\x45\xdf\xa3" + b"\x42\x82\x84webm", b"")
    for index in range(300):
        data = bytearray(rng.choice(originals) + rng.randbytes(rng.randint(0, 64)))
        for _ in range(rng.randint(0, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        kind = sniff_media(bytes(data[: rng.randint(0, len(data))]))
        assert kind is None or kind.mime, index
        name = rng.choice(("a.png", "b.PDF", "c", ".mp4", "x\x00.webm", "é.gif", "../a.jpg"))
        media_type_for_name(name)
