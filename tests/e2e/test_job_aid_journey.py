"""Job aids in Chromium: a trainer opens a module's job aid, prints it (one A4 page), and its QR
code, read back from a screenshot, opens the module; over-long sheets still print on one page.

Also axe-core on the job aid and the campaign poster. With SCREENSHOTS=1 the printed job aid is
saved as docs/screenshot-job-aid.png.
"""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from app.assessment.attempts import save_answer, start_attempt, submit_attempt
from app.assessment.operations import save_quiz_definition
from app.assessment.questions import Option, Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import Module
from app.extensions import db
from app.job_aids.queries import MIN_LEARNERS_FOR_MISSED_POINTS, module_sheet
from app.people.models import Role
from tests.campaigns.builders import make_campaign
from tests.content.builders import COURSES, import_paths, write_module
from tests.e2e.browser import assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-job-aid.png"
T0 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
# A4 is 210 x 297 mm: 595.28 x 841.89 PDF points (Chromium rounds to whole pixels).
A4_POINTS = (595.28, 841.89)
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_MEDIA_BOX_RE = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]")


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF made by Chromium has (its page objects)."""
    return len(_PAGE_RE.findall(pdf))


def print_to_pdf(page) -> bytes:
    """Print the page as the browser's Print command does, honouring the CSS page size."""
    pdf = page.pdf(prefer_css_page_size=True)
    (width, height), *_ = _MEDIA_BOX_RE.findall(pdf)
    assert abs(float(width) - A4_POINTS[0]) < 1.5 and abs(float(height) - A4_POINTS[1]) < 1.5
    return pdf


def decode_qr(png: bytes) -> list[str]:
    """Read every QR code in a PNG screenshot with zxing-cpp."""
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def longest_shipped_module() -> tuple[str, str]:
    """The shipped module and language whose job aid has the most text."""

    def weight(sheet) -> int:
        texts = [
            text
            for section in sheet.sections
            for block in section.blocks
            for text in (*getattr(block, "items", ()), *getattr(block, "paragraphs", ()))
        ]
        return sum(len(t) + 40 for t in texts) + 60 * len(sheet.sections)

    best = (0, "", "")
    for module in db.session.query(Module).all():
        for language in ("de", "fr", "it", "en"):
            sheet = module_sheet(db.session, module, language=language)
            if sheet.language == language:
                best = max(best, (weight(sheet), module.slug, language))
    return best[1], best[2]


def hard_quiz(module_id: int, provider_id: int, learners: list) -> None:
    """A quiz whose three questions every learner misses, each with a long explanation."""
    words = "Expliquez calmement, montrez la rubrique et laissez la personne décider elle-même. "
    questions = tuple(
        Question(
            id=f"q{n}",
            type="single",
            stem={"fr": f"Question {n} : " + "que faites-vous au guichet quand " * 6 + "?"},
            explanation={"fr": words * 4},
            options=(
                Option(id="a", text={"fr": "Juste"}, correct=True),
                Option(id="b", text={"fr": "Faux"}),
            ),
        )
        for n in (1, 2, 3)
    )
    quiz, _version = save_quiz_definition(
        db.session,
        QuizDefinition(id="fiche-quiz", title={"fr": "Quiz"}, pass_mark=50, questions=questions),
        provider_id=provider_id,
        module_id=module_id,
        now=T0,
    )
    db.session.commit()
    for index, learner in enumerate(learners):
        now = T0 + timedelta(hours=index)
        attempt, _new = start_attempt(db.session, learner.id, quiz, now=now)
        for question_id in attempt.question_ids:
            save_answer(db.session, attempt, question_id, "b", now=now + timedelta(seconds=20))
        submit_attempt(db.session, attempt, now=now + timedelta(minutes=1))
        db.session.commit()


def over_long_module(root: Path) -> Path:
    """Thirty pages, each with a list of long steps and two say-boxes: far more than a page."""
    step = "Montrez à la personne où se trouve le bouton, puis laissez-la cliquer elle-même"
    say = "« Prenez votre temps, je vous montre où cliquer et vous le faites vous-même. »"
    pages = []
    for n in range(1, 31):
        steps = "\n".join(f"{step} ({n}.{k})" for k in range(1, 7))
        pages.append(
            f"## Étape {n} du parcours\n\n```steps\n{steps}\n```\n\n"
            f"> [!SAY]\n> {say}\n\n> [!SAY]\n> {say} {say}\n"
        )
    return write_module(root, "fiche-longue", body="\n".join(pages), title="Une fiche trop longue")


def say_boxes_only(root: Path) -> Path:
    """Thirty pages of say-boxes of varied length (boxes are never split across columns)."""
    pages = []
    for n in range(1, 31):
        boxes = [
            f"> [!SAY]\n> « {'Bonjour, je vous aide volontiers. ' * (1 + (n * k) % 6)}»\n"
            for k in (1, 2, 3)
        ]
        pages.append(f"## Page {n}\n\n" + "\n".join(boxes))
    return write_module(root, "fiche-paroles", body="\n".join(pages))


