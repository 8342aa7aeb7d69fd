"""HR files read and checked without a database: encodings, separators, XLSX, limits, the plan."""

from __future__ import annotations

import io

import pytest

from app.people.hr_file import HrFileError, Limits, read_rows
from app.people.hr_import import build_plan
from app.people.hr_plan import Directory, PersonState, RoleSpec, UnitState, export_row

HEADER = "HR number;First name;Last name;E-mail;Unit code;Language;Role"


def csv_bytes(*rows: str, header: str = HEADER, sep: str = ";", newline: str = "\r\n") -> bytes:
    text = newline.join([header.replace(";", sep), *(r.replace(";", sep) for r in rows)])
    return (text + newline).encode("utf-8")


def person(pid: int, hr: str | None, email: str, unit: str = "a1", **kw) -> PersonState:
    values = {
        "first_name": f"First{pid}",
        "last_name": f"Last{pid}",
        "language": "fr",
        "is_active": True,
        "roles": frozenset({RoleSpec("learner")}),
        "is_manageable": True,
    }
    values.update(kw)
    return PersonState(id=pid, hr_number=hr, email=email, unit_code=unit, **values)


UNITS = {
    "a1": UnitState("a1"),
    "a2": UnitState("a2"),
    "old": UnitState("old", is_closed=True),
    "b1": UnitState("b1", is_in_scope=False),
}


def directory(*people: PersonState) -> Directory:
    return Directory(people=list(people), units=UNITS, providers=frozenset({"ju-it"}))


def plan_of(data: bytes, *people: PersonState, full: bool = False, may_grant=None):
    rows, ignored = read_rows(data, "people.csv")
    return build_plan(
        rows,
        directory(*people),
        may_grant=may_grant or (lambda spec: spec.role != "admin"),
        is_full_export=full,
        ignored_columns=ignored,
    )


def reasons(plan) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for error in plan.errors:
        found.setdefault(error.row, []).append(error.problem.text())
    return found


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "sep", "newline"),
    [
        (b"", ";", "\r\n"),
        (b"\xef\xbb\xbf", ";", "\r\n"),  # Excel's "CSV UTF-8" (with BOM), Swiss semicolons
        (b"\xef\xbb\xbf", ",", "\n"),
        (b"", ",", "\n"),
        (b"", "\t", "\n"),
    ],
)
def test_csv_variants_read_the_same(prefix: bytes, sep: str, newline: str) -> None:
    data = prefix + csv_bytes(
        "1;Zoë;Müller;zoe@example.org;a1;de;",
        "2;Léa;Gagné;lea@example.org;a2;fr;",
        sep=sep,
        newline=newline,
    )
    rows, _ignored = read_rows(data)
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].cells["first_name"] == "Zoë"
    assert rows[0].cells["hr_number"] == "1"
    assert rows[1].cells["email"] == "lea@example.org"
    assert not rows[0].problems


def test_quoted_cells_with_separators_and_line_breaks_keep_row_numbers() -> None:
    data = csv_bytes(
        '1;"Anna; Maria";"Muster\nBern";a@example.org;a1;;', "2;B;C;b@example.org;a1;;"
    )
    rows, _ = read_rows(data)
    assert rows[0].cells["first_name"] == "Anna; Maria"
    assert [r.number for r in rows] == [2, 3]


def test_german_and_french_headers_are_recognised_and_extra_columns_ignored() -> None:
    data = (
        b"Personalnummer;Vorname;Nachname;E-Mail;Einheit;Sprache;Rolle;Kostenstelle\n"
        b"7;Hans;Meier;hans@example.org;a1;Deutsch;;4711\n"
    )
    rows, ignored = read_rows(data)
    assert rows[0].cells["hr_number"] == "7"
    assert ignored == ("Kostenstelle",)
    french = "Matricule;Prénom;Nom;Courriel;Unité;Langue;Rôle\n8;Léa;Roy;lea@example.org;a1;fr;\n"
    rows, _ = read_rows(french.encode())
    assert rows[0].cells["first_name"] == "Léa" and rows[0].cells["unit_code"] == "a1"


def test_missing_column_is_a_file_error_naming_it() -> None:
    with pytest.raises(HrFileError, match="E-mail"):
        read_rows(b"HR number;First name;Last name;Unit code\n1;A;B;a1\n")


