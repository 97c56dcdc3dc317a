"""Everything held about one person, from every domain, as JSON they (or an organizer for them) can read.

The account, registrations with answers and consents, and mail come first (`export_my_data`), then every
other domain. Other people appear only as what the person needs to recognise an entry (a company's
name, a session's title), never by name or address; ID numbers are never decrypted here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from ascc import clock
from ascc.accounts import services as accounts
from ascc.badges.models import CheckIn
from ascc.exhibitors.models import Exhibitor, Lead
from ascc.mail import services as mail
from ascc.matching.models import MatchingProfile, Meeting
from ascc.messages import services as messages
from ascc.network.models import NetworkMeeting, NetworkMember
from ascc.online.models import LiveQuestion, ViewingMinute
from ascc.privacy.models import NoticeAcceptance, NoticeVersion
from ascc.programme import feedback
from ascc.programme.models import AgendaEntry, ProgrammeSession
from ascc.registration import visa
from ascc.registration.consents import CONSENTS
from ascc.registration.models import Registration
from ascc.tours.models import Booking, Course, Preference, Tour


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def _titles(session: AsyncSession, session_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not session_ids:
        return {}
    rows = await session.scalars(select(ProgrammeSession).where(ProgrammeSession.id.in_(session_ids)))
    return {
        s.id: {
            "edition_id": s.edition_id,
            "title_en": s.title_en,
            "title_ja": s.title_ja,
            "starts_at": _iso(s.starts_at),
        }
        for s in rows.all()
    }


async def _exhibitor_names(session: AsyncSession, exhibitor_ids: set[int]) -> dict[int, str]:
    if not exhibitor_ids:
        return {}
    rows = await session.scalars(
        select(Exhibitor).where(Exhibitor.id.in_(exhibitor_ids)).options(joinedload(Exhibitor.organization))
    )
    return {e.id: e.organization.name_en for e in rows.all()}


async def export_my_data(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """The account, its registrations and the mail sent to it, as the person can read them (GDPR/APPI-style
    access and portability); `person_export` adds every other domain."""
    user = await accounts.get_user(session, user_id)
    registrations = (
        await session.scalars(
            select(Registration)
            .where(Registration.user_id == user_id)
            .options(joinedload(Registration.organization))
        )
    ).all()
    messages = await mail.messages_to(session, user.email)
    return {
        "exported_at": clock.now().isoformat(),
        "account": {
            "email": user.email,
            "name_latin": user.name_latin,
            "name_local": user.name_local,
            "organization": user.organization.name_en if user.organization else None,
            "country": user.country,
            "preferred_lang": user.preferred_lang,
            "role": user.role,
            "created_at": user.created_at.isoformat(),
            "email_verified_at": user.email_verified_at.isoformat() if user.email_verified_at else None,
        },
        "registrations": [
            {
                "reference": r.reference,
                "edition_id": r.edition_id,
                "status": r.status,
                "mode": r.mode,
                "category": r.category,
                "organization": r.organization.name_en if r.organization else None,
                "position": r.position,
                "country": r.country,
                "city": r.city,
                "interpretation": r.interpretation,
                "dietary": r.dietary,
                "accessibility": r.accessibility,
                "interests": r.interests,
                "answers": r.answers,
                "consents": {name.removeprefix("consent_"): getattr(r, name) for name in CONSENTS},
                "privacy_version": r.privacy_version,
                "privacy_accepted_at": r.privacy_accepted_at.isoformat(),
                "created_at": r.created_at.isoformat(),
            }
            for r in registrations
        ],
        "mail": [
            {"subject": m.subject, "status": m.status, "queued_at": m.created_at.isoformat()}
            for m in messages
        ],
    }


async def person_export(session: AsyncSession, user_id: int, for_organizer: bool = False) -> dict[str, Any]:
    """The registration export (account, registrations and answers, consents, mail) and every other domain.
    An organizer's copy (`for_organizer`) lists with whom the person wrote and how many messages, not their
    text: organizers read a conversation only once it is reported (messages.read_reported, audited)."""
    data = await export_my_data(session, user_id)
    registration_ids = list(
        (await session.scalars(select(Registration.id).where(Registration.user_id == user_id))).all()
    )

    agenda = (await session.scalars(select(AgendaEntry).where(AgendaEntry.user_id == user_id))).all()
    questions = (await session.scalars(select(LiveQuestion).where(LiveQuestion.user_id == user_id))).all()
    viewing = (
        (
            await session.execute(
                select(
                    ViewingMinute.session_id,
                    func.count(ViewingMinute.id),
                    func.min(ViewingMinute.minute),
                    func.max(ViewingMinute.minute),
                )
                .where(ViewingMinute.user_id == user_id)
                .group_by(ViewingMinute.session_id)
            )
        )
        .tuples()
        .all()
    )
    titles = await _titles(
        session, {a.session_id for a in agenda} | {q.session_id for q in questions} | {v[0] for v in viewing}
    )
    data["agenda"] = [
        {
            **titles.get(a.session_id, {}),
            "session_id": a.session_id,
            "signed_up": a.signed_up,
            "saved_at": _iso(a.created_at),
        }
        for a in agenda
    ]
    data["questions_asked"] = [
        {
            **titles.get(q.session_id, {}),
            "session_id": q.session_id,
            "question": q.body,
            "shown_as": "" if q.anonymous else q.author,
            "anonymous": q.anonymous,
            "status": q.status,
            "answer": q.answer,
            "asked_at": _iso(q.created_at),
        }
        for q in questions
    ]
    rated = await feedback.export_of(session, user_id)
    rated_titles = await _titles(session, {r["session_id"] for r in rated})
    data["session_feedback"] = [{**rated_titles.get(r["session_id"], {}), **r} for r in rated]
    data["viewing_minutes"] = [
        {**titles.get(sid, {}), "session_id": sid, "minutes": count, "first": _iso(first), "last": _iso(last)}
        for sid, count, first, last in viewing
    ]

    bookings = (
        (
            await session.execute(
                select(Booking, Course, Tour)
                .join(Course, Course.id == Booking.course_id)
                .join(Tour, Tour.id == Course.tour_id)
                .where(Booking.user_id == user_id)
            )
        )
        .tuples()
        .all()
    )
    data["tour_bookings"] = [
        {
            "edition_id": tour.edition_id,
            "tour": tour.code,
            "course": course.code,
            "theme_en": course.theme_en,
            "theme_ja": course.theme_ja,
            "departs_at": _iso(course.departs_at),
            "active": booking.active,
            "id_number_on_file": booking.id_document is not None,
            "present": booking.present,
            "booked_at": _iso(booking.created_at),
        }
        for booking, course, tour in bookings
    ]
    preferences = (
        (
            await session.execute(
                select(Preference, Course)
                .join(Course, Course.id == Preference.course_id)
                .where(Preference.user_id == user_id)
            )
        )
        .tuples()
        .all()
    )
    data["tour_preferences"] = [{"course": c.code, "rank": p.rank} for p, c in preferences]
    data["visa_letters"] = await visa.export_of(session, user_id)

    profiles = (
        await session.scalars(select(MatchingProfile).where(MatchingProfile.user_id == user_id))
    ).all()
    data["matching_profiles"] = [
        {
            "edition_id": p.edition_id,
            "sectors": p.sectors,
            "offers": p.offers,
            "seeks": p.seeks,
            "formats": p.formats,
        }
        for p in profiles
    ]
    meetings = (
        await session.scalars(
            select(Meeting)
            .where(or_(Meeting.requester_id == user_id, Meeting.recipient_id == user_id))
            .order_by(Meeting.id)
        )
    ).all()
    data["meetings"] = [
        {
            "edition_id": m.edition_id,
            "role": "requester" if m.requester_id == user_id else "recipient",
            "status": m.status,
            "format": m.format,
            "priority": m.priority if m.requester_id == user_id else None,
            "my_message": m.message if m.requester_id == user_id else None,
            "my_answer": m.answer if m.answered_by_id == user_id else None,
            "requested_at": _iso(m.created_at),
            "answered_at": _iso(m.answered_at),
            "checked_in_at": _iso(m.checked_in_at),
            "my_check_in_at": _iso(
                m.requester_checked_in_at if m.requester_id == user_id else m.recipient_checked_in_at
            ),
        }
        for m in meetings
    ]

    network_meetings = (
        await session.scalars(
            select(NetworkMeeting)
            .where(or_(NetworkMeeting.requester_id == user_id, NetworkMeeting.recipient_id == user_id))
            .order_by(NetworkMeeting.id)
        )
    ).all()
    data["network_meetings"] = [
        {
            "role": "requester" if m.requester_id == user_id else "recipient",
            "status": m.status,
            "my_message": m.message if m.requester_id == user_id else None,
            "starts_at": _iso(m.starts_at),
            "requested_at": _iso(m.created_at),
        }
        for m in network_meetings
    ]

    about = (await session.scalars(select(Lead).where(Lead.user_id == user_id))).all()
    by = (await session.scalars(select(Lead).where(Lead.scanned_by_id == user_id))).all()
    exhibitors = await _exhibitor_names(session, {lead.exhibitor_id for lead in [*about, *by]})
    data["leads_about_me"] = [
        {
            "exhibitor": exhibitors.get(lead.exhibitor_id, ""),
            "scanned_at": _iso(lead.scanned_at),
            "note": lead.note,
            "rating": lead.rating,
            "withdrawn_at": _iso(lead.withdrawn_at),
        }
        for lead in about
    ]
    # Leads this person scanned for an exhibitor: when and for whom, not who was scanned.
    data["leads_i_scanned"] = [
        {"exhibitor": exhibitors.get(lead.exhibitor_id, ""), "scanned_at": _iso(lead.scanned_at)}
        for lead in by
    ]

    check_ins = (
        (await session.scalars(select(CheckIn).where(CheckIn.registration_id.in_(registration_ids)))).all()
        if registration_ids
        else []
    )
    data["check_ins"] = [
        {"edition_id": c.edition_id, "place": c.place_key, "checked_in_at": _iso(c.checked_in_at)}
        for c in check_ins
    ]

    data["consents"] = {str(r["reference"]): r["consents"] for r in data.get("registrations", [])}
    data["messages"] = await messages.export_of(session, user_id, with_text=not for_organizer)
    member = await session.scalar(select(NetworkMember).where(NetworkMember.user_id == user_id))
    data["network"] = (
        {
            "joined_at": _iso(member.joined_at),
            "left_at": _iso(member.left_at),
            "headline": member.headline,
            "interests": member.interests,
        }
        if member
        else None
    )
    accepted = (
        (
            await session.execute(
                select(NoticeAcceptance, NoticeVersion)
                .join(NoticeVersion, NoticeVersion.id == NoticeAcceptance.notice_id)
                .where(NoticeAcceptance.user_id == user_id)
                .order_by(NoticeAcceptance.accepted_at)
            )
        )
        .tuples()
        .all()
    )
    by_registration: dict[str, list[str]] = defaultdict(list)
    for r in data.get("registrations", []):
        by_registration[r["privacy_version"]].append(r["privacy_accepted_at"])
    data["privacy_notice_acceptances"] = [
        {"version": notice.version, "accepted_at": _iso(a.accepted_at), "how": a.source}
        for a, notice in accepted
    ] + [
        {"version": version, "accepted_at": when, "how": "registration"}
        for version, times in by_registration.items()
        for when in times
    ]
    return data
