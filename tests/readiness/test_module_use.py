"""The provider view: trainers see how their modules do across campaigns, in figures only."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.people.models import Role
from app.readiness.queries.module_usage import module_campaign_usage, module_usage
from tests.conftest import login_as
from tests.factories import make_user
from tests.query_count import statements_during
from tests.readiness.helpers import make_module
from tests.readiness.test_query_counts import build_network


def test_figures_per_module_across_campaigns(scene):
    rows = {r.slug: r for r in module_usage(db.session, scene.trainer)}
    basics, online = rows["tax-basics"], rows["tax-online"]
    # Seven people assigned; Ann, Ben, Fay and Cat completed the basics, three the other.
    assert (basics.campaigns, basics.assigned, basics.completed) == (1, 7, 4)
    assert (online.campaigns, online.assigned, online.completed) == (1, 7, 3)
    # Quiz of the basics: 95, 72, 40, 100 (pass mark 50): three of four passed.
    assert (basics.quiz_learners, basics.quiz_passed) == (4, 3)
    assert basics.pass_rate == pytest.approx(0.75)
    assert basics.average_score == pytest.approx((95 + 72 + 40 + 100) / 4)
    assert online.quiz_learners == 0 and online.pass_rate is None
    usage = module_campaign_usage(db.session, basics.module_id)
    assert [(u.campaign.id, u.assigned, u.completed) for u in usage] == [(scene.campaign_id, 7, 4)]


def test_the_page_names_nobody_and_is_reachable_from_the_module_list(client, scene):
    login_as(client, scene.trainer)
    authoring = client.get("/authoring/").get_data(as_text=True)
    assert "/readiness/modules" in authoring
    page = client.get("/readiness/modules")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "tax-basics" in text or "Tax" in text
    for person in scene.people.values():
        assert person.last_name not in text and person.email not in text
    module_id = next(r.module_id for r in module_usage(db.session, scene.trainer))
    detail = client.get(f"/readiness/modules/{module_id}")
    assert detail.status_code == 200
    assert "Tax declaration 2027" in detail.get_data(as_text=True)


def test_a_trainer_of_another_provider_sees_none_of_these_figures(client, scene):
    other = make_user(scene.org.branch_a1, Role.TRAINER, provider=scene.org.other_provider)
    own_module = make_module(scene.org.other_provider, slug="basel-post")
    theirs = {r.module_id for r in module_usage(db.session, scene.trainer)}
    assert {r.module_id for r in module_usage(db.session, other)} == {own_module.id}
    login_as(client, other)
    for module_id in theirs:
        assert client.get(f"/readiness/modules/{module_id}").status_code == 404
    assert client.get("/readiness/modules/999999").status_code == 404
    listing = client.get("/readiness/modules").get_data(as_text=True)
    assert "tax-basics" not in listing and "basel-post" in listing
    login_as(client, scene.trainer)
    assert client.get(f"/readiness/modules/{own_module.id}").status_code == 404


def test_learners_and_managers_cannot_open_it(client, scene):
    for user in (scene.people["ann"], scene.network_manager):
        login_as(client, user)
        assert client.get("/readiness/modules").status_code in (403, 404)


def test_the_page_takes_the_same_number_of_queries_for_2_and_12_modules(app, client):
    counts = {}
    for extra in (0, 10):
        network, _region, _units, setup = build_network(3)
        provider_id = setup.modules[0].provider_id
        from app.people.models import Provider

        provider = db.session.get(Provider, provider_id)
        for _ in range(extra):
            make_module(provider)
        trainer = make_user(network, Role.TRAINER, provider=provider)
        login_as(client, trainer)
        client.get("/readiness/modules")
        with statements_during(app) as statements:
            assert client.get("/readiness/modules").status_code == 200
        counts[extra] = len(statements)
    assert counts[0] == counts[10], counts