def test_windows_1252_rows_are_reported_with_their_row_numbers() -> None:
    text = (
        HEADER
        + "\r\n1;Anna;Muster;anna@example.org;a1;de;\r\n2;Zoë;Müller;zoe@example.org;a1;de;\r\n"
    )
    plan = plan_of(text.encode("cp1252"))
    assert list(reasons(plan)) == [3]
    assert "not UTF-8" in reasons(plan)[3][0]
    assert len(plan.creations) == 1


def test_non_utf8_header_and_utf16_files_are_refused_as_a_whole() -> None:
    with pytest.raises(HrFileError, match="not UTF-8"):
        read_rows("Prénom;Nom\n".encode("cp1252"))
    with pytest.raises(HrFileError, match="UTF-16"):
        read_rows(HEADER.encode("utf-16"))


def test_limits_are_checked_before_the_whole_file_is_read() -> None:
    with pytest.raises(HrFileError, match="larger than"):
        read_rows(b"x" * 2048, limits=Limits(max_bytes=1000))
    many = csv_bytes(*(f"{i};A;B;a{i}@example.org;a1;;" for i in range(11)))
    with pytest.raises(HrFileError, match="more than 10"):
        read_rows(many, limits=Limits(max_rows=10))
    long_cell = csv_bytes("1;" + "A" * 600 + ";B;a@example.org;a1;;")
    rows, _ = read_rows(long_cell)
    assert "longer than 500" in rows[0].problems[0].text()


