"""The completion rules, as pure functions: pages, quiz, versions, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.tracking.completion import (
    EXPIRING_SOON,
    CompletionStatus,
    Progress,
    completion_status,
    expiry_of,
    is_module_complete,
    is_out_of_date,
    pages_complete,
    progress_from_counts,
    progress_of,
)

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FR_DE = {1: {10, 11, 12}, 2: {20, 21}}  # variant 1 (fr) has 3 pages, variant 2 (de) has 2


def test_all_pages_of_one_variant_make_the_pages_complete():
    assert pages_complete(FR_DE, {10, 11, 12})
    assert pages_complete(FR_DE, {20, 21})


def test_pages_of_different_variants_do_not_add_up():
    assert not pages_complete(FR_DE, {10, 11, 21})
    assert not pages_complete(FR_DE, {10, 20})


def test_a_version_without_pages_is_never_complete():
    assert not pages_complete({}, set())
    assert not pages_complete({1: set()}, set())


def test_progress_is_the_best_variant():
    assert progress_of(FR_DE, {10}) == Progress(1, 3)
    assert progress_of(FR_DE, {10, 20}) == Progress(1, 2)  # half of German beats a third
    assert progress_of(FR_DE, {20, 21}).percent == 100
    assert progress_of({}, set()) == Progress(0, 0)
    assert Progress(0, 0).percent == 0


def test_progress_from_counts_prefers_more_pages_on_equal_shares():
    assert progress_from_counts([(1, 2), (2, 4)]) == Progress(2, 4)
    assert progress_from_counts([(0, 3), (0, 2)]).seen == 0
    assert progress_from_counts([]) == Progress(0, 0)


@pytest.mark.parametrize(
    ("seen", "has_quiz", "passed", "complete"),
    [
        ({10, 11, 12}, False, False, True),
        ({10, 11}, False, False, False),
        ({10, 11, 12}, True, False, False),
        ({10, 11, 12}, True, True, True),
        ({10, 11}, True, True, False),  # passing the quiz does not replace reading
    ],
)
def test_completion_needs_every_page_and_the_quiz_where_there_is_one(
    seen, has_quiz, passed, complete
):
    assert (
        is_module_complete(
            variant_pages=FR_DE, seen_pages=seen, has_quiz=has_quiz, quiz_passed=passed
        )
        is complete
    )


def test_validity_days_give_the_expiry():
    assert expiry_of(NOW, 365) == NOW + timedelta(days=365)
    assert expiry_of(NOW, None) is None
    assert expiry_of(NOW, 0) is None


def test_a_major_version_makes_earlier_completions_out_of_date_a_minor_does_not():
    # Versions: 1 (first), 2 minor, 3 major.
    assert not is_out_of_date(1, None)  # only minor versions ever
    assert not is_out_of_date(2, 1)
    assert is_out_of_date(1, 3) and is_out_of_date(2, 3)
    assert not is_out_of_date(3, 3)
    assert not is_out_of_date(4, 3)  # a minor version after the major one


def status(version=1, expires_at=None, major=None, now=NOW):
    return completion_status(
        version_number=version, expires_at=expires_at, latest_major_number=major, now=now
    )


def test_status_without_expiry_stays_valid():
    assert status() == CompletionStatus.VALID
    assert status().counts


def test_status_expiring_soon_within_thirty_days_still_counts():
    assert status(expires_at=NOW + EXPIRING_SOON) == CompletionStatus.EXPIRING_SOON
    assert status(expires_at=NOW + timedelta(days=1)).counts
    assert status(expires_at=NOW + timedelta(days=31)) == CompletionStatus.VALID


def test_expired_completions_no_longer_count():
    assert status(expires_at=NOW) == CompletionStatus.EXPIRED
    assert not status(expires_at=NOW - timedelta(seconds=1)).counts


def test_out_of_date_wins_over_expiry_and_does_not_count():
    result = status(version=1, expires_at=NOW + timedelta(days=300), major=2)
    assert result == CompletionStatus.OUT_OF_DATE
    assert not result.counts
