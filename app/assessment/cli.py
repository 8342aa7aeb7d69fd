"""`flask quizzes ...`: GIFT in and out, YAML export, and checking or importing quiz files."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

from app.assessment import gift, gift_convert, gift_reader
from app.assessment.library import (
    as_problem,
    check_definition,
    check_quiz_paths,
    export_quiz,
    export_quiz_gift,
    import_quizzes,
    merge_questions,
    new_definition,
    resolve_owner,
)
from app.assessment.operations import definition_of, save_quiz_definition
from app.assessment.queries import quiz_by_slug
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.platform.audit import record_event
from app.timekeeping import clock
from app.web.problems import Problem, make_problem, sort_problems

LANGUAGE_CHOICE = click.Choice(LANGUAGES)


def _echo_problems(problems: list[Problem]) -> None:
    """Print problems to stderr as `file:line: message` (warnings say so)."""
    for problem in sort_problems(problems):
        text = str(problem)
        if not problem.is_error:
            head, _, message = text.rpartition(": ")
            text = f"{head}: warning: {message}" if head else f"warning: {text}"
        click.echo(text, err=True)


def _read_text(path: Path) -> tuple[str | None, list[Problem]]:
    with path.open("rb") as handle:
        # A GIFT character takes at most 4 bytes: a longer file is refused unread.
        raw = handle.read(4 * gift.MAX_GIFT_CHARS + 1)
    if len(raw) > 4 * gift.MAX_GIFT_CHARS:
        return None, [
            make_problem(
                str(path),
                1,
                N_("the GIFT file is too large (%(size)s characters, at most %(max)s)"),
                size=len(raw),
                max=gift.MAX_GIFT_CHARS,
            )
        ]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [make_problem(str(path), line, N_("the file is not valid UTF-8 text"))]


@click.group("quizzes")
def quizzes_cli() -> None:
    """Quizzes: GIFT import and export, YAML export, checks and imports of quiz files."""


@quizzes_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quiz", "quiz_slug", help="Quiz id to import into (default: the file name).")
@click.option("--module", "module_slug", help="Module the quiz ends (for a new quiz).")
@click.option("--provider", help="Provider slug, for a new quiz without a module.")
@click.option("--title", help="Title of a new quiz (default: the quiz id).")
@click.option("--pass-mark", type=click.FloatRange(0, 100), default=80, show_default=True)
@click.option("--language", type=LANGUAGE_CHOICE, help="Language of the GIFT texts.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid questions despite errors.")
@click.option("--dry-run", is_flag=True, help="Check and show, import nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print Moodle's fields.")
@with_appcontext
def import_gift(
    file: Path,
    quiz_slug: str | None,
    module_slug: str | None,
    provider: str | None,
    title: str | None,
    pass_mark: float,
    language: str | None,
    skip_invalid: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import the questions of a Moodle GIFT file into a quiz (a new version of it).

    Questions whose id is already in the quiz replace it; the others are added. Nothing is
    imported when there are errors, unless --skip-invalid is given.
    """
    text, problems = _read_text(file)
    if text is None:
        _echo_problems(problems)
        sys.exit(1)
    result = gift_reader.read_gift(text, str(file))
    if as_json:
        _echo_moodle_fields(result, dry_run)
    questions = _gift_questions(result, file, language, skip_invalid)
    slug = quiz_slug or gift_convert.make_id(file.stem).lower()
    base = _base_definition(slug, title, module_slug, pass_mark)
    definition, found = check_definition(merge_questions(base, questions), str(file))
    _echo_problems(found)
    if definition is None:
        sys.exit(1)
    provider_id, module_id, found = resolve_owner(
        db.session, definition, provider=provider, file=str(file)
    )
    if provider_id is None:
        _echo_problems(found)
        sys.exit(1)
    if dry_run:
        click.echo(f"{len(questions)} question(s) would be imported into quiz {slug}.")
        return
    quiz, version = save_quiz_definition(
        db.session,
        definition,
        provider_id=provider_id,
        module_id=module_id,
        now=clock.now(),
        source=f"gift:{file.name}",
    )
    db.session.commit()
    if version is None:
        click.echo(f"{slug}: unchanged (version {quiz.current_version.number}).")
    else:
        click.echo(f"{slug}: version {version.number}, {len(questions)} question(s) imported.")


