"""Reading one question of a quiz file, type by type, with the checks each type needs.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from app.assessment.questions import (
    MAX_POINTS,
    QUESTION_TYPES,
    Item,
    NumericAnswer,
    Option,
    Pair,
    Question,
    ShortAnswer,
)
from app.assessment.quiz_nodes import Entry, NodeReader, node_line, plain_number
from app.assessment.quiz_schema import (
    COMMON_QUESTION_KEYS,
    ITEM_KEYS,
    MAX_CHOICES,
    MULTIPLE_OPTION_KEYS,
    NUMERIC_ANSWER_KEYS,
    PAIR_KEYS,
    REQUIRED_TYPE_KEYS,
    SHORT_ANSWER_KEYS,
    SINGLE_OPTION_KEYS,
    TYPE_KEYS,
    WEIGHT_EPSILON,
)
from app.i18n.markers import N_


class QuestionReader(NodeReader):
    """Reads questions; ids must be unique across the whole quiz, pools included."""

    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self._question_ids: dict[str, int] = {}

    def question(self, node: yaml.Node) -> Question | None:
        """Return the question a node describes, or None after reporting why it is not one."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node_line(node), N_("expected a question (key: value lines)"))
            return None
        qtype = self._question_type(node)
        errors_before = self.error_count()
        if qtype is None:
            self.error(node_line(node), N_("missing required key '%(key)s'"), key="type")
            qtype = "?"
        if qtype == "?":
            # Without a type only the common keys can be checked; the rest would be noise.
            allowed = COMMON_QUESTION_KEYS + tuple(
                sorted({key for keys in TYPE_KEYS.values() for key in keys})
            )
            self.mapping(node, allowed, ("id", "stem"))
            return None
        entries = self.mapping(
            node,
            COMMON_QUESTION_KEYS + TYPE_KEYS[qtype],
            ("id", "type", "stem") + REQUIRED_TYPE_KEYS[qtype],
        )
        if entries is None:
            return None
        fields: dict[str, Any] = {"type": qtype, **self._common_fields(entries)}
        if all(key in entries for key in REQUIRED_TYPE_KEYS[qtype]):
            getattr(self, f"_{qtype}")(entries, fields)
        if self.error_count() > errors_before:
            return None
        return Question(**fields)

    def _question_type(self, node: yaml.MappingNode) -> str | None:
        """Return the question's type, "?" when it is not a known one, None when it is missing."""
        qtype = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "type":
                if isinstance(value_node, yaml.ScalarNode) and value_node.value in QUESTION_TYPES:
                    qtype = value_node.value
                else:
                    self.error(
                        node_line(value_node),
                        N_("unknown question type '%(type)s' (use %(allowed)s)"),
                        type=getattr(value_node, "value", "?"),
                        allowed=", ".join(QUESTION_TYPES),
                    )
                    qtype = "?"
        return qtype

    def _common_fields(self, entries: dict[str, Entry]) -> dict[str, Any]:
        """Read the keys every question type has: id, stem, points, explanation and tags."""
        fields: dict[str, Any] = {}
        if "id" in entries:
            fields["id"] = self._question_id(entries["id"])
        if "stem" in entries:
            fields["stem"] = self.text(entries["stem"], required=True)
        if "points" in entries:
            points = self.number(entries["points"])
            if points is not None and points <= 0:
                self.error(entries["points"].line, N_("'points' must be more than 0"))
            elif points is not None and points > MAX_POINTS:
                self.error(
                    entries["points"].line, N_("'points' must be at most %(max)s"), max=MAX_POINTS
                )
            fields["points"] = points
        if "explanation" in entries:
            fields["explanation"] = self.text(entries["explanation"])
        if "tags" in entries:
            fields["tags"] = self.tags(entries["tags"])
        return fields

    def _question_id(self, entry: Entry) -> str | None:
        """Read a question id; a second question with the same id is an error."""
        question_id = self.identifier(entry)
        if question_id is not None:
            if question_id in self._question_ids:
                self.error(
                    entry.line,
                    N_("duplicate question id '%(id)s' (first on line %(first)s)"),
                    id=question_id,
                    first=self._question_ids[question_id],
                )
            self._question_ids.setdefault(question_id, entry.line)
        return question_id

    def _options(self, entries: dict[str, Entry], keys: tuple[str, ...]) -> list[Option]:
        nodes = self.sequence(entries["options"], MAX_CHOICES) or []
        options = []
        seen: dict[str, int] = {}
        for node in nodes:
            option = self.mapping(node, keys, ("id", "text"))
            if option is None:
                continue
            values: dict[str, Any] = {}
            if "id" in option:
                values["id"] = self.unique(option["id"], seen, "option")
            if "text" in option:
                values["text"] = self.text(option["text"], required=True)
            if "feedback" in option:
                values["feedback"] = self.text(option["feedback"])
            if "correct" in option:
                values["correct"] = self.boolean(option["correct"])
            if "weight" in option:
                weight = self.number(option["weight"])
                if weight is not None and not -100 <= weight <= 100:
                    self.error(option["weight"].line, N_("'weight' must be between -100 and 100"))
                values["weight"] = weight
            # A missing id or text was reported by mapping(); such an option is left out.
            if {"id", "text"} <= values.keys() and all(v is not None for v in values.values()):
                options.append(Option(**values))
        if len(nodes) < 2:
            self.error(entries["options"].line, N_("a choice question needs at least 2 options"))
        return options

    def _single(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        before = self.error_count()
        options = self._options(entries, SINGLE_OPTION_KEYS)
        if self.error_count() == before:
            correct = sum(1 for option in options if option.correct)
            if correct != 1:
                self.error(
                    entries["options"].line,
                    N_("a single-choice question needs exactly one correct option, found %(n)s"),
                    n=correct,
                )
        fields["options"] = tuple(options)

    def _multiple(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        before = self.error_count()
        options = self._options(entries, MULTIPLE_OPTION_KEYS)
        if self.error_count() == before:
            total = sum(option.weight for option in options if option.weight > 0)
            if abs(total - 100) > WEIGHT_EPSILON:
                self.error(
                    entries["options"].line,
                    N_("the positive weights must add up to 100, they add up to %(total)s"),
                    total=plain_number(total),
                )
        fields["options"] = tuple(options)

    def _truefalse(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        fields["answer"] = self.boolean(entries["answer"])
        for key in ("feedback_true", "feedback_false"):
            if key in entries:
                fields[key] = self.text(entries[key])

    def _short(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["answers"], MAX_CHOICES) or []
        answers = []
        for node in nodes:
            answer = self.mapping(node, SHORT_ANSWER_KEYS, ("text",))
            if answer is None:
                continue
            values: dict[str, Any] = {}
            if "text" in answer:
                if isinstance(answer["text"].value, yaml.MappingNode):
                    self.error(
                        answer["text"].line,
                        N_(
                            "an accepted answer is one text: list each language's answer "
                            "as a separate answer"
                        ),
                    )
                    continue
                text = self.string(answer["text"])
                if text is not None and not text.strip():
                    self.error(answer["text"].line, N_("'text' is empty"))
                    text = None
                values["text"] = text
            self._answer_extras(answer, values)
            if values.get("text") is not None and all(v is not None for v in values.values()):
                answers.append(ShortAnswer(**values))
        if not nodes:
            self.error(entries["answers"].line, N_("a question needs at least one answer"))
        elif answers and not any(a.weight >= 100 for a in answers):
            self.warning(entries["answers"].line, N_("no answer gives full marks (weight 100)"))
        fields["answers"] = tuple(answers)
        for key in ("case_sensitive", "accent_sensitive"):
            if key in entries:
                fields[key] = self.boolean(entries[key])

    def _answer_extras(self, answer: dict[str, Entry], values: dict[str, Any]) -> None:
        if "weight" in answer:
            weight = self.number(answer["weight"])
            if weight is not None and not 0 <= weight <= 100:
                self.error(answer["weight"].line, N_("'weight' must be between 0 and 100"))
            values["weight"] = weight
        if "feedback" in answer:
            values["feedback"] = self.text(answer["feedback"])

    def _numeric(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["answers"], MAX_CHOICES) or []
        answers = []
        for node in nodes:
            answer = self.mapping(node, NUMERIC_ANSWER_KEYS, ())
            if answer is None:
                continue
            values: dict[str, Any] = {}
            for key in ("value", "tolerance", "min", "max"):
                if key in answer:
                    values[key] = self.number(answer[key])
            has_range = "min" in answer or "max" in answer
            if "value" not in answer and not has_range:
                self.error(node_line(node), N_("a numeric answer needs 'value' or 'min' and 'max'"))
                continue
            if "value" in answer and has_range:
                self.error(
                    node_line(node), N_("a numeric answer has either 'value' or 'min'/'max'")
                )
                continue
            if has_range and not ("min" in answer and "max" in answer):
                missing = "max" if "min" in answer else "min"
                self.error(node_line(node), N_("missing required key '%(key)s'"), key=missing)
                continue
            if has_range and "tolerance" in answer:
                self.error(answer["tolerance"].line, N_("'tolerance' goes with 'value' only"))
                continue
            tolerance = values.get("tolerance")
            if tolerance is not None and tolerance < 0:
                self.error(answer["tolerance"].line, N_("'tolerance' must not be negative"))
                continue
            low, high = values.get("min"), values.get("max")
            if low is not None and high is not None and low > high:
                self.error(answer["min"].line, N_("'min' must not be greater than 'max'"))
                continue
            self._answer_extras(answer, values)
            if all(value is not None for value in values.values()):
                answers.append(NumericAnswer(**values))
        if not nodes:
            self.error(entries["answers"].line, N_("a question needs at least one answer"))
        elif answers and not any(a.weight >= 100 for a in answers):
            self.warning(entries["answers"].line, N_("no answer gives full marks (weight 100)"))
        fields["answers"] = tuple(answers)

    def _matching(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["pairs"], MAX_CHOICES) or []
        pairs = []
        seen: dict[str, int] = {}
        for node in nodes:
            pair = self.mapping(node, PAIR_KEYS, PAIR_KEYS)
            if pair is None or len(pair) < len(PAIR_KEYS):
                continue
            values = {
                "id": self.unique(pair["id"], seen, "pair"),
                "prompt": self.text(pair["prompt"], required=True),
                "match": self.text(pair["match"], required=True),
            }
            if all(value is not None for value in values.values()):
                pairs.append(Pair(**values))
        if len(nodes) < 2:
            self.error(entries["pairs"].line, N_("a matching question needs at least 2 pairs"))
        fields["pairs"] = tuple(pairs)
        if "distractors" in entries:
            distractors = []
            for node in self.sequence(entries["distractors"], MAX_CHOICES) or ():
                entry = Entry("distractors", node, node)
                text = self.text(entry, required=True)
                if text is not None:
                    distractors.append(text)
            fields["distractors"] = tuple(distractors)

    def _ordering(self, entries: dict[str, Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["items"], MAX_CHOICES) or []
        items = []
        seen: dict[str, int] = {}
        for node in nodes:
            item = self.mapping(node, ITEM_KEYS, ITEM_KEYS)
            if item is None or len(item) < len(ITEM_KEYS):
                continue
            item_id = self.unique(item["id"], seen, "item")
            text = self.text(item["text"], required=True)
            if item_id is not None and text is not None:
                items.append(Item(id=item_id, text=text))
        if len(nodes) < 2:
            self.error(entries["items"].line, N_("an ordering question needs at least 2 items"))
        elif len(items) == len(nodes) and _ids_reveal_order([item.id for item in items]):
            self.warning(
                entries["items"].line,
                N_(
                    "the item ids follow the correct order, so they give the answer away: "
                    "use ids that do not count up"
                ),
            )
        fields["items"] = tuple(items)


def _ids_reveal_order(ids: list[str]) -> bool:
    """Tell whether ids like 1,2,3 / a,b,c / step1,step2 list the items in their sorted order."""
    if len(ids) < 2:
        return False
    numbered = [re.fullmatch(r"(\D*?)(\d+)", item_id) for item_id in ids]
    if all(numbered):
        prefixes = {m.group(1) for m in numbered if m}
        numbers = [int(m.group(2)) for m in numbered if m]
        return len(prefixes) == 1 and numbers == sorted(numbers)
    if all(len(item_id) == 1 for item_id in ids):
        return ids == sorted(ids)
    return False
