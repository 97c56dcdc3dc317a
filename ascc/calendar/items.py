"""What a session, a tour course and a business meeting look like in a calendar, in both languages. Pure.

UIDs depend only on the kind, the row and the site's host, so the personal feed, the per-item download
and a meeting invitation all describe the same event and calendars merge them instead of doubling them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ascc.calendar.ical import Attendee, CalendarItem, bilingual
from ascc.programme.schedule import Item


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "ascc.local"


def venue(edition: Any) -> str:
    """ "Pacifico Yokohama North, 1-1-2 Minatomirai ..." in English, then Japanese when it differs."""
    en = ", ".join(p for p in (edition.venue_name_en, edition.venue_address_en) if p)
    ja = "、".join(p for p in (edition.venue_name_ja, edition.venue_address_ja) if p)
    return bilingual(en, ja)


def _paragraphs(*parts: str) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def session_item(
    item: Item, edition: Any, base_url: str, *, seat: str | None = None, speaking: bool = False
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
        description=_paragraphs(
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
    course: Any, tour: Any, edition: Any, base_url: str, *, seat: str | None = None
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
        description=_paragraphs(
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


def meeting_item(
    *,
    meeting_id: int,
    base_url: str,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    place_en: str,
    place_ja: str,
    video_url: str | None,
    parties: tuple[tuple[Attendee, str], ...],  # each person and their organization
    edition: Any,
) -> CalendarItem:
    """A business meeting between two parties: a table at the venue, or an online room."""
    link = f"{base_url}/matching/meetings/{meeting_id}"
    names, who = _parties(parties)
    location = (
        video_url if video_url else ", ".join(p for p in (bilingual(place_en, place_ja), venue(edition)) if p)
    )
    return CalendarItem(
        uid=f"meeting-{meeting_id}@{host_of(base_url)}",
        starts_at=starts_at,
        ends_at=ends_at,
        summary=f"Business meeting / 商談: {names}",
        location=location,
        description=_paragraphs(
            f"Business meeting at {place_en}" if place_en else "Business meeting",
            f"商談：{place_ja}" if place_ja else "",
            who,
            f"Video room / ビデオ会議: {video_url}" if video_url else "",
            link,
        ),
        url=link,
        status="CANCELLED" if cancelled else "CONFIRMED",
        categories=("ASCC", "business_meeting"),
        attendees=tuple(person for person, _ in parties),
    )


def network_meeting_item(
    *,
    meeting_id: int,
    base_url: str,
    path: str,
    room_path: str,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    parties: tuple[tuple[Attendee, str], ...],  # each person and their organization
) -> CalendarItem:
    """An online meeting of two members of the year-round network, outside the conference days. Its location
    is the meeting's join page (`room_path`), which checks who asks and when: the room's own address is never
    written into a calendar."""
    link, room = f"{base_url}{path}", f"{base_url}{room_path}"
    names, who = _parties(parties)
    return CalendarItem(
        uid=f"network-meeting-{meeting_id}@{host_of(base_url)}",
        starts_at=starts_at,
        ends_at=ends_at,
        summary=f"ASCC network meeting / ネットワーク面談: {names}",
        location=room,
        description=_paragraphs(
            "Online meeting of the Asia Smart City Alliance network.",
            "アジア・スマートシティ・アライアンスのネットワークでのオンライン面談です。",
            who,
            f"Video room / ビデオ会議: {room}",
            link,
        ),
        url=link,
        status="CANCELLED" if cancelled else "CONFIRMED",
        categories=("ASCC", "network_meeting"),
        attendees=tuple(person for person, _ in parties),
    )


def _parties(parties: tuple[tuple[Attendee, str], ...]) -> tuple[str, str]:
    """ "A × B" for the summary, and one line per person with their organization for the description."""
    names = " × ".join(person.name for person, _ in parties)
    who = "\n".join(f"{person.name} ({org})" if org else person.name for person, org in parties)
    return names, who
