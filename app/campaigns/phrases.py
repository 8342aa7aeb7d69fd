"""The words of every campaign message, shared by e-mails and in-app notices.

A message is a `kind` and plain `params` (names already in the recipient's language); the
sentences are translated when the message is shown or the e-mail is written, in the locale
that is active then (the reader's, or the recipient's under `force_locale`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext, ngettext

from app.i18n.formatting import format_date

# Other features' notice kinds (same bell, same outbox): kind -> an object with
# `summary(params)`, `intro(params)` and `link_label(params)`, added by `register_kind`.
_FEATURE_KINDS: dict[str, Any] = {}


def register_kind(kind: str, words: Any) -> None:
    """Let another feature word the notices and e-mails of its own message kind."""
    _FEATURE_KINDS[kind] = words


class Kind:
    """The kinds of campaign messages."""

    ASSIGNED = "assigned"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    DIGEST = "digest"
    EXPIRY = "expiry"


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return format_date(date.fromisoformat(value), format="long")
    except ValueError:
        return value


def summary(kind: str, params: dict[str, Any]) -> str:
    """One sentence: the e-mail subject and the notice text."""
    if kind in _FEATURE_KINDS:
        return str(_FEATURE_KINDS[kind].summary(params))
    campaign = params.get("campaign", "")
    due = _date(params.get("due"))
    if kind == Kind.ASSIGNED:
        if due:
            return gettext(
                "New training for “%(campaign)s”, due %(due)s", campaign=campaign, due=due
            )
        return gettext("New training for “%(campaign)s”", campaign=campaign)
    if kind == Kind.REMINDER:
        return gettext("Reminder: “%(campaign)s” is due on %(due)s", campaign=campaign, due=due)
    if kind == Kind.OVERDUE:
        return gettext("Overdue: “%(campaign)s” was due on %(due)s", campaign=campaign, due=due)
    if kind == Kind.DIGEST:
        return ngettext(
            "“%(campaign)s”: %(num)d person in your units is behind",
            "“%(campaign)s”: %(num)d people in your units are behind",
            int(params.get("count", 0)),
            campaign=campaign,
        )
    if kind == Kind.EXPIRY:
        return gettext(
            "Your completion of “%(module)s” expires on %(date)s",
            module=params.get("module", ""),
            date=_date(params.get("expires")),
        )
    return gettext("Notice")


def intro(kind: str, params: dict[str, Any]) -> str:
    """The opening paragraph of an e-mail."""
    if kind in _FEATURE_KINDS:
        return str(_FEATURE_KINDS[kind].intro(params))
    campaign = params.get("campaign", "")
    due = _date(params.get("due"))
    if kind == Kind.ASSIGNED:
        if due:
            return gettext(
                "You have been asked to complete the following training for the campaign"
                " “%(campaign)s” by %(due)s:",
                campaign=campaign,
                due=due,
            )
        return gettext(
            "The following training is recommended for the campaign “%(campaign)s”:",
            campaign=campaign,
        )
    if kind == Kind.REMINDER:
        return ngettext(
            "Please complete the following training for “%(campaign)s” by %(due)s"
            " (%(num)d day left):",
            "Please complete the following training for “%(campaign)s” by %(due)s"
            " (%(num)d days left):",
            int(params.get("days", 0)),
            campaign=campaign,
            due=due,
        )
    if kind == Kind.OVERDUE:
        return gettext(
            "The following training for “%(campaign)s” was due on %(due)s and is still open:",
            campaign=campaign,
            due=due,
        )
    if kind == Kind.DIGEST:
        return gettext(
            "These people in your units have not yet completed the required training for"
            " “%(campaign)s” (due %(due)s):",
            campaign=campaign,
            due=due,
        )
    if kind == Kind.EXPIRY:
        return gettext(
            "Your completion of “%(module)s” stops counting on %(date)s. Do the module again"
            " before then to stay ready.",
            module=params.get("module", ""),
            date=_date(params.get("expires")),
        )
    return ""


def link_label(kind: str, params: dict[str, Any]) -> str:
    """The words of the message's one link."""
    if kind in _FEATURE_KINDS:
        return str(_FEATURE_KINDS[kind].link_label(params))
    if kind in (Kind.ASSIGNED, Kind.REMINDER, Kind.OVERDUE):
        modules = params.get("modules") or []
        if modules:
            return gettext("Start with “%(module)s”", module=modules[0])
        return gettext("Open my learning")
    if kind == Kind.DIGEST:
        return gettext("See the campaign")
    return gettext("Open the module")


def digest_lines(params: dict[str, Any]) -> list[str]:
    """The people of a digest, one line each: name, unit, what is missing."""
    lines = []
    for name, unit, missing in params.get("people", []):
        lines.append(
            ngettext(
                "%(name)s (%(unit)s): %(num)d module missing",
                "%(name)s (%(unit)s): %(num)d modules missing",
                int(missing),
                name=name,
                unit=unit,
            )
        )
    more = int(params.get("more", 0))
    if more:
        lines.append(ngettext("and %(num)d more person", "and %(num)d more people", more))
    return lines
