"""Cross-feature events: plain, typed facts one feature announces and others react to.

Each event carries what its receivers need, so a receiver never reads the announcing
feature's tables. Events are frozen dataclasses of plain values (no ORM objects), passed with
the open session to the receivers of the matching hook in `app.platform.hooks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PageRead:
    """A learner opened a page of a module version (announced by the content reader)."""

    user_id: int
    module_id: int
    version_id: int
    page_id: int
    language: str
    at: datetime
