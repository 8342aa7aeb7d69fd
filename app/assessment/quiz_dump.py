"""Writing a quiz in the quiz file format (`quizzes/<id>.yaml`, docs/QUIZ_FORMAT.md).

`quiz_format.parse_quiz_text` of the result gives an equal Quiz. Pure: no Flask, no database.
"""

from __future__ import annotations

from typing import Any

import yaml

from app.assessment.questions import NumericAnswer, Option, Question, Quiz, ShortAnswer, Texts
from app.i18n.languages import UNDETERMINED

_STR = "tag:yaml.org,2002:str"


class _QuizDumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line text as literal blocks and never uses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never write anchors and aliases: trainers read these files."""
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent lists under their key, as trainers write them in the examples.
        """Indent lists under their key."""
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_STR, value, style=style)


_QuizDumper.add_representer(str, _represent_str)


def dump_quiz(quiz: Quiz) -> str:
    """Write a quiz in the quiz file format; `parse_quiz_text` of the result gives an equal Quiz."""
    data: dict[str, Any] = {"id": quiz.id}
    if quiz.module_id is not None:
        data["module"] = quiz.module_id
    data["title"] = _dump_text(quiz.title)
    data["pass_mark"] = quiz.pass_mark
    data["attempts"] = quiz.attempts
    data["cooldown_minutes"] = quiz.cooldown_minutes
    if quiz.time_limit_minutes is not None:
        data["time_limit_minutes"] = quiz.time_limit_minutes
    data["score"] = quiz.score_policy
    data["shuffle_questions"] = quiz.shuffle_questions
    data["shuffle_options"] = quiz.shuffle_options
    data["layout"] = quiz.layout
    data["review"] = quiz.review
    if quiz.questions or not quiz.pools:
        data["questions"] = [_dump_question(q) for q in quiz.questions]
    if quiz.pools:
        data["pools"] = [
            {
                "id": pool.id,
                "draw": pool.draw,
                "questions": [_dump_question(q) for q in pool.questions],
            }
            for pool in quiz.pools
        ]
    return yaml.dump(
        data,
        Dumper=_QuizDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def _dump_text(texts: Texts) -> str | dict[str, str]:
    if set(texts) == {UNDETERMINED}:
        return texts[UNDETERMINED]
    return dict(texts)


def _put_text(target: dict[str, Any], key: str, texts: Texts) -> None:
    if texts:
        target[key] = _dump_text(texts)


def _dump_question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "stem": _dump_text(question.stem),
    }
    if question.points != 1:
        data["points"] = question.points
    _put_text(data, "explanation", question.explanation)
    if question.tags:
        data["tags"] = list(question.tags)
    if question.type in ("single", "multiple"):
        data["options"] = [_dump_option(question.type, option) for option in question.options]
    elif question.type == "truefalse":
        data["answer"] = question.answer
        _put_text(data, "feedback_true", question.feedback_true)
        _put_text(data, "feedback_false", question.feedback_false)
    elif question.type in ("short", "numeric"):
        data["answers"] = [_dump_answer(answer) for answer in question.answers]
        if question.type == "short":
            if question.case_sensitive:
                data["case_sensitive"] = True
            if question.accent_sensitive:
                data["accent_sensitive"] = True
    elif question.type == "matching":
        data["pairs"] = [
            {"id": p.id, "prompt": _dump_text(p.prompt), "match": _dump_text(p.match)}
            for p in question.pairs
        ]
        if question.distractors:
            data["distractors"] = [_dump_text(text) for text in question.distractors]
    elif question.type == "ordering":
        data["items"] = [{"id": i.id, "text": _dump_text(i.text)} for i in question.items]
    return data


def _dump_option(qtype: str, option: Option) -> dict[str, Any]:
    data: dict[str, Any] = {"id": option.id, "text": _dump_text(option.text)}
    if qtype == "single":
        if option.correct:
            data["correct"] = True
    elif option.weight != 0:
        data["weight"] = option.weight
    _put_text(data, "feedback", option.feedback)
    return data


def _dump_answer(answer: ShortAnswer | NumericAnswer) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if isinstance(answer, ShortAnswer):
        data["text"] = answer.text
    elif answer.value is not None:
        data["value"] = answer.value
        if answer.tolerance != 0:
            data["tolerance"] = answer.tolerance
    else:
        data["min"] = answer.min
        data["max"] = answer.max
    if answer.weight != 100:
        data["weight"] = answer.weight
    _put_text(data, "feedback", answer.feedback)
    return data