def test_xlsx_is_read_in_read_only_mode() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["HR number", "First name", "Last name", "E-mail", "Unit code", "Language"])
    sheet.append([1234, "Zoë", "Müller", "zoe@example.org", "a1", "de"])
    sheet.append([1235.0, "Léa", "Roy", "lea@example.org", "a2", None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, _ = read_rows(buffer.getvalue(), "people.xlsx")
    assert [r.cells["hr_number"] for r in rows] == ["1234", "1235"]
    assert rows[0].cells["first_name"] == "Zoë"
    assert rows[1].cells["language"] == ""


def test_a_file_that_is_not_xlsx_is_refused() -> None:
    with pytest.raises(HrFileError, match="XLSX"):
        read_rows(b"PK\x03\x04garbage", "people.xlsx")


def test_neutralised_cells_from_our_exports_read_back_literally() -> None:
    rows, _ = read_rows(
        csv_bytes("1;'=Anna;'-Muster;a@example.org;a1;;", "2;'t Hooft;B;b@example.org;a1;;")
    )
    assert rows[0].cells["first_name"] == "=Anna"
    assert rows[0].cells["last_name"] == "-Muster"
    assert rows[1].cells["first_name"] == "'t Hooft"  # a real apostrophe stays


# --- the plan --------------------------------------------------------------------------------


def test_matrix_create_change_move_unchanged_and_deactivate() -> None:
    same = person(1, "100", "same@example.org", first_name="Sam", last_name="Same")
    renamed = person(2, "200", "old@example.org", first_name="Ria", last_name="Old")
    mover = person(3, "300", "mover@example.org", first_name="Max", last_name="Move")
    leaver = person(4, "400", "leaver@example.org")
    no_hr = person(5, None, "nohr@example.org", first_name="Nora", last_name="Nohr")
    outside = person(6, "600", "outside@example.org", unit="b1", is_manageable=False)
    already_gone = person(7, "700", "gone@example.org", is_active=False)
    data = csv_bytes(
        "100;Sam;Same;same@example.org;a1;fr;",
        "200;Ria;New;new@example.org;a1;de;",
        "300;Max;Move;mover@example.org;a2;;",
        "500;Nora;Nohr;nohr@example.org;a1;;",
        "900;Neu;Person;neu@example.org;a2;it;manager",
    )
    plan = plan_of(data, same, renamed, mover, leaver, no_hr, outside, already_gone, full=True)
    assert not plan.errors
    assert plan.counts() == {
        "rows": 5,
        "created": 1,
        "changed": 2,
        "moved": 1,
        "deactivated": 1,
        "unchanged": 1,
        "bad_rows": 0,
    }
    (created,) = plan.creations
    assert (created.hr_number, created.unit_code, created.language) == ("900", "a2", "it")
    assert created.roles == (RoleSpec("manager", "a2"),)
    changes = {u.person_id: {c.field: (c.before, c.after) for c in u.changes} for u in plan.changes}
    assert changes[2] == {
        "last_name": ("Old", "New"),
        "email": ("old@example.org", "new@example.org"),
        "preferred_language": ("fr", "de"),
    }
    assert changes[5] == {"hr_number": (None, "500")}  # matched by e-mail, gets its HR number
    (move,) = plan.moves
    assert (move.person_id, move.unit_before, move.unit_after) == (3, "a1", "a2")
    assert [d.person_id for d in plan.deactivations] == [4]  # not outside scope, not inactive


def test_reappearing_person_is_reactivated() -> None:
    gone = person(1, "100", "back@example.org", is_active=False)
    plan = plan_of(csv_bytes("100;First1;Last1;back@example.org;a1;;"), gone)
    (update,) = plan.changes
    assert update.reactivate and ("is_active", "no", "yes") in [
        (c.field, c.before, c.after) for c in update.changes
    ]


def test_every_kind_of_bad_row_is_listed_with_its_row_and_reason() -> None:
    existing = person(1, "100", "taken@example.org")
    boss = person(2, "200", "boss@example.org", is_manageable=False)
    data = csv_bytes(
        "1;Ok;Row;ok@example.org;a1;;",  # row 2: fine
        "2;Bad;Mail;not-an-address;a1;;",  # 3
        "3;No;Unit;nounit@example.org;zz;;",  # 4
        "4;Closed;Unit;closed@example.org;old;;",  # 5
        "5;Dup;One;dup1@example.org;a1;;",  # 6
        "5;Dup;Two;dup2@example.org;a1;;",  # 7
        "6;Same;Mail;same@example.org;a1;;",  # 8
        "7;Same;Mail;SAME@example.org;a1;;",  # 9
        "8;Taken;Mail;taken@example.org;a1;;",  # 10
        "9;Bad;Lang;lang@example.org;a1;klingon;",  # 11
        "10;Admin;Wish;admin@example.org;a1;;admin",  # 12
        "11;Out;Scope;out@example.org;b1;;",  # 13
        "200;Boss;Changed;boss@example.org;a1;;",  # 14
        "12;Bad;Role;role@example.org;a1;;wizard",  # 15
        ";No;Number;nonum@example.org;a1;;",  # 16
        "13;Train;Er;trainer@example.org;a1;;trainer:nowhere",  # 17
    )
    plan = plan_of(data, existing, boss)
    found = reasons(plan)
    assert sorted(found) == list(range(3, 18))
    expectations = {
        3: "not a valid e-mail",
        4: "unknown unit code zz",
        5: "closed",
        6: "appears on several rows (6, 7)",
        7: "appears on several rows (6, 7)",
        8: "appears on several rows (8, 9)",
        9: "appears on several rows (8, 9)",
        10: "already belongs to the person with HR number 100",
        11: "unknown language klingon",
        12: "may not grant the role admin",
        13: "outside your scope",
        14: "may not change",
        15: "unknown role wizard",
        16: "HR number is missing",
        17: "unknown provider nowhere",
    }
    for row, text in expectations.items():
        assert any(text in reason for reason in found[row]), (row, found[row])
    assert [c.row for c in plan.creations] == [2]


def test_rows_in_error_keep_their_people_from_being_deactivated() -> None:
    kept = person(1, "100", "kept@example.org")
    plan = plan_of(csv_bytes("100;A;B;not-an-address;a1;;"), kept, full=True)
    assert plan.bad_rows == [2]
    assert plan.deactivations == []


def test_manager_of_own_unit_exports_and_reads_back_as_the_same_role() -> None:
    boss = person(
        1,
        "100",
        "boss@example.org",
        roles=frozenset(
            {RoleSpec("learner"), RoleSpec("manager", "a1"), RoleSpec("manager", "a2")}
        ),
    )
    row = export_row(boss)
    assert row[6] == "learner|manager|manager:a2"
    plan = plan_of(csv_bytes(";".join(row)), boss)
    assert plan.is_empty and plan.unchanged == 1


def test_ten_thousand_rows_with_37_bad_ones_list_exactly_those() -> None:
    lines = []
    bad_rows = set(range(50, 10_000, 270))  # 37 spread-out rows
    assert len(bad_rows) == 37
    for i in range(10_000):
        row_number = i + 2
        email = f"p{i}@example.org" if row_number not in bad_rows else f"p{i}-at-example.org"
        lines.append(f"H{i:05d};First{i};Last{i};{email};a1;fr;")
    plan = plan_of(csv_bytes(*lines))
    assert plan.bad_rows == sorted(bad_rows)
    assert all("not a valid e-mail" in e.problem.text() for e in plan.errors)
    assert len(plan.creations) == 10_000 - 37
