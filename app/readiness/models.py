"""Daily readiness snapshots per campaign and unit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, utcnow


class ReadinessSnapshot(Base):
    """What the readiness of a unit (its whole subtree) was on one day of a campaign.

    Taken once a day by `flask campaigns tick` with one INSERT ... SELECT; the unique key makes
    a second run the same day a no-op, so trends stay true to what was known on each day.
    """

    __tablename__ = "readiness_snapshots"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    assigned: Mapped[int] = mapped_column(Integer)
    ready: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
