"""Whether each of many assignments is done, as joins: the completion rule of
`app.tracking.completion_sql` (`AssignmentDone`) over the campaigns' own modules only.

For statements over whole campaigns (readiness, the tick's open assignments): two hash joins
against the completions that count of the campaigns' modules read each completion once,
where a test per assignment (`assignment_done_clause`, for a few assignments) probes them
again for every row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select, union

from app.campaigns.models import CampaignModule
from app.tracking.completion_sql import AssignmentDone, counting_completions


def _campaign_modules(campaign_clause: Callable[[Any], ColumnElement[bool]], *, full: bool) -> Any:
    """SELECT of the module ids of the campaign modules that meet `campaign_clause`: their
    modules and refreshers, or (`full`) only the full modules that have a refresher."""
    if full:
        return select(CampaignModule.module_id).where(
            campaign_clause(CampaignModule.campaign_id),
            CampaignModule.refresher_module_id.is_not(None),
        )
    return union(
        select(CampaignModule.module_id).where(campaign_clause(CampaignModule.campaign_id)),
        select(CampaignModule.refresher_module_id).where(
            campaign_clause(CampaignModule.campaign_id),
            CampaignModule.refresher_module_id.is_not(None),
        ),
    )


def campaigns_assignment_done(
    campaign_clause: Callable[[Any], ColumnElement[bool]], now: Any
) -> AssignmentDone:
    """The assignment-done joins for the campaigns that meet `campaign_clause` (a condition
    on a campaign id column), with the completions limited to those campaigns' modules."""
    return AssignmentDone(
        own=counting_completions(_campaign_modules(campaign_clause, full=False), now, name="valid"),
        full=counting_completions(
            _campaign_modules(campaign_clause, full=True), now, name="valid_full"
        ),
    )