def test_a_trainer_prints_a_job_aid_on_one_page_and_its_qr_code_opens_the_module(
    live_server, new_page, js_errors, tmp_path
):
    org = make_org()
    import_paths([COURSES])
    slug, language = longest_shipped_module()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    base = live_server.url

    page = new_page()
    sign_in(page, base, trainer.email, PASSWORD)
    page.goto(f"{base}/modules/{slug}?lang={language}")
    with page.expect_navigation():
        page.locator(f'a[href^="/modules/{slug}/job-aid"]').click()
    assert page.url == f"{base}/modules/{slug}/job-aid?lang={language}"
    expect(page.locator("html")).to_have_attribute("lang", f"{language}-CH")
    expect(page.locator(".sheet-steps li").first).to_be_visible()
    expect(page.locator(".sheet-say").first).to_be_visible()
    assert page.locator(".sheet-more").count() == 0  # a shipped module fits whole

    pdf = print_to_pdf(page)
    assert pdf_pages(pdf) == 1, f"{slug} ({language}) printed on {pdf_pages(pdf)} pages"

    # The QR code as the browser draws it, read back by a real decoder.
    shot = page.locator(".sheet-qr .qr-code").screenshot()
    module_url = f"{base}/modules/{slug}"
    assert decode_qr(shot) == [module_url]
    if os.environ.get("SCREENSHOTS") == "1":
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.emulate_media(media="null")
        page.set_viewport_size({"width": 1024, "height": 768})

    # Scanned on a tablet: the address opens the module.
    response = page.goto(module_url)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_be_visible()
    assert page.locator(f'a[href^="/modules/{slug}/pages/1"]').count() >= 1
    assert_no_csp_violations(js_errors)


def test_an_over_long_module_with_missed_points_still_prints_on_one_page(
    live_server, new_page, tmp_path
):
    org = make_org()
    over_long_module(tmp_path)
    say_boxes_only(tmp_path)
    import_paths([tmp_path])
    module = db.session.query(Module).filter_by(slug="fiche-longue").one()
    learners = [make_user(org.branch_a2) for _ in range(MIN_LEARNERS_FOR_MISSED_POINTS)]
    hard_quiz(module.id, org.provider.id, learners)
    manager = make_user(org.branch_a1, Role.MANAGER, language="fr")
    base = live_server.url

    page = new_page()
    sign_in(page, base, manager.email, PASSWORD)
    page.goto(f"{base}/modules/fiche-longue/job-aid")
    expect(page.locator(".sheet-missed dt")).to_have_count(3)
    expect(page.locator(".sheet-more")).to_be_visible()
    shown = page.locator(".sheet-steps li, .sheet-say").count()
    assert 4 < shown < 30 * 8
    expect(page.locator(".sheet-rest")).to_contain_text(str(30 * 8 - shown))
    assert pdf_pages(print_to_pdf(page)) == 1

    # Without the missed points (a learner's view) more fits, still on one page.
    learner_page = new_page()
    sign_in(learner_page, base, learners[0].email, PASSWORD)
    learner_page.goto(f"{base}/modules/fiche-longue/job-aid")
    assert learner_page.locator(".sheet-missed").count() == 0
    assert learner_page.locator(".sheet-steps li, .sheet-say").count() > shown
    assert pdf_pages(print_to_pdf(learner_page)) == 1
    learner_page.goto(f"{base}/modules/fiche-paroles/job-aid")
    expect(learner_page.locator(".sheet-more")).to_be_visible()
    assert pdf_pages(print_to_pdf(learner_page)) == 1
    learner_page.goto(f"{base}/modules/fiche-longue/job-aid")
    assert decode_qr(learner_page.locator(".qr-code").screenshot()) == [
        f"{base}/modules/fiche-longue"
    ]


def test_job_aid_and_poster_have_no_accessibility_violations(live_server, axe_page, new_page):
    org = make_org()
    import_paths([COURSES / "declaration-impot-en-ligne"])
    module = db.session.query(Module).filter_by(slug="declaration-impot-en-ligne").one()
    campaign = make_campaign(owner_unit=org.region_a, modules=[module], units=[org.region_a])
    manager = make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a, language="fr")
    base = live_server.url

    sign_in(axe_page, base, manager.email, PASSWORD)
    for path in (
        "/modules/declaration-impot-en-ligne/job-aid",
        "/modules/declaration-impot-en-ligne/job-aid?lang=de",
        f"/campaigns/{campaign.id}/poster",
    ):
        axe_page.goto(base + path)
        assert_no_axe_violations(axe_page)

    # The poster prints on one A4 page and its QR code opens the staff's campaign list.
    page = new_page()
    sign_in(page, base, manager.email, PASSWORD)
    page.goto(f"{base}/campaigns/{campaign.id}")
    with page.expect_navigation():
        page.locator(f'a[href="/campaigns/{campaign.id}/poster"]').click()
    assert pdf_pages(print_to_pdf(page)) == 1
    assert decode_qr(page.locator(".poster-qr .qr-code").screenshot()) == [
        f"{base}/my-campaigns#campaign-{campaign.id}"
    ]
