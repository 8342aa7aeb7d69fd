"""Item analysis of a quiz, as in Moodle's quiz statistics (pure: plain values in and out).

Per question:
- facility index: the mean score on the question as a share of its points (0..1);
- discrimination index: Pearson's correlation between the score on the question and the score
  on the rest of the attempt (the attempt's other questions), Moodle's definition; it is -1..1
  and undefined when either score does not vary. The classic upper-lower index (share right in
  the top 27 % of attempts minus the share right in the bottom 27 %) is given as well;
- how often each option (or, for open questions, each response) was chosen, overall and in the
  top and bottom 27 % groups;
- the average time spent, from the moments the answers were saved (only attempts whose answers
  were saved one by one count: a quiz shown all at once and sent in one go has no timing);
- flags: too easy (facility above 0.9), too hard (below 0.2), negative discrimination, and
  "strong learners choose a wrong option" (a wrong option chosen by more of the top group than
  the most chosen right option): often a misleading question or a jargon problem.

Attempts are either each learner's first (the default: later attempts are coloured by the
feedback of earlier ones) or all submitted attempts.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, median, pstdev
from typing import Any

from app.assessment.item_analysis_data import (
    MIN_ANSWERS_FOR_FLAGS,
    AnswerData,
    AttemptData,
    OptionStat,
    QuestionKey,
    QuestionStat,
    QuizAnalysis,
)
from app.i18n.markers import N_

TOO_EASY_ABOVE = 0.9
TOO_HARD_BELOW = 0.2
GROUP_SHARE = 0.27
MAX_SECONDS_PER_QUESTION = 3600
OPEN_RESPONSES_SHOWN = 10
CHOICE_TYPES = frozenset({"single", "multiple", "truefalse"})
FULL_MARKS = 1 - 1e-9

FIRST_ATTEMPTS = "first"
ALL_ATTEMPTS = "all"
POLICIES = (FIRST_ATTEMPTS, ALL_ATTEMPTS)

# Flags, with the sentence a trainer reads (marked for translation, translated by the view).
TOO_EASY = "too_easy"
TOO_HARD = "too_hard"
NEGATIVE_DISCRIMINATION = "negative_discrimination"
STRONG_CHOOSE_WRONG = "strong_choose_wrong"
FLAG_TEXTS = {
    TOO_EASY: N_("Too easy: more than 90 % get it right."),
    TOO_HARD: N_("Too hard: fewer than 20 % get it right."),
    NEGATIVE_DISCRIMINATION: N_(
        "Negative discrimination: learners who do well on the rest of the quiz do worse on "
        "this question. Check the key and the wording."
    ),
    STRONG_CHOOSE_WRONG: N_(
        "Strong learners choose a wrong option more often than the right one: often a "
        "misleading question or a jargon problem."
    ),
}


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Return Pearson's correlation of two equally long series (None when undefined)."""
    n = len(xs)
    if n < 3 or n != len(ys):
        return None
    mx, my = fmean(xs), fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def select_attempts(attempts: Iterable[AttemptData], policy: str) -> list[AttemptData]:
    """Keep each learner's first attempt (`first`) or every attempt (`all`)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown attempt policy {policy!r}")
    attempts = list(attempts)
    if policy == ALL_ATTEMPTS:
        return sorted(attempts, key=lambda a: (a.user_id, a.number, a.attempt_id))
    first: dict[int, AttemptData] = {}
    for attempt in attempts:
        known = first.get(attempt.user_id)
        if known is None or (attempt.number, attempt.attempt_id) < (known.number, known.attempt_id):
            first[attempt.user_id] = attempt
    return sorted(first.values(), key=lambda a: a.user_id)


def _fraction(answer: AnswerData) -> float:
    value = answer.fraction or 0.0
    return max(0.0, min(1.0, float(value)))


@dataclass(frozen=True)
class _Scored:
    attempt: AttemptData
    earned: float
    possible: float

    @property
    def percent(self) -> float:
        return 100.0 * self.earned / self.possible if self.possible > 0 else 0.0


def _score(attempt: AttemptData, points: dict[str, float]) -> _Scored:
    earned = possible = 0.0
    for answer in attempt.answers:
        weight = points.get(answer.question_id, 1.0)
        earned += _fraction(answer) * weight
        possible += weight
    return _Scored(attempt, earned, possible)


def _response_key(response: Any) -> str:
    if isinstance(response, str):
        return response.strip()
    return json.dumps(response, sort_keys=True, ensure_ascii=False)


def _response_label(response: Any) -> str:
    if isinstance(response, str):
        return response.strip()
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, dict):
        return ", ".join(f"{k} → {v}" for k, v in sorted(response.items()))
    if isinstance(response, list | tuple):
        return " › ".join(str(item) for item in response)
    return str(response)


def _chosen_keys(question: QuestionKey, response: Any) -> list[str]:
    """Return the option ids a response chose (choice questions)."""
    if response is None:
        return []
    if question.type == "truefalse":
        if isinstance(response, str):
            return [response] if response in ("true", "false") else []
        return ["true" if response else "false"]
    if question.type == "multiple":
        return [str(item) for item in response] if isinstance(response, list | tuple) else []
    return [str(response)]


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def _option_stats(
    question: QuestionKey,
    rows: list[tuple[_Scored, AnswerData]],
    top: set[int],
    bottom: set[int],
) -> tuple[OptionStat, ...]:
    answered = [(s, a) for s, a in rows if a.response is not None]
    top_rows = [(s, a) for s, a in answered if s.attempt.attempt_id in top]
    bottom_rows = [(s, a) for s, a in answered if s.attempt.attempt_id in bottom]
    if question.type in CHOICE_TYPES:

        def counts(items: list[tuple[_Scored, AnswerData]]) -> Counter[str]:
            counter: Counter[str] = Counter()
            for _scored, answer in items:
                counter.update(set(_chosen_keys(question, answer.response)))
            return counter

        everyone, upper, lower = counts(answered), counts(top_rows), counts(bottom_rows)
        return tuple(
            OptionStat(
                key=option.id,
                label=option.label,
                is_correct=option.is_correct,
                count=everyone[option.id],
                share=everyone[option.id] / len(answered) if answered else 0.0,
                top_share=_share(upper[option.id], len(top_rows)),
                bottom_share=_share(lower[option.id], len(bottom_rows)),
            )
            for option in question.options
        )
    # Open questions: the most frequent responses, as Moodle's "analysis of responses".
    by_key: dict[str, list[tuple[_Scored, AnswerData]]] = {}
    for scored, answer in answered:
        by_key.setdefault(_response_key(answer.response), []).append((scored, answer))
    ranked = sorted(by_key.items(), key=lambda item: (-len(item[1]), item[0]))
    stats = []
    for key, items in ranked[:OPEN_RESPONSES_SHOWN]:
        in_top = sum(1 for s, _a in items if s.attempt.attempt_id in top)
        in_bottom = sum(1 for s, _a in items if s.attempt.attempt_id in bottom)
        stats.append(
            OptionStat(
                key=key,
                label=_response_label(items[0][1].response)[:200],
                is_correct=fmean(_fraction(a) for _s, a in items) >= FULL_MARKS,
                count=len(items),
                share=len(items) / len(answered),
                top_share=_share(in_top, len(top_rows)),
                bottom_share=_share(in_bottom, len(bottom_rows)),
            )
        )
    return tuple(stats)


def _seconds_per_question(attempts: Sequence[AttemptData]) -> dict[str, list[float]]:
    """Time between saving an answer and the previous one, for attempts saved one by one."""
    seconds: dict[str, list[float]] = {}
    for attempt in attempts:
        saved = [a for a in attempt.answers if a.response is not None]
        if len(saved) < 2 or any(a.saved_at is None for a in saved):
            continue
        saved.sort(key=lambda a: a.saved_at)  # type: ignore[arg-type, return-value]
        if len({a.saved_at for a in saved}) < len(saved):
            continue  # sent in one go: no per-question timing
        previous = attempt.started_at
        for answer in saved:
            if previous is not None:
                spent = (answer.saved_at - previous).total_seconds()  # type: ignore[operator]
                if 0 < spent <= MAX_SECONDS_PER_QUESTION:
                    seconds.setdefault(answer.question_id, []).append(spent)
            previous = answer.saved_at
    return seconds


def _flags(
    question: QuestionKey,
    asked: int,
    facility: float | None,
    discrimination: float | None,
    options: tuple[OptionStat, ...],
    top_answered: int,
) -> tuple[str, ...]:
    if asked < MIN_ANSWERS_FOR_FLAGS or facility is None:
        return ()
    flags = []
    if facility > TOO_EASY_ABOVE:
        flags.append(TOO_EASY)
    if facility < TOO_HARD_BELOW:
        flags.append(TOO_HARD)
    if discrimination is not None and discrimination < 0:
        flags.append(NEGATIVE_DISCRIMINATION)
    if question.type in CHOICE_TYPES and top_answered >= 2:
        right = [o.top_share or 0.0 for o in options if o.is_correct]
        wrong = [o.top_share or 0.0 for o in options if not o.is_correct]
        if right and wrong and max(wrong) > max(right):
            flags.append(STRONG_CHOOSE_WRONG)
    return tuple(flags)


def _cronbach_alpha(scored: Sequence[_Scored], points: dict[str, float]) -> float | None:
    """Cronbach's alpha, when every attempt was asked the same questions."""
    if len(scored) < 2:
        return None
    sets = {frozenset(a.question_id for a in s.attempt.answers) for s in scored}
    if len(sets) != 1:
        return None
    items = sorted(next(iter(sets)))
    if len(items) < 2:
        return None
    per_item: dict[str, list[float]] = {q: [] for q in items}
    for entry in scored:
        for answer in entry.attempt.answers:
            per_item[answer.question_id].append(
                _fraction(answer) * points.get(answer.question_id, 1.0)
            )
    total_var = pstdev([s.earned for s in scored]) ** 2
    if total_var <= 1e-12:
        return None
    k = len(items)
    item_var = sum(pstdev(values) ** 2 for values in per_item.values())
    return k / (k - 1) * (1 - item_var / total_var)


