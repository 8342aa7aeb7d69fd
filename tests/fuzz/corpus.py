"""A fixed-seed corpus of malformed files: mutations of the shipped modules, quizzes and GIFT.

Every mutation the field tests used is here: truncation, NUL bytes, invalid UTF-8, deep
nesting, alias bombs, dropped keys, duplicated keys, huge fields, wrong types, extreme numbers,
flipped bytes, and whole files far over the size limits. The same seed gives the same inputs,
so a failure names a case that can be rebuilt with `cases(kind)[index]`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.assessment import gift_export, gift_writer, quiz_format

SEED = 20261216
REPO = Path(__file__).resolve().parents[2]
COURSES = REPO / "courses"
QUIZZES = REPO / "quizzes"
# Per input, in CPU seconds of this process (time.process_time, not the wall clock).
CPU_BUDGET = 2.0

_KEY_LINE = re.compile(rb"^(\s*-?\s*)([A-Za-z_][\w-]*):[ ]?(.*)$")
_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")

WRONG_TYPES = (b"[1, 2]", b"{a: b}", b"~", b"true", b"''", b"-1", b"!!binary aGVsbG8=", b"[]")
EXTREME_NUMBERS = (
    b"10000000000",
    b"1e999",
    b"-1e999",
    b".nan",
    b".inf",
    b"9" * 5000,
    b"-0",
    b"0x7fffffffffffffff",
    b"1_000_000_000_000",
    b"-99999999999999999999",
)
ALIAS_BOMB = b"".join(
    [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    + [b"a%d: &a%d [%s]\n" % (i, i, b", ".join([b"*a%d" % (i - 1)] * 10)) for i in range(1, 9)]
)


@dataclass(frozen=True)
class Case:
    """One malformed input: what it was made from, how, and its bytes."""

    kind: str  # "module", "quiz" or "gift"
    origin: str  # file name of the shipped file it mutates
    mutation: str
    data: bytes

    def __str__(self) -> str:
        return f"{self.kind}:{self.origin}:{self.mutation} ({len(self.data)} bytes)"


@cache
def shipped(kind: str) -> tuple[tuple[str, bytes], ...]:
    """The shipped files of a kind, as (name, bytes); GIFT is exported from the quizzes."""
    if kind == "module":
        return tuple((p.parent.name + "/" + p.name, p.read_bytes()) for p in module_files())
    if kind == "quiz":
        return tuple((p.name, p.read_bytes()) for p in sorted(QUIZZES.glob("*.yaml")))
    exports = []
    for path in sorted(QUIZZES.glob("*.yaml")):
        quiz, _problems = quiz_format.parse_quiz_file(path)
        assert quiz is not None, path
        dicts = gift_export.questions_to_gift(quiz.all_questions(), "fr")
        exports.append((path.stem + ".gift", gift_writer.write_gift(dicts).encode()))
    return tuple(exports)


def module_files() -> list[Path]:
    """The language files of the shipped modules."""
    return sorted(COURSES.glob("*/index.*.md"))


# --- Mutations: (random, original bytes, kind) -> mutated bytes ------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _key_lines(lines: list[bytes], kind: str) -> list[int]:
    """Indexes of `key: value` lines (for a module, only those in the front matter)."""
    end = len(lines)
    if kind == "module":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == b"---"), len(lines))
    return [i for i in range(end) if _KEY_LINE.match(lines[i])] or [0]


def truncate(rng: random.Random, data: bytes, kind: str) -> bytes:
    """Cut the file anywhere, possibly inside a UTF-8 character."""
    return data[: rng.randrange(len(data))]


def nul_byte(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A NUL byte somewhere."""
    at = rng.randrange(len(data))
    return data[:at] + b"\x00" + data[at:]


def invalid_utf8(rng: random.Random, data: bytes, kind: str) -> bytes:
    """Bytes that are not UTF-8 somewhere."""
    at = rng.randrange(len(data))
    return data[:at] + rng.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xfe\xfe")) + data[at:]


