"""The sizes `flask demo generate` builds, and the shared facts of one generation run."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Size:
    """How big a generated network is: people, branches, regions, modules and campaigns."""

    name: str
    people: int
    branches: int
    regions: int
    modules: int
    campaigns: int
    providers: int = 3


SIZES: dict[str, Size] = {
    size.name: size
    for size in (
        Size("XS", people=50, branches=3, regions=2, modules=12, campaigns=6),
        Size("S", people=500, branches=20, regions=3, modules=300, campaigns=40),
        Size("M", people=5_000, branches=200, regions=8, modules=300, campaigns=40),
        Size("L", people=50_000, branches=1_000, regions=26, modules=300, campaigns=40),
    )
}

# Every generated account's hr_number starts with this; the benchmark finds its log-ins by it.
HR_PREFIX = "GEN-"
EMAIL_DOMAIN = "generated.example.org"  # reserved (RFC 2606): no mail can reach anyone
# One password for every generated account (hashed once): these accounts are for measuring.
PASSWORD = "counter-ready-scale"
YEARS = 3  # the learning history spans three years up to today


@dataclass
class Run:
    """What every part of one generation shares: the size, the random source and the clock."""

    size: Size
    rng: random.Random
    # The history ends here (start of today): the same seed the same day gives the same data.
    now: datetime
    tz: ZoneInfo
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        """Return when the history begins (three years before `now`)."""
        return self.now - timedelta(days=365 * YEARS)

    def moment_between(self, first: datetime, last: datetime) -> datetime:
        """Return a random moment between two moments (whole minutes)."""
        span = max(0, int((last - first).total_seconds() // 60))
        return first + timedelta(minutes=self.rng.randint(0, span))
