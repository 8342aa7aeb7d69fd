"""Steps and say-boxes read from real shipped modules, fitting one page, and the QR code (pure)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.content.rendering import render_markdown, render_pages
from app.content.variant_file import parse_variant_text
from app.job_aids.extraction import (
    COLUMN_CHARS,
    MAX_ITEM_CHARS,
    Layout,
    PageSection,
    SayBox,
    Steps,
    counter_points,
    counter_sections,
    fit_sheet,
    sheet_layout,
    shorten,
)
from app.job_aids.qr import QUIET_ZONE, qr_matrix, qr_svg
from tests.job_aids.helpers import decode_matrix, svg_matrix

COURSES = Path(__file__).resolve().parents[2] / "courses"
SHIPPED = sorted(COURSES.glob("*/index.*.md"))
LABELS = {"tip": "Tip", "warning": "Warning", "say": "Say to the customer", "footnote_back": "Back"}


def rendered(path: Path) -> list[tuple[str, str]]:
    """(title, html) of each page, rendered by the one pipeline as an import would."""
    variant, problems = parse_variant_text(path.read_text(encoding="utf-8"), path=path)
    assert variant is not None, problems
    return [(page.title, page.html) for page in render_pages(variant, labels=LABELS)]


def test_the_library_has_modules_to_test_on():
    assert len(SHIPPED) >= 20


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_steps_block_and_say_box_of_a_shipped_module_is_found(path: Path):
    source = path.read_text(encoding="utf-8")
    sections = counter_sections(rendered(path))
    blocks = [block for section in sections for block in section.blocks]
    steps = [b for b in blocks if isinstance(b, Steps)]
    says = [b for b in blocks if isinstance(b, SayBox)]
    assert len(steps) == source.count("```steps")
    assert len(says) == source.count("> [!SAY]")
    for block in says:
        assert block.paragraphs and "Say to the customer" not in block.paragraphs
    for block in steps:
        assert all(item and "<" not in item for item in block.items)


def test_the_tax_module_gives_its_eight_steps_and_its_say_box_in_order():
    sections = counter_sections(rendered(COURSES / "declaration-impot-en-ligne" / "index.fr.md"))
    assert [(s.number, s.title) for s in sections] == [
        (3, "Le déroulement pas à pas"),
        (4, "Ce que vous faites, ce que vous ne faites pas"),
    ]
    (steps,) = sections[0].blocks
    assert isinstance(steps, Steps) and len(steps.items) == 8
    assert steps.items[0] == "La personne se connecte elle-même au Guichet virtuel avec son compte"
    assert steps.items[-1] == "Elle se déconnecte"
    (say,) = sections[1].blocks
    assert say == SayBox(
        (
            "« Je peux vous montrer où le mettre. Pour savoir si vous avez le droit de le "
            "déduire, c'est le Service des contributions qui peut vous répondre. »",
        )
    )


def test_tips_and_warnings_stay_out_and_inline_markup_becomes_text():
    html = render_markdown(
        "> [!TIP]\n> A tip.\n\n"
        "> [!SAY]\n> Say **this**, then [that](https://example.org).\n>\n> - one\n> - two\n\n"
        "> [!WARNING]\n> Careful.\n\n"
        "```steps\n3. Open *the* site\nClick `Send`\n```\n",
        labels=LABELS,
    )
    blocks = counter_points(html)
    assert blocks == (
        SayBox(("Say this, then that.", "one", "two")),
        Steps(("Open the site", "Click Send")),
    )


def test_html_without_points_gives_nothing():
    assert counter_points("<p>Only text</p><ol><li>an ordinary list</li></ol>") == ()
    assert counter_sections([("Page", "<p>text</p>")]) == []


# --- fitting one page --------------------------------------------------------------------------


def section(number: int, *blocks) -> PageSection:
    return PageSection(number, f"Page {number}", tuple(blocks))


def test_everything_fits_in_a_roomy_layout():
    sections = [section(1, Steps(("a", "b"))), section(2, SayBox(("Hello",)))]
    sheet = fit_sheet(sections, Layout(lines=40, chars_per_line=40))
    assert sheet.is_complete and sheet.sections == tuple(sections)
    assert (sheet.shown, sheet.total, sheet.left_out) == (3, 3, 0)


def test_a_tight_layout_keeps_reading_order_and_stops_at_the_first_item_that_does_not_fit():
    sections = [
        section(1, Steps(tuple(f"step {n}" for n in range(1, 6)))),
        section(2, SayBox(("A short sentence.",))),
        section(3, Steps(("x",))),
    ]
    # heading 1.6 + list spacing 0.4 + three one-line steps = 5 lines
    sheet = fit_sheet(sections, Layout(lines=5, chars_per_line=40))
    assert sheet.sections == (section(1, Steps(("step 1", "step 2", "step 3"))),)
    assert (sheet.shown, sheet.total, sheet.left_out) == (3, 7, 4)
    assert not sheet.is_complete


def test_a_say_box_that_does_not_fit_ends_the_sheet_even_if_a_later_item_would_fit():
    sections = [
        section(1, SayBox(("word " * 60,))),
        section(2, Steps(("tiny",))),
    ]
    sheet = fit_sheet(sections, Layout(lines=4, chars_per_line=40))
    assert sheet.sections == () and sheet.left_out == 2


def test_an_over_long_item_is_shortened_at_a_word_and_counted():
    long = "mot " * 200
    sheet = fit_sheet([section(1, Steps((long,)))], Layout(lines=40, chars_per_line=50))
    (item,) = sheet.sections[0].blocks[0].items
    assert len(item) <= MAX_ITEM_CHARS and item.endswith("mot…")
    assert sheet.shortened == 1 and not sheet.is_complete and sheet.left_out == 0
    assert shorten("short") == "short"


def test_missed_points_take_room_from_the_steps():
    roomy, with_missed = sheet_layout(), sheet_layout([("Question?", "x " * 150)] * 3)
    assert with_missed.lines < roomy.lines and roomy.chars_per_line == COLUMN_CHARS


# --- QR code -----------------------------------------------------------------------------------


def test_the_qr_matrix_decodes_to_the_url():
    url = "https://ready.example.org/modules/declaration-impot-en-ligne"
    matrix = qr_matrix(url)
    assert not any(matrix[0]) and not any(row[0] for row in matrix)  # quiet zone
    assert len(matrix) >= 21 + 2 * QUIET_ZONE
    assert decode_matrix(matrix) == [url]


def test_the_svg_carries_only_numbers_and_fixed_markup():
    svg = qr_svg('https://x.example/?q="><script>alert(1)</script>')
    size = len(qr_matrix('https://x.example/?q="><script>alert(1)</script>'))
    assert svg.startswith("<svg ") and f'viewBox="0 0 {size} {size}"' in svg
    assert "script" not in svg and "style" not in svg and "href" not in svg
    path = re.search(r'<path fill="#000" d="([^"]*)"/>', svg).group(1)
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", path)
    url = "https://ready.example.org/modules/eid-connexion"
    assert svg_matrix(qr_svg(url)) == qr_matrix(url)
