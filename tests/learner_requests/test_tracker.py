"""The parcel tracker of a request: steps, dates, skipped and reopened steps (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.learner_requests.tracker import tracker_steps

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _view(steps):
    return [(s.status, s.reached_at, s.is_done, s.is_current) for s in steps]


def test_a_new_request_is_received_with_its_date_and_nothing_after():
    steps = tracker_steps("received", [("received", T0)])
    assert _view(steps) == [
        ("received", T0, True, True),
        ("in_progress", None, False, False),
        ("handled", None, False, False),
    ]


def test_each_step_keeps_the_date_it_was_reached():
    day = timedelta(days=1)
    steps = tracker_steps(
        "handled", [("received", T0), ("in_progress", T0 + day), ("handled", T0 + 2 * day)]
    )
    assert [s.reached_at for s in steps] == [T0, T0 + day, T0 + 2 * day]
    assert [s.is_current for s in steps] == [False, False, True]
    assert all(s.is_done for s in steps)


def test_a_step_passed_over_counts_as_done_without_a_date():
    steps = tracker_steps("handled", [("received", T0), ("handled", T0 + timedelta(hours=2))])
    assert _view(steps)[1] == ("in_progress", None, True, False)


def test_a_reopened_request_shows_the_later_steps_open_again():
    day = timedelta(days=1)
    changes = [("received", T0), ("handled", T0 + day), ("received", T0 + 2 * day)]
    steps = tracker_steps("received", changes)
    assert _view(steps) == [
        ("received", T0 + 2 * day, True, True),
        ("in_progress", None, False, False),
        ("handled", None, False, False),
    ]
