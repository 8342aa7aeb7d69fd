"""What every step of the campaigns' tick shares: the run's context, figures and messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Table
from sqlalchemy.orm import Session

from app.campaigns.links import LinkBuilder
from app.campaigns.models import Campaign
from app.campaigns.notices import Message, Recipient, load_recipients, send_messages
from app.campaigns.queries.modules import ModuleInfo, module_infos
from app.campaigns.scheduler import run_tables
from app.campaigns.sql import at
from app.timekeeping.clock import platform_zone
from app.timekeeping.days import local_date
from app.tracking.completion_sql import assignment_done_clause


@dataclass
class TickCounts:
    """What one run of the campaigns' tick did (all zero on a second run)."""

    activated: int = 0
    closed: int = 0
    assigned: int = 0
    rejoined: int = 0
    dropped: int = 0
    announced: int = 0
    reminders: int = 0
    digests: int = 0
    expiry_notices: int = 0
    notices: int = 0
    emails: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict (the tick's figures)."""
        return asdict(self)


class TickContext:
    """What every step needs: the session, the moment, the zone, links and recipients."""

    def __init__(self, session: Session, now: datetime, counts: TickCounts) -> None:
        self.session = session
        self.now = now
        self.counts = counts
        self.tz = platform_zone()
        self.default_language = current_app.config.get("BABEL_DEFAULT_LOCALE") or "fr"
        self.links = LinkBuilder()
        self._modules: dict[int, ModuleInfo] = {}
        self._names: dict[tuple[int, str], str] = {}
        self._shared: dict[tuple[Any, ...], tuple[str, list[str], str | None, str | None]] = {}
        # Run table -> the campaign it holds now (see `run_tables`).
        self._filled: dict[str, int] = {}

    def campaign_name(self, campaign: Campaign, language: str) -> str:
        """A campaign's name in a language (remembered: asked once per message)."""
        key = (campaign.id, language)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = campaign.name_in(language)
        return name

    def modules(self, ids: Iterable[int]) -> dict[int, ModuleInfo]:
        """Module slugs and titles, loaded once per run."""
        missing = set(ids) - set(self._modules)
        if missing:
            self._modules.update(module_infos(self.session, missing))
        return self._modules

    def recipients(self, user_ids: Iterable[int]) -> dict[int, Recipient]:
        """Active people with their language and channel."""
        return load_recipients(self.session, user_ids, self.default_language)

    def send(
        self, messages: list[Message], recipients: dict[int, Recipient], *, claimed: bool = True
    ) -> None:
        """Insert notices and queue e-mails; count them."""
        notices, emails = send_messages(
            self.session, messages, recipients, self.now, self.links, claimed=claimed
        )
        self.counts.notices += notices
        self.counts.emails += emails

    def done_clause(self, assignment: Any, cm: Any, campaign: Campaign) -> Any:
        """SQL: the assignment counts as done (see `assignment_done_clause`)."""
        return assignment_done_clause(assignment, cm, at(campaign.assign_at), self.now)

    def open_assignments(self, campaign: Campaign) -> Table:
        """The campaign's open assignments (live, required, dated, not done) as a table,
        worked out on first use in this run and read by reminders and digests alike:
        assignment_id, user_id, unit_id, module_id, position (of the campaign module), due_at,
        assigned_at."""
        return self._run_table(
            run_tables.OPEN_ASSIGNMENTS,
            campaign,
            lambda: run_tables.open_assignments_rows(self.now, campaign),
        )

    def audience(self, campaign: Campaign) -> Table:
        """The campaign's audience now (user_id, unit_id) as a table, worked out on first use
        in this run and read by newcomers, returners and leavers alike."""
        return self._run_table(
            run_tables.AUDIENCE, campaign, lambda: run_tables.audience_rows(campaign)
        )

    def _run_table(self, table: Table, campaign: Campaign, rows: Callable[[], Any]) -> Table:
        """`table` holding `rows()` for `campaign`, filled on first use in this run."""
        if self._filled.get(table.name) != campaign.id:
            run_tables.fill(self.session, table, rows())
            self._filled[table.name] = campaign.id
        return table

    def close(self) -> None:
        """Drop what the run made in the database for itself (before its commit)."""
        for table in (run_tables.OPEN_ASSIGNMENTS, run_tables.AUDIENCE):
            if self._filled.pop(table.name, None) is not None:
                run_tables.drop(self.session, table)

    def learner_message(
        self,
        campaign: Campaign,
        recipient: Recipient,
        kind: str,
        module_ids: list[int],
        due_at: datetime | None,
        *,
        key: str,
        extra: dict[str, Any],
    ) -> Message:
        """A message to a learner about some modules of a campaign (listed in the e-mail)."""
        language = recipient.language
        shared = self._shared.get((campaign.id, language, tuple(module_ids), due_at))
        if shared is None:
            shared = self._share(campaign, language, module_ids, due_at)
        name, titles, url, due = shared
        params = {
            "campaign_id": campaign.id,
            "campaign": name,
            "modules": titles,
            "due": due,
            **extra,
        }
        return Message(
            user_id=recipient.id,
            kind=kind,
            params=params,
            url=url,
            dedupe_key=key,
            email_lines=titles,
        )

    def _share(
        self, campaign: Campaign, language: str, module_ids: list[int], due_at: datetime | None
    ) -> tuple[str, list[str], str | None, str | None]:
        """What every learner message with these modules and due date in this language shares
        (campaign name, titles, link, local due day), worked out once per run: a launch writes
        50,000 messages from a handful of such combinations."""
        infos = self.modules(module_ids)
        titles = [infos[m].title_in(language) for m in module_ids if m in infos]
        first = infos.get(module_ids[0]) if module_ids else None
        url = self.links.url("content.module_page", slug=first.slug) if first else None
        due = local_date(due_at, self.tz).isoformat() if due_at else None
        shared = (self.campaign_name(campaign, language), titles, url, due)
        self._shared[(campaign.id, language, tuple(module_ids), due_at)] = shared
        return shared