def _echo_moodle_fields(result: gift_reader.GiftResult, dry_run: bool) -> NoReturn:
    """Print what the GIFT reader found in Moodle's field names, then the problems, and exit."""
    if not dry_run:
        raise click.UsageError("--json goes with --dry-run")
    click.echo(json.dumps(result.questions, ensure_ascii=False, indent=2))
    problems = [as_problem(p) for p in result.problems]
    _echo_problems(problems)
    sys.exit(1 if any(p.is_error for p in problems) else 0)


def _gift_questions(
    result: gift_reader.GiftResult, file: Path, language: str | None, skip_invalid: bool
) -> list[Question]:
    """Convert the GIFT questions; exit on errors (unless skipped) or when there are none."""
    questions, converted = gift_convert.gift_to_questions(result.questions, str(file), language)
    problems = [as_problem(p) for p in [*result.problems, *converted]]
    _echo_problems(problems)
    errors = [p for p in problems if p.is_error]
    if errors and not skip_invalid:
        click.echo(
            f"{len(errors)} error(s): nothing imported (use --skip-invalid to import the rest).",
            err=True,
        )
        sys.exit(1)
    if not questions:
        click.echo("No questions to import.", err=True)
        sys.exit(1)
    return questions


def _base_definition(
    slug: str, title: str | None, module_slug: str | None, pass_mark: float
) -> QuizDefinition:
    """The quiz the questions go into: the published version, or a new empty quiz."""
    quiz = quiz_by_slug(db.session, slug)
    if quiz is not None and quiz.current_version is not None:
        base = definition_of(quiz.current_version)
        if module_slug and module_slug != base.module_id:
            base = dataclasses.replace(base, module_id=module_slug)
        return base
    return new_definition(slug, title or slug, module=module_slug, pass_mark=pass_mark)


@quizzes_cli.command("export-gift")
@click.argument("quiz_slug", metavar="QUIZ_ID")
@click.option("--language", type=LANGUAGE_CHOICE, help="Language to write (GIFT holds one).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_gift(quiz_slug: str, language: str | None, output: Path | None) -> None:
    """Write a quiz's questions as GIFT that Moodle can import; losses are warned about."""
    quiz = quiz_by_slug(db.session, quiz_slug)
    if quiz is None or quiz.current_version is None:
        raise click.ClickException(f"there is no quiz {quiz_slug!r}")
    text, losses = export_quiz_gift(quiz, language)
    for question_id, message in losses:
        click.echo(f"{quiz_slug}: question '{question_id}': warning: {message}", err=True)
    record_event(db.session, "quiz.exported", object_type="quiz", object_id=quiz.id, format="gift")
    db.session.commit()
    _write(text, output)


@quizzes_cli.command("export")
@click.argument("quiz_slug", metavar="QUIZ_ID")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_yaml(quiz_slug: str, output: Path | None) -> None:
    """Write a quiz in the quiz file format (YAML), as kept in `quizzes/`."""
    quiz = quiz_by_slug(db.session, quiz_slug)
    if quiz is None or quiz.current_version is None:
        raise click.ClickException(f"there is no quiz {quiz_slug!r}")
    text = export_quiz(db.session, quiz)
    record_event(db.session, "quiz.exported", object_type="quiz", object_id=quiz.id, format="yaml")
    db.session.commit()
    _write(text, output)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Written to {output}.", err=True)


@quizzes_cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@with_appcontext
def check(paths: tuple[Path, ...]) -> None:
    """Check quiz files (default: the quiz library); exit 1 on any error."""
    problems = check_quiz_paths(list(paths) or [Path(current_app.config["QUIZZES_PATH"])])
    _echo_problems(problems)
    if any(p.is_error for p in problems):
        sys.exit(1)
    click.echo("No errors.")


@quizzes_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--provider", help="Provider slug for quizzes without a module.")
@with_appcontext
def import_files(paths: tuple[Path, ...], provider: str | None) -> None:
    """Import quiz files (default: the quiz library): all of them, or nothing on errors."""
    report = import_quizzes(
        db.session,
        list(paths) or [Path(current_app.config["QUIZZES_PATH"])],
        now=clock.now(),
        provider=provider,
        progress=lambda done, total, slug: click.echo(f"[{done}/{total}] {slug}"),
    )
    _echo_problems(report.problems)
    if report.has_errors:
        db.session.rollback()
        click.echo("Nothing imported.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged."
    )
