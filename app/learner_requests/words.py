"""The words of requests: kinds, states and the notice/e-mail sent when a request changes.

A notice stores only `params` (the request's kind, subject, new state, whether answered); the
sentences are translated when the notice is shown or the e-mail written, in the reader's or
the recipient's language.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.learner_requests.models import ReportStatus, RequestKind

NOTICE_KIND = "request"

KIND_LABELS = {
    RequestKind.PROBLEM: _l("Problem in a module"),
    RequestKind.NEW_MODULE: _l("Request for a new module"),
    RequestKind.QUESTION: _l("Question to the trainers"),
}

_STATUS_LABELS = {
    ReportStatus.RECEIVED: _l("Received"),
    ReportStatus.IN_PROGRESS: _l("In progress"),
    ReportStatus.HANDLED: _l("Handled"),
}


def status_label(status: ReportStatus | str, kind: RequestKind | str | None = None) -> str:
    """The name of a state; the last step of a question reads "Answered"."""
    status = ReportStatus(status)
    if status == ReportStatus.HANDLED and kind == RequestKind.QUESTION:
        return gettext("Answered")
    return str(_STATUS_LABELS[status])


def status_choices(kind: RequestKind | str | None = None) -> list[tuple[str, str]]:
    """(value, label) of every state, in the order a request goes through them."""
    return [(status.value, status_label(status, kind)) for status in ReportStatus]


class RequestWords:
    """Notice and e-mail sentences of the `request` message kind (registered with campaigns'
    phrases, so requests use the same bell, outbox and e-mail template)."""

    @staticmethod
    def summary(params: dict[str, Any]) -> str:
        """The notice text and the e-mail subject."""
        subject = params.get("subject", "")
        if params.get("answered"):
            return gettext("The trainers answered your request “%(subject)s”", subject=subject)
        status = params.get("status") or ReportStatus.RECEIVED.value
        return gettext(
            "Your request “%(subject)s” is now: %(status)s",
            subject=subject,
            status=status_label(status, params.get("kind")),
        )

    @staticmethod
    def intro(params: dict[str, Any]) -> str:
        """The opening paragraph of the e-mail (the answer, if any, follows as its lines)."""
        subject = params.get("subject", "")
        status = status_label(
            params.get("status") or ReportStatus.RECEIVED.value, params.get("kind")
        )
        if params.get("answered"):
            return gettext(
                "The trainers answered your request “%(subject)s” (now: %(status)s). Their answer:",
                subject=subject,
                status=status,
            )
        return gettext(
            "Your request “%(subject)s” has moved on. It is now: %(status)s.",
            subject=subject,
            status=status,
        )

    @staticmethod
    def link_label(params: dict[str, Any]) -> str:
        """The words of the e-mail's one link."""
        return gettext("See your request and its timeline")