def analyse_quiz(
    questions: Sequence[QuestionKey],
    attempts: Iterable[AttemptData],
    *,
    policy: str = FIRST_ATTEMPTS,
) -> QuizAnalysis:
    """Compute the item analysis of a quiz from its submitted attempts."""
    chosen = select_attempts(attempts, policy)
    points = {q.id: float(q.points) for q in questions}
    scored = [_score(attempt, points) for attempt in chosen]
    ranked = sorted(scored, key=lambda s: (-s.percent, s.attempt.attempt_id))
    group = max(1, round(GROUP_SHARE * len(ranked))) if len(ranked) >= 2 else 0
    top = {s.attempt.attempt_id for s in ranked[:group]}
    bottom = {s.attempt.attempt_id for s in ranked[len(ranked) - group :]} if group else set()
    seconds = _seconds_per_question(chosen)

    stats = []
    known_ids = [q.id for q in questions]
    asked_ids = {a.question_id for entry in scored for a in entry.attempt.answers}
    extra = sorted(asked_ids - set(known_ids))
    keys = list(questions) + [QuestionKey(id=qid, type="unknown", label=qid) for qid in extra]
    by_question: dict[str, list[tuple[_Scored, AnswerData]]] = {}
    for entry in scored:
        for answer in entry.attempt.answers:
            by_question.setdefault(answer.question_id, []).append((entry, answer))
    for question in keys:
        rows = by_question.get(question.id, [])
        stats.append(_question_stat(question, rows, points, (top, bottom), seconds))
    percents = [s.percent for s in scored]
    return QuizAnalysis(
        policy=policy,
        attempts=len(scored),
        learners=len({s.attempt.user_id for s in scored}),
        mean_percent=fmean(percents) if percents else None,
        median_percent=median(percents) if percents else None,
        sd_percent=pstdev(percents) if len(percents) >= 2 else None,
        alpha=_cronbach_alpha(scored, points),
        group_size=group,
        questions=tuple(stats),
        scores=tuple(percents),
    )


