"""The refusals of attempt actions; `app.assessment.attempts` raises them, views translate them."""

from __future__ import annotations

from typing import Any


class AttemptError(Exception):
    """A refused attempt action; `template % params` is the English message (N_-marked).

    `status` is the HTTP status the views answer with, `code` a stable word for JSON clients.
    """

    status = 400
    code = "invalid"

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The message in English, with its parameters filled in."""
        return self.template % self.params if self.params else self.template


class AttemptRefused(AttemptError):
    """A new attempt may not start now (limit reached, cool-down running, nothing to ask)."""

    status = 409
    code = "refused"


class AnswerRefused(AttemptError):
    """The answer does not fit the attempt or the question (a tampered form or a bad value)."""

    status = 400
    code = "invalid_answer"


class AttemptClosed(AttemptError):
    """The attempt was already submitted: answers can no longer change."""

    status = 409
    code = "submitted"


class AttemptExpired(AttemptError):
    """The time limit has passed; the attempt was graded on the answers saved in time."""

    status = 410
    code = "expired"
