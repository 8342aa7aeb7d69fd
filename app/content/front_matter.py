"""The front matter of a language file: YAML read node by node, then every key checked.

PyYAML's safe loader composes the YAML (bounded: no aliases, at most MAX_FRONT_MATTER_VALUES
values) so that every problem names its real line in the .md file. The typed value of each key
is read by `front_matter_values`. Pure: no Flask, no database.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import yaml

from app.content.front_matter_values import (
    FileChecker,
    FrontMatterEntry,
    integer_value,
    kind_value,
    language_value,
    slug_value,
    tags_value,
    text_value,
)
from app.content.module_format import (
    FRONT_MATTER_KEYS,
    MAX_FRONT_MATTER_VALUES,
    MAX_MINUTES,
    MAX_NOTE_LENGTH,
    MAX_REVISION,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VALID_DAYS,
    MIN_MINUTES,
    REQUIRED_KEYS,
)
from app.content.safe_yaml import AliasRefused, compose_limited, reader_error_line
from app.i18n.markers import N_

Entries = dict[str, FrontMatterEntry]


def read_front_matter(source: str, first_line: int, checker: FileChecker) -> Entries | None:
    """Compose the YAML (safe loader, bounded) and return its top-level keys with their lines."""
    try:
        loader, root = compose_limited(source, max_nodes=MAX_FRONT_MATTER_VALUES)
    except AliasRefused as exc:
        line = exc.problem_mark.line if exc.problem_mark else 0
        checker.error(
            first_line + line, N_("YAML aliases (*name) are not allowed in the front matter")
        )
        return None
    except yaml.YAMLError as exc:
        refused = reader_error_line(exc, source)
        if refused is not None:
            checker.error(
                first_line + refused - 1,
                N_("the front matter contains a control character (such as NUL): remove it"),
            )
            return None
        line, detail = _yaml_error_position(exc, source)
        checker.error(
            first_line + line, N_("invalid YAML in the front matter: %(detail)s"), detail=detail
        )
        return None
    try:
        return _front_matter_entries(loader, root, first_line, checker)
    finally:
        loader.dispose()


def _front_matter_entries(
    loader: yaml.SafeLoader, root: yaml.Node | None, first_line: int, checker: FileChecker
) -> Entries | None:
    """The top-level keys of the composed YAML, each with its value and lines."""
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        checker.error(
            first_line + root.start_mark.line,
            N_("the front matter must be 'key: value' lines"),
        )
        return None
    entries: Entries = {}
    ok = True
    for key_node, value_node in root.value:
        key_line = first_line + key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
            checker.error(key_line, N_("front-matter keys must be simple names like 'title'"))
            ok = False
            continue
        if key in entries:
            checker.error(key_line, N_("'%(key)s' appears twice in the front matter"), key=key)
            ok = False
            continue
        try:
            value = loader.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            # ValueError: a whole number longer than Python converts (thousands of digits).
            checker.error(
                first_line + value_node.start_mark.line,
                N_("invalid YAML in the front matter: %(detail)s"),
                detail=getattr(exc, "problem", None) or str(exc).splitlines()[0],
            )
            ok = False
            continue
        entries[key] = FrontMatterEntry(
            key, value, key_line, first_line + value_node.start_mark.line, value_node
        )
    return entries if ok else None


def _yaml_error_position(exc: yaml.YAMLError, source: str) -> tuple[int, str]:
    """0-based line and English detail of a YAML error, pointing where a trainer should look."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = problem_mark.line if problem_mark else 0
    # An unclosed quote or bracket is noticed lines later; show where it was opened.
    if (
        context_mark
        and context
        and context.startswith(("while scanning a quoted", "while parsing a flow"))
    ):
        line = context_mark.line
    detail = f"{problem} ({context})" if context else problem
    return min(line, source.count("\n")), detail


