"""What goes out on the live channels after a change is committed: the fragment of the question, poll or
banner as everyone sees it, once per language. Votes are coalesced (see live.Coalescer)."""

from __future__ import annotations

from typing import Any

from ascc import clock
from ascc.i18n import LANGUAGES
from ascc.online import live, polls, questions

SHOWN = ("approved", "answered")  # what attendees see; pending and hidden stay with the moderators


def coalescer(app: Any) -> live.Coalescer:
    found = getattr(app.state, "online_coalescer", None)
    if found is None:
        found = app.state.online_coalescer = live.Coalescer()
    return found


async def question_changed(app: Any, question: Any, was_shown: bool = True) -> None:
    """`was_shown`: whether attendees had it before this change (a new pending question: no)."""
    sid = question.session_id
    frames = live.per_language(
        app,
        "question",
        "online/_question_mod.html",
        lambda lang: live.moderator_channel(sid, lang),
        q=question,
    )
    if question.status in SHOWN:
        frames |= live.per_language(
            app,
            "question",
            "online/_question.html",
            lambda lang: live.attendee_channel(sid, lang),
            q=question,
            voted=set(),
            mine=False,
        )
    elif was_shown:  # gone from the audience's list (hidden, or back to the moderators)
        gone = live.frame("question", f'<li id="q-{question.id}" data-gone="1"></li>')
        frames |= {live.attendee_channel(sid, lang): gone for lang in LANGUAGES}
    await live.publish(app, frames)


def question_votes_changed(app: Any, question_id: int) -> None:
    async def job() -> None:
        async with app.state.session_maker() as session:
            question = await questions.get_question(session, question_id)
        await question_changed(app, question)

    coalescer(app).schedule(("question", question_id), job)


async def poll_changed(app: Any, poll_id: int) -> None:
    async with app.state.session_maker() as session:
        poll = await polls.get_poll(session, poll_id)
        view = await polls.poll_view(session, poll)
    sid = poll.session_id
    frames = live.per_language(
        app,
        "poll",
        "online/_poll.html",
        lambda lang: live.moderator_channel(sid, lang),
        pv=view,
        moderator=True,
    )
    if poll.status == "draft":
        gone = live.frame("poll", f'<section id="poll-{poll.id}" data-gone="1"></section>')
        frames |= {live.attendee_channel(sid, lang): gone for lang in LANGUAGES}
    else:
        frames |= live.per_language(
            app,
            "poll",
            "online/_poll.html",
            lambda lang: live.attendee_channel(sid, lang),
            pv=view,
            moderator=False,
        )
    await live.publish(app, frames)


def poll_votes_changed(app: Any, poll_id: int) -> None:
    coalescer(app).schedule(("poll", poll_id), lambda: poll_changed(app, poll_id))


async def qa_state_changed(app: Any, session_id: int, qa_open: bool) -> None:
    """Open pages show or hide their ask form at once when organizers open or close the questions."""
    data = live.frame("qa-state", "open" if qa_open else "closed")
    await live.publish(app, {live.attendee_channel(session_id, lang): data for lang in LANGUAGES})


async def announcement_changed(app: Any, edition_id: int) -> None:
    now = clock.now()
    async with app.state.session_maker() as session:
        current = await polls.current_announcement(session, edition_id, now)
    await live.publish(
        app,
        live.per_language(
            app,
            "announcement",
            "online/_announcement.html",
            lambda lang: live.announcement_channel(edition_id, lang),
            announcement=current,
            now_iso=now.isoformat(),
        ),
    )
