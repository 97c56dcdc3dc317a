"""Seats: a pool with a limit, and who holds a seat or waits for one. Used by registration, sessions, tours."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ascc.db import Base

ENTRY_STATUSES = ("confirmed", "waiting", "released")


class CapacityPool(Base):
    __tablename__ = "capacity_pool"

    # What the seats are for, e.g. "edition:3:in_person" or "course:12".
    key: Mapped[str] = mapped_column(String(80), unique=True)
    limit: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    next_sequence: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped by every claim and release: the UPDATE is what takes the lock (row lock on PostgreSQL,
    # the write lock on SQLite) before anything is counted.
    version: Mapped[int] = mapped_column(Integer, default=0)


class CapacityEntry(Base):
    __tablename__ = "capacity_entry"
    __table_args__ = (
        UniqueConstraint("pool_id", "holder", name="uq_capacity_entry_holder"),
        Index("ix_capacity_entry_queue", "pool_id", "status", "sequence"),
    )

    pool_id: Mapped[int] = mapped_column(ForeignKey("capacity_pool.id", ondelete="CASCADE"))
    holder: Mapped[str] = mapped_column(String(80))  # e.g. "registration:12"
    status: Mapped[str] = mapped_column(String(10))
    sequence: Mapped[int] = mapped_column(Integer)  # arrival order, for first-come, first-served