def deep_nesting(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A value nested thousands of levels deep (flow or block style); for GIFT, braces."""
    depth = rng.choice((40, 500, 5000, 50_000))
    if kind == "gift":
        at = rng.randrange(len(data))
        return data[:at] + b"{" * depth + b"=x}" + b"}" * depth + data[at:]
    lines = _lines(data)
    index = rng.choice(_key_lines(lines, kind))
    match = _KEY_LINE.match(lines[index])
    assert match is not None or index == 0
    head = (match.group(1) + match.group(2)) if match else b"x"
    if rng.random() < 0.5:
        lines[index] = head + b": " + b"[" * depth + b"1" + b"]" * depth
    else:
        depth = min(depth, 3000)
        nested = b"\n".join(b"  " * (i + 1) + b"k:" for i in range(depth))
        lines[index] = head + b":\n" + nested + b" 1"
    return b"\n".join(lines)


def alias_bomb(rng: random.Random, data: bytes, kind: str) -> bytes:
    """The billion-laughs pattern: each alias list repeats the one before ten times."""
    if kind == "gift":
        return data + b"\n\n::bomb::" + b"{=a ~b}" * 20_000 + b"\n"
    if kind == "module":
        return data.replace(b"---\n", b"---\n" + ALIAS_BOMB, 1)
    return ALIAS_BOMB + data


def dropped_key(rng: random.Random, data: bytes, kind: str) -> bytes:
    """One `key: value` line (and, half the time, the lines under it) removed."""
    lines = _lines(data)
    index = rng.choice(_key_lines(lines, kind))
    end = index + 1
    if rng.random() < 0.5:
        indent = len(lines[index]) - len(lines[index].lstrip())
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
    if kind == "gift":
        return data.replace(rng.choice((b"}", b"{", b"=", b"~", b"::")), b"", 1)
    return b"\n".join(lines[:index] + lines[end:])


def duplicated_key(rng: random.Random, data: bytes, kind: str) -> bytes:
    """One `key: value` line written twice."""
    lines = _lines(data)
    index = rng.choice(_key_lines(lines, kind))
    if kind == "gift":
        at = rng.randrange(len(data))
        return data[:at] + b"::dup::{=a =a}\n" + data[at:]
    return b"\n".join(lines[: index + 1] + [lines[index]] + lines[index + 1 :])


def huge_field(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A value of 20 KB to 2.6 MB."""
    size = rng.choice((20_000, 300_000, 2_600_000))
    filler = rng.choice((b"x", b"\xc3\xa9", b"ab "))
    value = (filler * (size // len(filler)))[:size]
    if kind == "gift":
        at = rng.randrange(len(data))
        return data[:at] + value + data[at:]
    lines = _lines(data)
    index = rng.choice(_key_lines(lines, kind))
    match = _KEY_LINE.match(lines[index])
    head = (match.group(1) + match.group(2)) if match else b"title"
    lines[index] = head + b': "' + value + b'"'
    return b"\n".join(lines)


def wrong_type(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A value of the wrong type: a list, a mapping, null, a boolean, binary..."""
    if kind == "gift":
        return data.replace(b"{", b"{" + rng.choice((b"#", b"TRUE", b"=", b"~%50%")), 1)
    lines = _lines(data)
    index = rng.choice(_key_lines(lines, kind))
    match = _KEY_LINE.match(lines[index])
    head = (match.group(1) + match.group(2)) if match else b"title"
    lines[index] = head + b": " + rng.choice(WRONG_TYPES)
    return b"\n".join(lines)


def extreme_number(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A number replaced by a huge, infinite, not-a-number or thousands-of-digits one."""
    numbers = list(_NUMBER.finditer(data))
    value = rng.choice(EXTREME_NUMBERS)
    if kind == "gift":
        value = rng.choice((b"1e999", b"-1e999", b"9" * 400, b"1e308", b"NAN", b"1e-999"))
        if rng.random() < 0.5:
            return data + b"\n\n::n::Number? {#" + value + b":" + value + b"}\n"
    if not numbers:
        return data + b"\nattempts: " + value
    match = rng.choice(numbers)
    return data[: match.start()] + value + data[match.end() :]


def settings_at_extremes(rng: random.Random, data: bytes, kind: str) -> bytes:
    """Quiz settings a trainer could type: far beyond every maximum (the field report)."""
    if kind != "quiz":
        return extreme_number(rng, data, kind)
    key = rng.choice(
        (b"time_limit_minutes", b"cooldown_minutes", b"attempts", b"pass_mark", b"points")
    )
    value = rng.choice((b"10000000000", b"1000000", b"601", b"43201", b"101", b"1e300"))
    lines = _lines(data)
    lines = [line for line in lines if not line.startswith(key + b":")]
    if key == b"points":
        return b"\n".join(lines).replace(b"    type:", b"    points: " + value + b"\n    type:", 1)
    return key + b": " + value + b"\n" + b"\n".join(lines)


def flipped_bytes(rng: random.Random, data: bytes, kind: str) -> bytes:
    """A few random bytes changed."""
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutable[rng.randrange(len(mutable))] = rng.randrange(256)
    return bytes(mutable)


def whole_file_too_large(rng: random.Random, data: bytes, kind: str) -> bytes:
    """The file repeated to about 2.5 MB (the 25-second quiz of the field report)."""
    if kind == "quiz":
        head, _, questions = data.partition(b"\nquestions:\n")
        body = questions.split(b"\npools:\n")[0]
        copies = [
            re.sub(rb"(\n  - id: )([\w.-]+)", rb"\1\2-" + str(i).encode(), b"\n" + body)
            for i in range(2_500_000 // max(len(body), 1) + 1)
        ]
        return head + b"\nquestions:" + b"".join(copies)
    return data * (2_500_000 // len(data) + 1)


MUTATIONS: tuple[Callable[[random.Random, bytes, str], bytes], ...] = (
    truncate,
    nul_byte,
    invalid_utf8,
    deep_nesting,
    alias_bomb,
    dropped_key,
    duplicated_key,
    huge_field,
    wrong_type,
    extreme_number,
    settings_at_extremes,
    flipped_bytes,
    whole_file_too_large,
)


@cache
def cases(kind: str, count: int, only: tuple[str, ...] = ()) -> tuple[Case, ...]:
    """`count` malformed inputs of a kind, always the same ones (fixed seed).

    `only`: mutate only the shipped files whose names start with one of these module ids.
    """
    rng = random.Random(f"{SEED}:{kind}:{','.join(only)}")
    originals = [o for o in shipped(kind) if not only or o[0].startswith(only)]
    result = []
    for index in range(count):
        mutation = MUTATIONS[index % len(MUTATIONS)]
        name, data = rng.choice(originals)
        result.append(Case(kind, name, f"{mutation.__name__}#{index}", mutation(rng, data, kind)))
    return tuple(result)
