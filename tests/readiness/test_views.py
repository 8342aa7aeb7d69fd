"""Manager pages: numbers, drill-down, filters, reminders, and scope on every route."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.models import Role
from app.platform.audit import AuditEvent
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_user
from tests.readiness.helpers import make_campaign, make_module


def page_of(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_dashboard_lists_the_campaign(client, scene):
    login_as(client, scene.region_a_manager)
    html = page_of(client, "/readiness/")
    assert "Tax declaration 2027" in html
    assert f"/readiness/campaigns/{scene.campaign_id}" in html


def test_region_manager_starts_at_the_region_and_sees_its_branches(client, scene):
    login_as(client, scene.region_a_manager)
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}")
    assert "Region A" in html and "Branch A1" in html and "Branch A2" in html
    assert "Branch B1" not in html and "Gus" not in html and "Fay" not in html
    # 5 assigned in region A, 2 ready, 2 overdue (Eve is not due yet)
    assert "2 / 5" in html
    assert "Cat" in html and "Dan" in html  # overdue list
    assert "Eve" not in html.split('id="overdue-title"')[1].split("</section>")[0]


def test_drill_down_branch_person_and_breadcrumb(client, scene):
    login_as(client, scene.region_a_manager)
    a1 = scene.org.branch_a1
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/units/{a1.id}")
    assert 'aria-current="page">Branch A1' in html
    assert "Region A" in html  # breadcrumb
    cat = scene.people["cat"]
    assert f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}" in html
    person = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}")
    assert "Cat Muster" in person
    assert "tax-online" in person or "Not started" in person
    assert "Overdue" in person
    assert 'id="remind-button"' in person


def test_units_table_filters_and_sorts(client, scene):
    login_as(client, scene.network_manager)
    base = f"/readiness/campaigns/{scene.campaign_id}/units/{scene.org.region_a.id}"
    html = page_of(client, base + "?q=A2")
    table = html.split('id="units-table"')[1].split("</table>")[0]
    assert "Branch A2" in table and "Branch A1" not in table
    html = page_of(client, base + "?sort=ready&dir=desc")
    table = html.split('id="units-table"')[1].split("</table>")[0]
    assert table.index("Branch A1") < table.index("Branch A2")
    assert 'aria-sort="descending"' in table
    html = page_of(client, base + "?status=not_ready")
    table = html.split('id="units-table"')[1].split("</table>")[0]
    assert "Branch A1" in table and "Branch A2" in table


@pytest.mark.parametrize(
    "query",
    ["?sort=password", "?dir=sideways", "?status=great", "?q=" + "x" * 101, "?q=%00"],
)
def test_absurd_filters_are_refused_with_a_message(client, scene, query):
    login_as(client, scene.network_manager)
    response = client.get(f"/readiness/campaigns/{scene.campaign_id}{query}")
    assert response.status_code == 400
    assert "<p>" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?page=0", "?page=abc", "?page=9999999", "?unit=x1"])
def test_absurd_overdue_paging_is_refused(client, scene, query):
    login_as(client, scene.network_manager)
    assert client.get(f"/readiness/campaigns/{scene.campaign_id}/overdue{query}").status_code == 400


def test_overdue_page_lists_everyone_late_with_what_is_missing(client, scene):
    login_as(client, scene.network_manager)
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/overdue")
    for name in ("Cat", "Dan", "Gus"):
        assert name in html
    for name in ("Ann", "Eve", "Fay"):
        assert f">{name} Muster<" not in html
    cat_row = html.split("Cat Muster")[1].split("</tr>")[0]
    assert "tax-online" in cat_row and "tax-basics" not in cat_row
    assert "Branch A1" in cat_row


def _remind(client, scene, user, page):
    token = csrf_token_from(page)
    return client.post(
        f"/readiness/campaigns/{scene.campaign_id}/people/{user.id}/remind",
        data={"csrf_token": token, "next": f"/readiness/campaigns/{scene.campaign_id}"},
    )


def test_one_click_reminder_goes_through_the_outbox_once_a_day(client, scene):
    login_as(client, scene.region_a_manager)
    cat = scene.people["cat"]
    page = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}")
    response = _remind(client, scene, cat, page)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/readiness/campaigns/{scene.campaign_id}"
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == cat.id)).all()
    assert len(emails) == 1
    assert emails[0].dedupe_key.startswith(f"readiness:remind:{scene.campaign_id}:{cat.id}:")
    assert "tax-online" in emails[0].body_text or "Tax" in emails[0].subject
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "readiness.reminder_sent")
    ).all()
    assert [(a.actor_id, a.object_id) for a in audit] == [(scene.region_a_manager.id, cat.id)]
    # A second click the same day sends nothing more.
    again = _remind(client, scene, cat, page)
    assert again.status_code == 303
    assert db.session.query(OutboxEmail).filter_by(user_id=cat.id).count() == 1
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}")
    assert "was reminded today" in html


def test_reminder_needs_a_csrf_token_and_a_post(client, scene):
    login_as(client, scene.region_a_manager)
    cat = scene.people["cat"]
    url = f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}/remind"
    assert client.post(url).status_code == 400
    assert client.get(url).status_code == 405
    assert db.session.query(OutboxEmail).count() == 0


def test_nobody_to_remind_when_everything_is_done(client, scene):
    login_as(client, scene.region_a_manager)
    ann = scene.people["ann"]
    page = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{ann.id}")
    _remind(client, scene, ann, page)
    assert db.session.query(OutboxEmail).count() == 0


def _routes(scene, unit, user):
    c = scene.campaign_id
    return [
        ("GET", f"/readiness/campaigns/{c}/units/{unit.id}"),
        ("GET", f"/readiness/campaigns/{c}/people/{user.id}"),
        ("GET", f"/readiness/campaigns/{c}/overdue?unit={unit.id}"),
        ("POST", f"/readiness/campaigns/{c}/people/{user.id}/remind"),
        ("POST", f"/readiness/campaigns/{c}/export/units.csv?unit={unit.id}"),
        ("POST", f"/readiness/campaigns/{c}/export/overdue.xlsx?unit={unit.id}"),
    ]


def _open(client, method, url, token):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token})


def test_branch_manager_gets_404_on_another_branch_everywhere(client, scene):
    login_as(client, scene.a1_manager)
    token = csrf_token_from(page_of(client, f"/readiness/campaigns/{scene.campaign_id}"))
    for method, url in _routes(scene, scene.org.branch_b1, scene.people["gus"]):
        assert _open(client, method, url, token).status_code == 404, (method, url)
    # ... and not on their own branch
    for method, url in _routes(scene, scene.org.branch_a1, scene.people["cat"]):
        assert _open(client, method, url, token).status_code in (200, 303), (method, url)


def test_a_branch_manager_cannot_go_up_the_tree(client, scene):
    login_as(client, scene.a1_manager)
    c = scene.campaign_id
    for unit in (scene.org.region_a, scene.org.network, scene.org.branch_a2):
        assert client.get(f"/readiness/campaigns/{c}/units/{unit.id}").status_code == 404
    html = page_of(client, f"/readiness/campaigns/{c}")
    assert "Dan" not in html and "Region A</a>" not in html


def test_unknown_ids_and_unreachable_campaigns_are_404(client, scene):
    other = make_campaign(
        scene.org.region_b, [make_module(scene.org.provider)], name="Only region B"
    )
    login_as(client, scene.a1_manager)
    c = scene.campaign_id
    for url in (
        "/readiness/campaigns/999999",
        f"/readiness/campaigns/{other.campaign.id}",
        f"/readiness/campaigns/{c}/units/999999",
        f"/readiness/campaigns/{c}/people/999999",
        "/readiness/campaigns/999999/overdue",
    ):
        assert client.get(url).status_code == 404, url
    assert "Only region B" not in page_of(client, "/readiness/")


def test_learners_and_trainers_are_refused(client, scene):
    for user in (scene.people["ann"], scene.trainer):
        login_as(client, user)
        assert client.get(f"/readiness/campaigns/{scene.campaign_id}").status_code == 403


def test_a_person_who_left_is_not_listed_but_keeps_history(client, scene):
    gus = scene.people["gus"]
    gus.is_active = False
    db.session.commit()
    login_as(client, scene.network_manager)
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/overdue")
    assert "Gus" not in html
    person = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{gus.id}")
    assert "Deactivated" in person


def test_learner_names_are_escaped(client, scene):
    cat = scene.people["cat"]
    cat.first_name = '<img src=x onerror="alert(1)">'
    db.session.commit()
    login_as(client, scene.network_manager)
    for url in (
        f"/readiness/campaigns/{scene.campaign_id}/units/{scene.org.branch_a1.id}",
        f"/readiness/campaigns/{scene.campaign_id}/overdue",
        f"/readiness/campaigns/{scene.campaign_id}/people/{cat.id}",
    ):
        html = page_of(client, url)
        assert "<img src=x" not in html
        assert "&lt;img src=x" in html


def test_charts_carry_their_figure_as_data_and_a_table(client, scene):
    login_as(client, scene.network_manager)
    html = page_of(
        client, f"/readiness/campaigns/{scene.campaign_id}/units/{scene.org.region_a.id}"
    )
    assert re.search(
        r'<div class="chart" id="chart-overdue" role="img" aria-label="[^"]+" data-figure="\{', html
    )
    # The heat map is a table shaded by share, each cell with its number (no chart script).
    assert re.search(r'<td class="num heat heat-(10|[0-9]|none)">[^<]*</td>', html)
    assert "<script>" not in html
    assert "/readiness/assets/plotly-" in html and "readiness-charts.js" in html
    assert html.count("The numbers of this chart") >= 3


def test_quiz_scores_of_assigned_people(client, scene):
    login_as(client, scene.network_manager)
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}")
    scores = html.split('id="chart-scores-title"')[1].split("</figure>")[0]
    assert "Tax quiz" in scores


def test_admin_with_several_roots_sees_the_sum(client, scene):
    from tests.factories import make_org  # noqa: F401 - one tree is enough here

    login_as(client, scene.admin)
    html = page_of(client, f"/readiness/campaigns/{scene.campaign_id}")
    assert "Network" in html
    # 7 assigned in the network, 3 ready
    assert "3 / 7" in html


def test_manager_without_units_sees_nothing(client, scene):
    lonely = make_user(None, Role.LEARNER)
    login_as(client, lonely)
    assert client.get("/readiness/").status_code == 403


def test_in_app_only_people_get_a_notice_and_no_email(client, scene):
    from app.campaigns.models import Channel, Notice, NotificationPreference

    dan = scene.people["dan"]
    db.session.add(NotificationPreference(user_id=dan.id, channel=Channel.IN_APP))
    db.session.commit()
    login_as(client, scene.region_a_manager)
    page = page_of(client, f"/readiness/campaigns/{scene.campaign_id}/people/{dan.id}")
    assert _remind(client, scene, dan, page).status_code == 303
    notices = db.session.query(Notice).filter_by(user_id=dan.id).all()
    assert len(notices) == 1 and notices[0].kind == "overdue"
    assert db.session.query(OutboxEmail).filter_by(user_id=dan.id).count() == 0
    html = page_of(
        client, f"/readiness/campaigns/{scene.campaign_id}/units/{scene.org.branch_a2.id}"
    )
    overdue = html.split('id="overdue-title"')[1].split("</section>")[0]
    dan_row = overdue.split("Dan Muster")[1].split("</tr>")[0]
    assert "Reminded today" in dan_row


def test_every_unit_page_renders_even_empty_ones(client, scene):
    from app.campaigns.models import CampaignState

    login_as(client, scene.admin)
    org = scene.org
    for unit in (org.network, org.region_a, org.region_b, org.branch_a1, org.branch_b2):
        page_of(client, f"/readiness/campaigns/{scene.campaign_id}/units/{unit.id}")
    scheduled = make_campaign(
        org.network, [make_module(org.provider)], state=CampaignState.SCHEDULED, name="Next year"
    )
    html = page_of(client, f"/readiness/campaigns/{scheduled.campaign.id}")
    assert "Next year" in html and "Nobody assigned" in html
