"""What a session and a tour course look like in a calendar, in both languages. Pure.

UIDs depend only on the kind, the row and the site's host, so the personal feed and the per-item download
describe the same event and calendars merge them instead of doubling them. Business meetings are worded by
matching (matching.invitations), the network's by the network (network.offseason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ascc.ical import CalendarItem, bilingual, host_of, paragraphs, venue
from ascc.programme.schedule import Item

if TYPE_CHECKING:
    from ascc.editions.models import Edition


def session_item(
    item: Item, edition: Edition, base_url: str, *, seat: str | None = None, speaking: bool = False
) -> CalendarItem:
    """A published session. `seat` "waiting" makes it tentative; a cancelled session stays, cancelled."""
    room = bilingual(item.room.name_en, item.room.name_ja) if item.room else ""
    link = f"{base_url}/sessions/{item.id}"
    people = ", ".join(role.person.name for role in item.people)
    notes_en, notes_ja = [], []
    if speaking:
        notes_en.append("You speak in this session.")
        notes_ja.append("このセッションに登壇します。")
    if seat == "waiting":
        notes_en.append("You are on the waiting list.")
        notes_ja.append("キャンセル待ちです。")
    if item.format != "in_person":
        notes_en.append("Online participants follow it on the session page.")
        notes_ja.append("オンライン参加者はセッションページから視聴できます。")
    status = "CANCELLED" if item.status == "cancelled" else "TENTATIVE" if seat == "waiting" else "CONFIRMED"
    return CalendarItem(
        uid=f"session-{item.id}@{host_of(base_url)}",
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        summary=bilingual(item.title_en, item.title_ja),
        location=", ".join(p for p in (room, venue(edition)) if p),
        description=paragraphs(
            " ".join(notes_en),
            item.abstract_en,
            f"Speakers: {people}" if people else "",
            " ".join(notes_ja),
            item.abstract_ja,
            f"登壇者：{people}" if people else "",
            link,
        ),
        url=link,
        status=status,
        categories=("ASCC", item.kind, *(("speaker",) if speaking else ())),
    )


def course_item(
    course: Any, tour: Any, edition: Edition, base_url: str, *, seat: str | None = None
) -> CalendarItem:
    """A tour course from departure to return, starting at its meeting point."""
    link = f"{base_url}/tours#course-{course.id}"
    en = f"Site visit {course.code}: {course.theme_en}" if course.theme_en else f"Site visit {course.code}"
    ja = f"視察 {course.code}：{course.theme_ja}" if course.theme_ja else ""
    waiting = seat == "waiting"
    return CalendarItem(
        uid=f"tour-course-{course.id}@{host_of(base_url)}",
        starts_at=course.departs_at,
        ends_at=course.returns_at,
        summary=bilingual(en, ja),
        location=bilingual(course.meeting_point_en, course.meeting_point_ja) or venue(edition),
        description=paragraphs(
            "You are on the waiting list." if waiting else "",
            f"{tour.name_en}: meeting point {course.meeting_point_en}"
            if course.meeting_point_en
            else tour.name_en,
            course.description_en,
            course.accessibility_en,
            "キャンセル待ちです。" if waiting else "",
            f"{tour.name_ja}：集合場所 {course.meeting_point_ja}"
            if course.meeting_point_ja
            else tour.name_ja,
            course.description_ja,
            course.accessibility_ja,
            link,
        ),
        url=link,
        status="TENTATIVE" if waiting else "CONFIRMED",
        categories=("ASCC", "site_visit"),
    )
