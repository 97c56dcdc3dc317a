"""The one table of uploaded files; domains point at it with a foreign key."""

from __future__ import annotations

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ascc.db import Base


class StoredFile(Base):
    """A speaker photo, slide file, exhibitor logo or brochure. The bytes load only when asked for."""

    __tablename__ = "stored_file"

    token: Mapped[str] = mapped_column(String(43), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