def check_front_matter(
    entries: Entries,
    checker: FileChecker,
    expected_language: str | None,
    expected_id: str | None,
) -> dict[str, Any]:
    """Check every key and return typed values for all FRONT_MATTER_KEYS."""
    suggested = _check_unknown_keys(entries, checker)
    present = {k: e for k, e in entries.items() if e.value is not None}
    for key in REQUIRED_KEYS:
        # A misspelt key ("titel") already says what is missing.
        if key not in present and key not in suggested:
            line = entries[key].key_line if key in entries else 1
            checker.error(line, N_("'%(key)s' is required"), key=key)
    values = _typed_values(present, checker)

    def line(key: str) -> int:
        return entries[key].value_line if key in entries else 1

    _check_names(values, line, checker, expected_language, expected_id)
    if values["language"] and values["source_language"]:
        _check_revision_keys(values, present, line, checker)
    if values["refresher_of"] and values["refresher_of"] == values["id"]:
        checker.error(line("refresher_of"), N_("a module cannot be a refresher of itself"))
    return values


def _check_unknown_keys(entries: Entries, checker: FileChecker) -> set[str]:
    """Refuse keys the format does not know; return the known keys suggested instead."""
    suggested: set[str] = set()
    for entry in entries.values():
        if entry.key in FRONT_MATTER_KEYS:
            continue
        close = difflib.get_close_matches(entry.key, FRONT_MATTER_KEYS, n=1)
        suggested.update(close)
        if close:
            checker.error(
                entry.key_line,
                N_("unknown front-matter key '%(key)s' (did you mean '%(suggestion)s'?)"),
                key=entry.key,
                suggestion=close[0],
            )
        else:
            checker.error(entry.key_line, N_("unknown front-matter key '%(key)s'"), key=entry.key)
    return suggested


def _typed_values(present: Entries, checker: FileChecker) -> dict[str, Any]:
    """The value of every key, typed and checked (None, [] or "" when absent or wrong)."""
    return {
        "id": slug_value(present.get("id"), checker),
        "title": text_value(present.get("title"), checker, MAX_TITLE_LENGTH),
        "summary": text_value(present.get("summary"), checker, MAX_SUMMARY_LENGTH),
        "language": language_value(present.get("language"), checker),
        "source_language": language_value(present.get("source_language"), checker),
        "revision": integer_value(
            present.get("revision"), checker, 1, MAX_REVISION, say_range=False
        ),
        "translates": integer_value(
            present.get("translates"), checker, 1, MAX_REVISION, say_range=False
        ),
        "provider": slug_value(present.get("provider"), checker),
        "minutes": integer_value(present.get("minutes"), checker, MIN_MINUTES, MAX_MINUTES),
        "tags": tags_value(present.get("tags"), checker),
        "valid_days": integer_value(present.get("valid_days"), checker, 1, MAX_VALID_DAYS),
        "refresher_of": slug_value(present.get("refresher_of"), checker),
        "kind": kind_value(present.get("kind"), checker),
        "version_note": text_value(
            present.get("version_note"), checker, MAX_NOTE_LENGTH, allow_empty=True
        )
        or "",
    }


def _check_names(
    values: dict[str, Any],
    line: Callable[[str], int],
    checker: FileChecker,
    expected_language: str | None,
    expected_id: str | None,
) -> None:
    """The id and language must match the folder and file names."""
    if expected_id is not None and values["id"] and values["id"] != expected_id:
        checker.error(
            line("id"),
            N_("'id' is '%(id)s' but the folder is '%(folder)s': they must be the same"),
            id=values["id"],
            folder=expected_id,
        )
    language = values["language"]
    if expected_language is not None and language and language != expected_language:
        checker.error(
            line("language"),
            N_("'language' is '%(language)s' but the file name says '%(expected)s'"),
            language=language,
            expected=expected_language,
        )


def _check_revision_keys(
    values: dict[str, Any], present: Entries, line: Callable[[str], int], checker: FileChecker
) -> None:
    """The source file has `revision`; a translation has `translates` (and not the other)."""
    if values["language"] == values["source_language"]:
        if "revision" not in present:
            checker.error(
                line("revision"), N_("'revision' is required in the source-language file")
            )
        if "translates" in present:
            checker.error(
                line("translates"),
                N_("'translates' is only for translations; this file has 'revision'"),
            )
        return
    if "translates" not in present:
        checker.error(
            line("translates"),
            N_("'translates' is required in a translation: the source revision it follows"),
        )
    if "revision" in present:
        checker.error(
            line("revision"),
            N_("'revision' belongs in the source-language file (%(source)s) only"),
            source=values["source_language"],
        )
