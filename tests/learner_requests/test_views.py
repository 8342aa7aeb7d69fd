"""Request pages end to end over HTTP: ask, follow, answer, e-mail through the real outbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.campaigns.models import Notice
from app.extensions import db
from app.learner_requests.models import ProblemReport, ReportStatus, RequestEvent, RequestKind
from tests.conftest import app_text, csrf_token_from, get_csrf, login_as

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _speaks(user, language: str) -> None:
    """Set the person's language (pages and e-mails follow it)."""
    user.preferred_language = language
    db.session.commit()


def _ask(client, **data):
    page = client.get("/requests/ask")
    fields = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data}
    return client.post("/requests/ask", data=fields)


def test_a_learner_asks_a_trainer_answers_and_the_learner_reads_it(client, world, smtp_server):
    _speaks(world.learner, "en")
    login_as(client, world.learner)
    form = client.get("/requests/ask?module=digital-post").get_data(as_text=True)
    assert '<option selected value="digital-post">' in form
    sent = _ask(client, module="digital-post", subject="Proxy " + XSS, text="Where? " + XSS)
    assert sent.status_code == 303
    request = db.session.scalars(select(ProblemReport)).one()
    assert sent.headers["Location"] == f"/requests/{request.id}"
    assert (request.kind, request.provider_id) == (RequestKind.QUESTION, world.org.provider.id)
    mine = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in mine and "&lt;script&gt;" in mine
    assert 'aria-current="step"' in mine and "Received" in mine

    _speaks(world.learner, "de")  # the e-mail goes out in the learner's language
    login_as(client, world.trainer)
    listing = client.get("/requests/inbox").get_data(as_text=True)
    assert f"/requests/inbox/{request.id}" in listing and "<script>alert" not in listing
    page = client.get(f"/requests/inbox/{request.id}").get_data(as_text=True)
    assert "<img src=x" not in page
    answered = client.post(
        f"/requests/inbox/{request.id}/respond",
        data={
            "csrf_token": csrf_token_from(page),
            "answer": "Page 2, under “Proxy”. " + XSS,
            "status": "handled",
        },
    )
    assert answered.status_code == 303
    # Delivered at once to the SMTP server (MAIL_DELIVERY=inline in tests), in German.
    [mail] = smtp_server.messages
    assert mail["To"] == "lea@example.org"
    text = mail.get_body(("plain",)).get_content()
    assert "Page 2, under “Proxy”." in text and "Ausbildung und Bereitschaft" in text
    html = mail.get_body(("html",)).get_content()
    assert "<script>alert" not in html and "&lt;script&gt;" in html

    _speaks(world.learner, "en")
    login_as(client, world.learner)
    mine = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "Page 2, under “Proxy”." in mine and "Answer from the trainers" in mine
    assert "<script>alert" not in mine
    assert re.search(r'aria-current="step">\s*<span class="tracker-label">Answered', mine)
    notices = client.get("/notices").get_data(as_text=True)
    assert "The trainers answered your request" in notices
    assert "Notices: 1 unread" in notices


