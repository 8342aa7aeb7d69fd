"""A readable line diff between two texts (module versions, or a draft and what was saved).

Pure: returns plain rows; templates escape them like any other text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    """One row of a diff: kind is "same", "added", "removed" or "gap" (unchanged lines left out)."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class FieldChange:
    """A front-matter field whose value differs between the two sides."""

    name: str
    old: str
    new: str


def line_diff(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """Rows of a unified diff of two texts, with line numbers on both sides."""
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows: list[DiffLine] = []
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        # A gap row between groups, and before the first when it does not start at line 1.
        if group_index or (group and (group[0][1] > 0 or group[0][3] > 0)):
            rows.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffLine("same", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in ("replace", "delete"):
                rows.extend(DiffLine("removed", i + 1, None, old_lines[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                rows.extend(DiffLine("added", None, j + 1, new_lines[j]) for j in range(j1, j2))
    return rows


def field_changes(old: dict[str, object], new: dict[str, object]) -> list[FieldChange]:
    """The fields whose values differ, in the order of `new` then `old`."""
    names = list(new) + [name for name in old if name not in new]
    return [
        FieldChange(name, _shown(old.get(name)), _shown(new.get(name)))
        for name in names
        if old.get(name) != new.get(name)
    ]


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
