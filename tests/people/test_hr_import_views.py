"""HR import in the browser: upload, dry run (escaped), confirm (recomputed), result, access."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.hr_file import EXPORT_HEADER
from app.people.hr_models import ImportUpload
from app.people.models import Role, User
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user

HEADER = ";".join(EXPORT_HEADER)


def hr_file(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def admin(org):
    return make_user(org.network, Role.ADMIN)


def upload(client, data: bytes, *, full: bool = False, name: str = "hr.csv"):
    token = csrf_token_from(client.get("/people/import").get_data(as_text=True))
    form = {"csrf_token": token, "file": (io.BytesIO(data), name)}
    if full:
        form["is_full_export"] = "y"
    return client.post("/people/import", data=form, content_type="multipart/form-data")


def upload_id(response) -> int:
    return int(re.search(r"/people/import/(\d+)", response.headers["Location"]).group(1))


def people_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_upload_dry_run_confirm_result(client, org, admin):
    login_as(client, admin)
    response = upload(
        client,
        hr_file(
            "1;<img src=x onerror=alert(1)>;Muster;img@example.org;a1;de;",
            "2;Bad;Row;no-address;a1;;",
        ),
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'id="import-errors"' in html and "no-address is not a valid e-mail address" in html
    before = people_count()
    apply_url = f"/people/import/{upload_id(response)}/apply"
    token = csrf_token_from(html)
    refused = client.post(apply_url, data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Nothing was imported: 1 rows have errors" in refused.get_data(as_text=True)
    assert people_count() == before
    done = client.post(apply_url, data={"csrf_token": token, "skip_errors": "y"})
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Invitations sent" in result
    assert people_count() == before + 1
    created = db.session.scalar(select(User).where(User.email == "img@example.org"))
    assert created.first_name == "<img src=x onerror=alert(1)>"
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == created.id))
    stored = db.session.get(ImportUpload, upload_id(response))
    assert stored.content is None and stored.result["created"] == 1
    # An applied upload cannot be applied again.
    again = client.post(apply_url, data={"csrf_token": token})
    assert again.status_code == 404


def test_the_plan_is_recomputed_at_confirmation(client, org, admin):
    login_as(client, admin)
    response = upload(client, hr_file("1;Ann;Muster;ann@example.org;a1;;"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    # Someone else takes the address between the dry run and the confirmation.
    taker = make_user(org.branch_a2, email="ann@example.org")
    taker.hr_number = "999"
    db.session.commit()
    before = people_count()
    answer = client.post(
        f"/people/import/{upload_id(response)}/apply",
        data={"csrf_token": csrf_token_from(page)},
    )
    assert answer.status_code == 400
    assert "already belongs to" in answer.get_data(as_text=True)
    assert people_count() == before


def test_uploads_are_private_to_their_uploader_and_learners_are_refused(client, org, admin):
    login_as(client, admin)
    response = upload(client, hr_file("1;Ann;Muster;ann@example.org;a1;;"))
    url = response.headers["Location"]
    other_admin = make_user(org.network, Role.ADMIN)
    login_as(client, other_admin)
    assert client.get(url).status_code == 404
    learner = make_user(org.branch_a1)
    login_as(client, learner)
    assert client.get("/people/import").status_code == 403


def test_apply_without_csrf_is_refused(client, org, admin):
    login_as(client, admin)
    response = upload(client, hr_file("1;Ann;Muster;ann@example.org;a1;;"))
    before = people_count()
    answer = client.post(f"/people/import/{upload_id(response)}/apply", data={})
    assert answer.status_code == 400
    assert people_count() == before


def test_file_level_problems_are_shown_clearly(client, org, admin):
    login_as(client, admin)
    response = upload(client, "Prénom;Nom\n".encode("cp1252"))
    page = client.get(response.headers["Location"])
    assert page.status_code == 400
    assert "not UTF-8" in page.get_data(as_text=True)


def test_too_large_uploads_are_refused(app, client, org, admin):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login_as(client, admin)
    response = upload(client, hr_file(*(f"{i};A;B;p{i}@example.org;a1;;" for i in range(3000))))
    assert response.status_code == 413
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 0


def test_branch_manager_sees_only_their_branch_in_a_full_export(client, org, admin):
    manager = make_user(org.branch_a1, Role.MANAGER)
    elsewhere = make_user(org.branch_b1)
    elsewhere.hr_number = "77"
    local = make_user(org.branch_a1)
    local.hr_number = "78"
    db.session.commit()
    login_as(client, manager)
    response = upload(client, hr_file("1;Ann;Muster;ann@example.org;a1;;"), full=True)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert local.email in html
    assert elsewhere.email not in html


def test_xlsx_uploads_go_through_the_same_dry_run(client, org, admin):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(list(EXPORT_HEADER))
    book.active.append([4711, "Zoë", "Müller", "zoe@example.org", "a1", "de", "learner"])
    buffer = io.BytesIO()
    book.save(buffer)
    login_as(client, admin)
    response = upload(client, buffer.getvalue(), name="hr.xlsx")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "zoe@example.org" in html and "4711" in html


def test_unapplied_uploads_are_purged_after_a_day(client, org, admin):
    from datetime import timedelta

    from app.db import utcnow
    from app.people.hr_import_views import purge_old_uploads

    login_as(client, admin)
    upload(client, hr_file("1;Ann;Muster;ann@example.org;a1;;"))
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 1
    purge_old_uploads(db.session, utcnow() + timedelta(hours=23))
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 1
    purge_old_uploads(db.session, utcnow() + timedelta(hours=25))
    db.session.commit()
    assert db.session.scalar(select(func.count(ImportUpload.id))) == 0