def test_a_follow_up_reopens_the_request_and_shows_in_the_trainers_timeline(client, world):
    login_as(client, world.learner)
    _ask(client, module="", subject="General", text="Who do I ask about eID?")
    request = db.session.scalars(select(ProblemReport)).one()
    assert request.provider_id is None and request.module_id is None
    request.status = ReportStatus.HANDLED
    db.session.commit()
    page = client.get(f"/requests/{request.id}").get_data(as_text=True)
    assert (
        app_text(
            client.application, "Your request is handled. Adding something opens it again.", "de"
        )
        in page
    )
    response = client.post(
        f"/requests/{request.id}/follow-up",
        data={"csrf_token": csrf_token_from(page), "text": "And for relatives?"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProblemReport, request.id).status == ReportStatus.RECEIVED
    login_as(client, world.outsider)  # unrouted: any trainer sees it
    page = client.get(f"/requests/inbox/{request.id}").get_data(as_text=True)
    assert "And for relatives?" in page and "Follow-up by the person who asked" in page


def test_a_new_module_request_with_its_three_answers(client, world):
    login_as(client, world.manager)
    page = client.get("/requests/new-module").get_data(as_text=True)
    assert "Jura IT" in page and "Basel IT" in page
    response = client.post(
        "/requests/new-module",
        data={
            "csrf_token": csrf_token_from(page),
            "topic": "Digital mailbox for relatives",
            "why": "Weeks 46-47 campaign",
            "audience": "All branches",
            "provider": str(world.org.other_provider.id),
        },
    )
    assert response.status_code == 303
    request = db.session.scalars(select(ProblemReport)).one()
    assert (request.kind, request.provider_id) == (
        RequestKind.NEW_MODULE,
        world.org.other_provider.id,
    )
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "All branches" in detail and "Weeks 46-47 campaign" in detail


def test_bad_input_is_named_at_its_field_and_nothing_is_saved(client, world):
    login_as(client, world.learner)
    response = _ask(client, module="digital-post", subject="", text="x" * 2001)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert app_text(client.application, "Give your question a short subject.", "de") in page
    assert app_text(client.application, "Use at most %(max)d characters.", "de", max=2000) in page
    assert 'href="#subject"' in page and 'aria-invalid="true"' in page
    # A module that does not exist (or is not published) is refused at its field.
    response = _ask(client, module="no-such-module", subject="S", text="T")
    assert response.status_code == 400
    chosen = app_text(client.application, "Choose a module from the list.", "de")
    assert chosen in response.get_data(as_text=True)
    page = client.get("/requests/new-module").get_data(as_text=True)
    response = client.post(
        "/requests/new-module",
        data={
            "csrf_token": csrf_token_from(page),
            "topic": "T",
            "why": "W",
            "audience": "A",
            "provider": "999999",
        },
    )
    assert response.status_code == 400
    provider = app_text(client.application, "Choose a provider from the list.", "de")
    assert provider in response.get_data(as_text=True)
    assert db.session.scalar(select(ProblemReport.id)) is None


def test_a_trainer_must_write_an_answer_or_move_the_request(client, world):
    login_as(client, world.learner)
    _ask(client, module="digital-post", subject="S", text="T")
    request = db.session.scalars(select(ProblemReport)).one()
    login_as(client, world.trainer)
    page = client.get(f"/requests/inbox/{request.id}").get_data(as_text=True)
    response = client.post(
        f"/requests/inbox/{request.id}/respond",
        data={"csrf_token": csrf_token_from(page), "answer": "", "status": ""},
    )
    assert response.status_code == 400
    assert "Write an answer or choose a new status." in response.get_data(as_text=True)
    response = client.post(
        f"/requests/inbox/{request.id}/respond",
        data={"csrf_token": csrf_token_from(page), "answer": "x", "status": "lost"},
    )
    assert response.status_code == 400
    assert "Choose a status from the list." in response.get_data(as_text=True)
    assert len(db.session.scalars(select(RequestEvent)).all()) == 1
    assert db.session.scalar(select(Notice.id)) is None


def test_every_post_needs_its_csrf_token(client, world):
    login_as(client, world.learner)
    _ask(client, module="", subject="S", text="T")
    request = db.session.scalars(select(ProblemReport)).one()
    assert client.post("/requests/ask", data={"subject": "S", "text": "T"}).status_code == 400
    assert (
        client.post("/requests/new-module", data={"topic": "T", "why": "W", "audience": "A"})
    ).status_code == 400
    assert (
        client.post(f"/requests/{request.id}/follow-up", data={"text": "More"}).status_code == 400
    )
    login_as(client, world.trainer)
    assert (
        client.post(f"/requests/inbox/{request.id}/respond", data={"answer": "A"}).status_code
        == 400
    )
    assert len(db.session.scalars(select(ProblemReport)).all()) == 1
    assert len(db.session.scalars(select(RequestEvent)).all()) == 1


def test_inbox_filters_and_refuses_unknown_ones(client, world):
    login_as(client, world.learner)
    _ask(client, module="digital-post", subject="Lost proxy form", text="T")
    get_csrf(client, "/requests/")
    login_as(client, world.trainer)
    assert "Lost proxy form" in client.get("/requests/inbox?status=received").get_data(as_text=True)
    assert "Lost proxy form" not in client.get("/requests/inbox?status=handled").get_data(
        as_text=True
    )
    assert "Lost proxy form" in client.get("/requests/inbox?kind=question").get_data(as_text=True)
    assert "Lost proxy form" not in client.get("/requests/inbox?kind=problem").get_data(
        as_text=True
    )
    refused = client.get("/requests/inbox?status=lost", follow_redirects=True)
    assert "The filter “status” cannot be “lost”." in refused.get_data(as_text=True)


def test_the_home_page_lists_open_requests_and_the_reader_links_to_the_question_form(client, world):
    login_as(client, world.learner)
    _ask(client, module="digital-post", subject="My open question", text="T")
    home = client.get("/home").get_data(as_text=True)
    assert app_text(client.application, "My requests", "de") in home
    assert "My open question" in home
    reader = client.get("/modules/digital-post/pages/1").get_data(as_text=True)
    assert "/requests/ask?module=digital-post" in reader


def test_questions_stay_out_of_the_module_feedback_counts(client, world):
    login_as(client, world.learner)
    _ask(client, module="digital-post", subject="Not a problem", text="Just asking")
    request = db.session.scalars(select(ProblemReport)).one()
    login_as(client, world.trainer)
    assert "digital-post" not in client.get("/readiness/feedback").get_data(as_text=True)
    page = client.get(f"/readiness/feedback/modules/{world.module.module.id}")
    assert "Just asking" not in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    moved = client.post(
        f"/readiness/feedback/reports/{request.id}/status",
        data={"csrf_token": token, "status": "handled"},
    )
    assert moved.status_code == 404  # a question is answered in the inbox, not here
    home = client.get("/home").get_data(as_text=True)
    assert "1 request waits for an answer" in home


def test_a_double_click_on_save_answers_once(client, world, smtp_server):
    login_as(client, world.learner)
    _ask(client, module="digital-post", subject="S", text="T")
    request = db.session.scalars(select(ProblemReport)).one()
    login_as(client, world.trainer)
    page = client.get(f"/requests/inbox/{request.id}").get_data(as_text=True)
    seen = re.search(r'name="seen" type="hidden" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_token_from(page), "answer": "Once.", "status": "", "seen": seen}
    first = client.post(f"/requests/inbox/{request.id}/respond", data=data)
    second = client.post(f"/requests/inbox/{request.id}/respond", data=data)
    assert (first.status_code, second.status_code) == (303, 400)
    again = second.get_data(as_text=True)
    assert "This request changed while you were writing" in again
    assert "Once.</textarea>" in again  # the text is kept
    answers = db.session.scalars(select(RequestEvent).where(RequestEvent.kind == "answer")).all()
    assert len(answers) == 1 and len(smtp_server.messages) == 1
    # The refusal's page shows the newest event, so sending from it again is accepted.
    newer = re.search(r'name="seen" type="hidden" value="(\d+)"', again).group(1)
    third = client.post(
        f"/requests/inbox/{request.id}/respond",
        data=data | {"seen": newer, "csrf_token": csrf_token_from(again)},
    )
    assert third.status_code == 303
