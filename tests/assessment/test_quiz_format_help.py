"""Quiz YAML help for trainers: the format help in the browser, errors naming the question."""

from __future__ import annotations

import pytest

from app.assessment import quiz_format, yaml_help
from app.assessment.trainer_views import QUIZ_HELP_FILE
from app.people.models import Role
from tests.assessment.quiz_factories import make_quiz, quiz_yaml
from tests.assessment.test_quiz_trainer import edit_form, versions
from tests.conftest import login_as
from tests.factories import make_org, make_user

QUIZ = quiz_yaml()


def _error_of(text: str):
    _quiz, problems = quiz_format.parse_quiz_text(text, "q.yaml")
    assert problems and problems[0].template == yaml_help.INVALID_YAML
    problem = problems[0]
    return yaml_help.explain_yaml_error(text, problem.line, problem.params["problem"])


def _broken(old: str, new: str) -> str:
    assert old in QUIZ
    return QUIZ.replace(old, new, 1)


def test_question_at_names_the_question_of_a_line_in_file_order():
    assert yaml_help.question_at(QUIZ, 3) is None  # pass_mark: not in a question
    assert yaml_help.question_at(QUIZ, 12) == yaml_help.QuestionPlace(1, "q-single")
    assert yaml_help.question_at(QUIZ, 17) == yaml_help.QuestionPlace(1, "q-single")
    assert yaml_help.question_at(QUIZ, 27) == yaml_help.QuestionPlace(2, "q-multi")
    assert yaml_help.question_at(QUIZ, 38) == yaml_help.QuestionPlace(3, "q-tf")
    # The id may come after other keys of the question.
    text = "id: x\nquestions:\n  -\n    type: single\n    id: late\n    stem: Hi\n"
    assert yaml_help.question_at(text, 6) == yaml_help.QuestionPlace(1, "late")


@pytest.mark.parametrize(
    ("old", "new", "line", "explanation"),
    [
        # A key indented one space too far.
        ("    stem: Which log-in", "     stem: Which log-in", 12, yaml_help.BAD_INDENTATION),
        # A text with ': ' and no quotes.
        (
            "    stem: Which log-in does the canton accept?",
            "    stem: Note: which log-in does the canton accept?",
            12,
            yaml_help.UNQUOTED_COLON,
        ),
        # The colon after a name forgotten: the reader notices on the next line.
        ("    stem: Which log-in", "    stem Which log-in", 12, yaml_help.MISSING_COLON),
        # A tab used to indent.
        ("    type: single", "\ttype: single", 11, yaml_help.TAB),
        # A quote opened and never closed: the reader notices at the end of the file.
        (
            "    stem: The deadline is in March.",
            '    stem: "The deadline is in March.',
            38,
            yaml_help.UNCLOSED_QUOTE,
        ),
    ],
)
def test_common_yaml_mistakes_are_explained_on_the_right_line(old, new, line, explanation):
    hint = _error_of(_broken(old, new))
    assert (hint.line, hint.explanation) == (line, explanation)


def test_an_unknown_yaml_error_keeps_its_line_and_has_no_explanation():
    assert yaml_help.explain_yaml_error("a: [1, 2\n", 2, "something rare") == (
        yaml_help.YamlHint(2, None)
    )


@pytest.fixture
def org(app):
    return make_org()


def test_editor_errors_name_the_line_and_question_with_a_plain_explanation(app, org):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="en"))
    token, page = edit_form(client, quiz)
    broken = _broken("    stem: Which documents", "    stem: Note: which documents")
    reply = client.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": broken, "base_version": "1", "action": "save"},
    )
    assert reply.status_code == 400 and versions(quiz) == 1
    text = reply.get_data(as_text=True)
    assert "line 24, question 2 (id q-multi): the text contains &#39;: &#39;" in text
    # The reader's own words stay, after the explanation.
    assert "(the YAML reader says: mapping values are not allowed in this context)" in text
    # Problems found after parsing name the question too.
    broken = _broken("    type: truefalse", "    type: yesno")
    reply = client.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": broken, "base_version": "1", "action": "preview"},
    )
    assert "line 37, question 3 (id q-tf): " in reply.get_data(as_text=True)


def test_the_format_help_is_a_page_linked_from_the_editor(app, org):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr"))
    _token, page = edit_form(client, quiz)
    assert 'href="/trainer/quizzes/help"' in page
    assert "quizzes/README.md" not in page
    reply = client.get("/trainer/quizzes/help")
    assert reply.status_code == 200
    help_page = reply.get_data(as_text=True)
    # The help file through the Markdown pipeline: headings and code blocks, no raw Markdown.
    first_heading = QUIZ_HELP_FILE.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    assert f">{first_heading}</h" in help_page
    assert "<pre>" in help_page and "```" not in help_page
    assert "The rules of the file</h" in help_page and "## The rules" not in help_page
    assert 'lang="en"' in help_page
    # Learners have no business there.
    learner = app.test_client()
    login_as(learner, make_user(org.branch_a1))
    assert learner.get("/trainer/quizzes/help").status_code == 403
