"""Readiness pages a manager can act on: launch day, regions that add up, every branch charted."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.people.models import Role, UnitKind
from app.people.unit_operations import create_unit
from tests.conftest import login_as
from tests.factories import make_user
from tests.readiness.helpers import NOW, assign, complete, make_campaign, make_module
from tests.readiness.test_readiness_arithmetic import add_snapshots

RAW_STATUSES = ("at_risk", "on_track", "too_early", "not_ready", "no_one")


def visible_text(page: str) -> str:
    """The text a person reads: no tags, attributes or scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def headline(page: str) -> str:
    """The readable text of the summary at the top of a report."""
    return visible_text(page.split('<dl class="readiness-summary">')[1].split("</dl>")[0])


def figure(page: str, chart_id: str) -> dict:
    """The Plotly figure of a chart on the page."""
    match = re.search(rf'id="{chart_id}"[^>]*data-figure="([^"]*)"', page)
    assert match, chart_id
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture
def region_of_ten(app):
    """A region of ten branches of three people, 14 days in and 14 days to go.

    Branches 00-04 have nobody ready and have been stuck for a week (at risk); 05-09 are ready.
    """
    network = create_unit(db.session, code="n", name="Network", kind=UnitKind.NETWORK)
    region = create_unit(db.session, code="r", name="Region", kind=UnitKind.REGION, parent=network)
    branches = [
        create_unit(
            db.session,
            code=f"b{n:02d}",
            name=f"Branch {n:02d}",
            kind=UnitKind.BRANCH,
            parent=region,
        )
        for n in range(10)
    ]
    db.session.commit()
    from app.people.unit_operations import get_or_create_provider

    provider = get_or_create_provider(db.session, slug="p", name="Provider")
    db.session.commit()
    modules = [make_module(provider, slug="m-one"), make_module(provider, slug="m-two")]
    setup = make_campaign(
        network,
        modules,
        percent=80,
        assign_at=NOW - timedelta(days=14),
        due_at=NOW + timedelta(days=14),
    )
    series = {}
    for index, branch in enumerate(branches):
        people = [make_user(branch) for _ in range(3)]
        for person in people:
            assign(setup, person)
            if index >= 5:
                for module in modules:
                    complete(person, module, at=NOW - timedelta(days=10))
        series[branch] = (3, [0 if index < 5 else 3] * 8)
    add_snapshots(setup, series)
    manager = make_user(region, Role.MANAGER)
    return setup, region, branches, manager


def test_a_region_is_at_risk_when_its_branches_are_and_every_at_risk_branch_is_charted(
    client, region_of_ten
):
    setup, region, branches, manager = region_of_ten
    login_as(client, manager)
    url = f"/readiness/campaigns/{setup.campaign.id}/units/{region.id}"
    page = client.get(url).get_data(as_text=True)
    text = visible_text(page)
    summary = headline(page)
    assert "At risk" in summary and "On track" not in summary
    assert "Branches: 10, of which 5 at risk and 0 too early to tell." in " ".join(text.split())
    trend = figure(page, "chart-trend")
    names = [trace["name"] for trace in trend["data"] if trace.get("mode") != "lines"]
    assert len([n for n in names if n.startswith("Branch")]) == 7
    for n in range(5):  # the five at-risk branches are all in the chart
        assert f"Branch {n:02d}" in names
    assert "the 7 units most at risk of the 10 below" in " ".join(text.split())
    assert "trend=all" in page
    all_page = client.get(url + "?trend=all").get_data(as_text=True)
    all_names = [t["name"] for t in figure(all_page, "chart-trend")["data"]]
    assert all(f"Branch {n:02d}" in all_names for n in range(10))
    # The table of the chart's numbers lists every branch either way.
    for n in range(10):
        assert f"Branch {n:02d}" in text
    for raw in RAW_STATUSES:
        assert raw not in text


def test_on_launch_day_nothing_is_at_risk_and_the_page_says_too_early(client, app):
    network = create_unit(db.session, code="n", name="Network", kind=UnitKind.NETWORK)
    region = create_unit(db.session, code="r", name="Region", kind=UnitKind.REGION, parent=network)
    branches = [
        create_unit(
            db.session, code=f"b{n}", name=f"Branch {n}", kind=UnitKind.BRANCH, parent=region
        )
        for n in range(3)
    ]
    db.session.commit()
    from app.people.unit_operations import get_or_create_provider

    provider = get_or_create_provider(db.session, slug="p", name="Provider")
    db.session.commit()
    setup = make_campaign(
        network,
        [make_module(provider)],
        percent=80,
        assign_at=NOW - timedelta(hours=1),
        due_at=NOW + timedelta(days=28),
    )
    for branch in branches:
        for _ in range(4):
            assign(setup, make_user(branch))
    login_as(client, make_user(network, Role.MANAGER))
    page = client.get(f"/readiness/campaigns/{setup.campaign.id}/units/{region.id}")
    body = page.get_data(as_text=True)
    text = " ".join(visible_text(body).split())
    summary = " ".join(headline(body).split())
    assert "Too early to tell" in summary and "At risk" not in summary
    table = visible_text(body.split('id="units-table"')[1].split("</table>")[0])
    assert "At risk" not in table
    assert table.count("Too early to tell") == 6  # each branch, in the status and forecast
    assert "Forecast on the due date Too early to tell" in summary
    for raw in RAW_STATUSES:
        assert raw not in text


def test_chart_dates_follow_the_readers_language(client, region_of_ten):
    setup, region, _branches, manager = region_of_ten
    manager.preferred_language = "fr"
    db.session.commit()
    login_as(client, manager)
    page = client.get(f"/readiness/campaigns/{setup.campaign.id}/units/{region.id}")
    body = page.get_data(as_text=True)
    trend = figure(body, "chart-trend")
    assert trend["layout"]["xaxis"]["tickformat"] == "%d.%m."
    assert trend["layout"]["xaxis"]["hoverformat"] == "%d.%m.%Y"
    # Axis titles and statuses in French (from the compiled catalogue).
    assert trend["layout"]["xaxis"]["title"]["text"] == "Jour"
    assert trend["layout"]["yaxis"]["title"]["text"] == "Personnes prêtes (%)"
    assert "At risk" not in visible_text(body)
