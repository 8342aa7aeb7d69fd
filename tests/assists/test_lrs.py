"""An assist and its undo reach a real LRS (Ralph) like every other statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.assists import operations
from app.extensions import db
from app.people.models import Role
from app.tracking.lrs import forward_due
from app.tracking.models import Statement
from tests.assists.helpers import NOW, log, make_tagged_module
from tests.factories import make_org, make_user
from tests.readiness.helpers import complete
from tests.tracking.test_lrs import PASSWORD, USERNAME, ralph, settings_for  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def app_config(app_config):
    app_config.update(
        {
            "XAPI_LRS_URL": "http://127.0.0.1:9/xAPI/",  # the test passes its own settings
            "XAPI_LRS_USERNAME": USERNAME,
            "XAPI_LRS_PASSWORD": PASSWORD,
        }
    )
    return app_config


def test_an_assist_and_its_undo_are_forwarded_and_accepted(app, ralph):  # noqa: F811
    org = make_org()
    module = make_tagged_module(org.provider, {"fr": ["impots"]})
    helper = make_user(org.branch_a1, Role.LEARNER)
    complete(helper, module)
    kept = log(helper, "impots")
    undone = log(helper, "impots", "referred")
    operations.undo_assist(db.session, helper, undone, now=NOW + timedelta(seconds=10))
    db.session.commit()
    report = forward_due(db.session, settings_for(ralph.url), NOW + timedelta(minutes=1))
    assert report.failed == 0 and report.sent == 3  # two assists and one voiding statement
    uuids = dict(
        db.session.execute(
            select(Statement.id, Statement.uuid).where(
                Statement.id.in_([kept.statement_id, undone.statement_id])
            )
        ).all()
    )
    stored = set(ralph.stored_ids())
    assert {uuids[kept.statement_id], uuids[undone.statement_id]} <= stored
    served = {s["id"] for s in ralph.fetch_statements()}
    assert uuids[kept.statement_id] in served