def _question_stat(
    question: QuestionKey,
    rows: list[tuple[_Scored, AnswerData]],
    points: dict[str, float],
    groups: tuple[set[int], set[int]],
    seconds: dict[str, list[float]],
) -> QuestionStat:
    """The statistics of one question from its answers (`groups`: the top and bottom 27 %)."""
    top, bottom = groups
    fractions = [_fraction(a) for _s, a in rows]
    weight = points.get(question.id, 1.0)
    pairs = [
        (_fraction(a), (s.earned - _fraction(a) * weight) / (s.possible - weight))
        for s, a in rows
        if s.possible - weight > 0
    ]
    discrimination = pearson([p[0] for p in pairs], [p[1] for p in pairs])
    top_fr = [_fraction(a) for s, a in rows if s.attempt.attempt_id in top]
    bottom_fr = [_fraction(a) for s, a in rows if s.attempt.attempt_id in bottom]
    upper_lower = fmean(top_fr) - fmean(bottom_fr) if top_fr and bottom_fr else None
    facility = fmean(fractions) if fractions else None
    options = _option_stats(question, rows, top, bottom)
    top_answered = sum(1 for s, a in rows if s.attempt.attempt_id in top and a.response is not None)
    times = seconds.get(question.id, [])
    return QuestionStat(
        question_id=question.id,
        type=question.type,
        label=question.label,
        asked=len(rows),
        answered=sum(1 for _s, a in rows if a.response is not None),
        unanswered=sum(1 for _s, a in rows if a.response is None),
        facility=facility,
        sd=pstdev(fractions) if len(fractions) >= 2 else None,
        discrimination=discrimination,
        upper_lower=upper_lower,
        mean_seconds=fmean(times) if times else None,
        options=options,
        flags=_flags(question, len(rows), facility, discrimination, options, top_answered),
    )


def score_bins(scores: Iterable[float | None], width: int = 10) -> list[int]:
    """Count scores (0..100) in bins of `width` points; 100 falls in the last bin."""
    bins = [0] * (100 // width)
    for score in scores:
        if score is None:
            continue
        index = min(int(max(0.0, float(score)) // width), len(bins) - 1)
        bins[index] += 1
    return bins
