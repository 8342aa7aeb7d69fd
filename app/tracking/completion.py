"""The completion rules: when a module counts as done, until when, and for which versions.

Pure: no Flask, no database; the operations and queries feed it plain values.

- A module version is complete when every page of one of its language variants has been seen
  (in the current cycle: after a completion, a redo starts from nothing) and, where the module
  has a quiz, an attempt was passed in that cycle.
- An attestation (a policy text, `Module.kind`) is complete only when, besides, the learner
  confirmed that very version by re-authenticating (app/attestations): reading alone never
  completes it. A later major version makes the confirmation out of date like any completion,
  so everyone is asked to confirm again.
- A completion of version n stops counting as soon as a *major* version m > n is published
  (learners must redo the module); minor versions leave it valid (it counts for them too).
- A version may say its completion is valid for N days: it expires N days after completion
  and no longer counts; within `EXPIRING_SOON` of that the learner is told.
- A completion made on an out-of-date translation counts (`pages_complete` accepts any variant): the
  learner read what was published in their language and passed the quiz, which is written
  against the up-to-date source. The reader marks such pages and links the source language;
  trainers and campaigns are warned until the translation is brought up to date. This is the
  one home of that decision: pages and messages read `STALE_TRANSLATION_RULE` from here.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.i18n.markers import N_

EXPIRING_SOON = timedelta(days=30)
STALE_TRANSLATION_RULE = N_(
    "A completion on an out-of-date translation counts. Learners see a warning on every page"
    " with a link to the up-to-date source language, and the quiz checks the up-to-date content."
)


def pages_complete(variant_pages: Mapping[int, Collection[int]], seen: Collection[int]) -> bool:
    """Tell whether every page of at least one language variant has been seen."""
    seen_set = set(seen)
    return any(pages and set(pages) <= seen_set for pages in variant_pages.values())


@dataclass(frozen=True)
class Progress:
    """How far a learner got in a version: pages seen of the best variant's pages."""

    seen: int
    total: int

    @property
    def percent(self) -> int:
        """Return the share seen as a whole percentage (0 when the version has no pages)."""
        return int(100 * self.seen / self.total) if self.total else 0


def progress_of(variant_pages: Mapping[int, Collection[int]], seen: Collection[int]) -> Progress:
    """Return the progress in the variant the learner is furthest along in."""
    seen_set = set(seen)
    return progress_from_counts(
        (len(set(pages) & seen_set), len(pages)) for pages in variant_pages.values()
    )


def progress_from_counts(counts: Iterable[tuple[int, int]]) -> Progress:
    """Return the best progress from (seen, total) pairs, one per language variant.

    Best is the highest share seen; on equal shares, the variant with more pages seen.
    """
    best = Progress(0, 0)
    for seen, total in counts:
        if total <= 0:
            continue
        if best.total == 0:
            best = Progress(seen, total)
            continue
        left, right = seen * best.total, best.seen * total
        if left > right or (left == right and seen > best.seen):
            best = Progress(seen, total)
    return best


def is_module_complete(
    *,
    variant_pages: Mapping[int, Collection[int]],
    seen_pages: Collection[int],
    has_quiz: bool,
    quiz_passed: bool,
    needs_confirmation: bool = False,
    is_confirmed: bool = False,
) -> bool:
    """Apply the completion rule: one variant read, quiz passed, attestation confirmed (if any)."""
    return (
        pages_complete(variant_pages, seen_pages)
        and (quiz_passed or not has_quiz)
        and (is_confirmed or not needs_confirmation)
    )


def expiry_of(completed_at: datetime, valid_days: int | None) -> datetime | None:
    """Return when a completion stops counting (None: it never expires)."""
    if valid_days is None or valid_days <= 0:
        return None
    return completed_at + timedelta(days=valid_days)


def is_out_of_date(version_number: int, latest_major_number: int | None) -> bool:
    """Tell whether a later major version makes a completion of `version_number` out of date."""
    return latest_major_number is not None and latest_major_number > version_number


class CompletionStatus(enum.StrEnum):
    """Where a completion stands at a given moment."""

    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    OUT_OF_DATE = "out_of_date"

    @property
    def counts(self) -> bool:
        """Tell whether a completion in this state counts (for readiness, for "done")."""
        return self in (CompletionStatus.VALID, CompletionStatus.EXPIRING_SOON)


def completion_status(
    *,
    version_number: int,
    expires_at: datetime | None,
    latest_major_number: int | None,
    now: datetime,
    soon: timedelta = EXPIRING_SOON,
) -> CompletionStatus:
    """Return the status of a completion at `now` (out of date wins over expiry)."""
    if is_out_of_date(version_number, latest_major_number):
        return CompletionStatus.OUT_OF_DATE
    if expires_at is not None and expires_at <= now:
        return CompletionStatus.EXPIRED
    if expires_at is not None and expires_at - now <= soon:
        return CompletionStatus.EXPIRING_SOON
    return CompletionStatus.VALID


def may_do_assignment(
    *, is_refresher: bool, completed_at: datetime, campaign_assign_at: datetime
) -> bool:
    """Tell whether a completion (if it counts) may do a campaign's assignment.

    Any completion does a full module; a refresher is given *because* the person completed
    the full module before, so only a completion from the campaign's assignment date on does
    it. The SQL form is `app.tracking.completion_sql.may_do_assignment`.
    """
    return not is_refresher or completed_at >= campaign_assign_at
