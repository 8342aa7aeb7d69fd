"""The overdue export is streamed: the file starts before the people are read, and it lists
the same people, in the same order and with the same missing modules, as the overdue pages."""

from __future__ import annotations

import csv
import io

from app.extensions import db
from app.platform.audit import AuditEvent
from app.readiness import views
from app.readiness.queries.overdue import overdue_people, stream_overdue_people
from app.web import table_export
from tests.conftest import csrf_token_from, login_as
from tests.readiness.helpers import NOW


def test_csv_chunks_start_before_the_rows_are_read(monkeypatch):
    monkeypatch.setattr(table_export, "CHUNK_BYTES", 10)
    pulled = []

    def rows():
        for n in range(1_000):
            pulled.append(n)
            yield [f"person {n}", n]

    chunks = table_export.csv_chunks(["Name", "N"], rows())
    assert next(chunks).decode() == "\ufeffName,N\r\n" and pulled == []
    next(chunks)
    assert 0 < len(pulled) < 1_000  # a chunk goes out long before the last row is read
    rest = b"".join(chunks).decode()
    assert len(pulled) == 1_000 and rest.endswith("person 999,999\r\n")


def test_the_streamed_people_are_the_overdue_pages_people(app, scene):
    viewer = scene.network_manager
    page, total = overdue_people(
        db.session, viewer, scene.campaign_id, NOW, root_path=None, limit=1_000
    )
    streamed = list(
        stream_overdue_people(db.session, viewer, scene.campaign_id, NOW, root_path=None)
    )
    assert total >= 2 and streamed == page


def test_the_overdue_export_sends_its_header_before_reading_the_people(client, scene, monkeypatch):
    read = []
    stream = views.stream_overdue_people

    def counting_stream(*args, **kwargs):
        for person in stream(*args, **kwargs):
            read.append(person.user_id)
            yield person

    monkeypatch.setattr(views, "stream_overdue_people", counting_stream)
    login_as(client, scene.network_manager)
    page = client.get(f"/readiness/campaigns/{scene.campaign_id}").get_data(as_text=True)
    response = client.post(
        f"/readiness/campaigns/{scene.campaign_id}/export/overdue.csv",
        data={"csrf_token": csrf_token_from(page)},
        buffered=False,
    )
    assert response.status_code == 200 and response.is_streamed
    body = iter(response.response)
    assert next(body).startswith("\ufeff".encode()) and read == []
    text = (b"".join(body)).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    response.close()
    assert len(rows) == len(read) >= 2
    event = db.session.query(AuditEvent).filter_by(action="readiness.exported").one()
    assert event.details["rows"] == len(read) and event.details["table"] == "overdue"
