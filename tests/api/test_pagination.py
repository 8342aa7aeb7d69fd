"""Query parameter helpers: paging and the cursor-free `since`/`until` window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from app.api import json_datetime
from app.api.pagination import PageRequest, int_arg, page_request, time_window


def test_page_request_defaults_and_offset(app):
    with app.test_request_context("/api/v1/x"):
        assert page_request() == PageRequest(page=1, per_page=50)
    with app.test_request_context("/api/v1/x?page=3&per_page=20"):
        page = page_request()
        assert page.offset == 40
        assert page.slice(list(range(100))) == list(range(40, 60))


def test_int_arg_bounds(app):
    with app.test_request_context("/api/v1/x?unit=7"):
        assert int_arg("unit", default=None, minimum=1, maximum=10) == 7
        assert int_arg("absent", default=None, minimum=1, maximum=10) is None
    with app.test_request_context("/api/v1/x?unit=11"), pytest.raises(BadRequest) as info:
        int_arg("unit", default=None, minimum=1, maximum=10)
    assert "“unit”" in info.value.description


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01T08:00:00Z", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T09:00:00%2B01:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T08:00:00.250Z", datetime(2026, 3, 1, 8, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_since_reads_rfc3339_with_a_time_zone(app, raw, expected):
    with app.test_request_context(f"/api/v1/x?since={raw}"):
        window = time_window()
    assert window.since == expected
    assert window.until is None


@pytest.mark.parametrize(
    "raw", ["yesterday", "2026-03-01", "2026-03-01T08:00:00", "", "2026-13-01T00:00:00Z"]
)
def test_since_refuses_anything_else_naming_the_parameter(app, raw):
    with app.test_request_context(f"/api/v1/x?since={raw}"), pytest.raises(BadRequest) as info:
        time_window()
    assert "“since”" in info.value.description


def test_until_must_be_after_since(app):
    query = "since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z"
    with app.test_request_context(f"/api/v1/x?{query}"), pytest.raises(BadRequest) as info:
        time_window()
    assert "“until”" in info.value.description


def test_the_window_filters_since_exclusive_until_inclusive_in_sql(app):
    from app.api.models import ApiToken
    from app.extensions import db
    from tests.api.conftest import make_token
    from tests.factories import make_org, make_user

    user = make_user(make_org().branch_a1)
    moments = [datetime(2026, 3, 1, hour, tzinfo=UTC) for hour in range(6)]
    for moment in moments:
        make_token(user, name=moment.isoformat(), now=moment)
    query = "since=2026-03-01T01:00:00Z&until=2026-03-01T04:00:00Z"
    with app.test_request_context(f"/api/v1/x?{query}"):
        window = time_window()
    kept = db.session.scalars(
        sa.select(ApiToken.created_at)
        .where(*window.clause(ApiToken.created_at))
        .order_by(ApiToken.created_at)
    ).all()
    assert kept == moments[2:5]


def test_json_datetimes_are_utc_with_z():
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert json_datetime(moment) == "2026-03-01T08:30:00Z"
    assert json_datetime(None) is None
