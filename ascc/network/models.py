"""The year-round network: who chose to stay in the directory between editions."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base


class NetworkMember(Base):
    """A participant's own choice to stay in the network (and so to keep their data past retention).

    Leaving sets `left_at`; the row stays as the record of the choice and its dates.
    """

    __tablename__ = "network_member"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    joined_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    headline: Mapped[str] = mapped_column(String(300), default="")  # a line under the name in the directory
    interests: Mapped[str] = mapped_column(Text, default="")
