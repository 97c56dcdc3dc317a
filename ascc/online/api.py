"""The online API: questions, votes and moderation, polls, and viewing heartbeats. Everything needs a
confirmed registration in the edition (organizers and the session's speakers count as attendees);
moderation and poll management need an organizer or the session's moderator. Live updates of all of it
arrive on the SSE stream at /sessions/{id}/live."""

from datetime import datetime
from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import Body, FromPath

from ascc import clock
from ascc.api_contract import errors
from ascc.online import polls as live_polls
from ascc.online import publishing, viewing
from ascc.online import questions as live_questions
from ascc.online import services as online
from ascc.online.routes import author_of, viewer_of
from ascc.security import requires_login
from ascc.web import DbSession

# Closed sets, as online's modules name them (tests/test_api_contract.py compares).
Moderation = Literal["approve", "answer", "hide", "pending"]
QuestionStatus = Literal["pending", "approved", "answered", "hidden"]
PollStatus = Literal["draft", "open", "closed"]
Channel = Literal["floor", "ja", "en"]  # the room's own sound, and the interpretation channels

# Every operation: a confirmed registration in the edition (or a speaker's or organizer's part in it).
ATTENDEES = "`not_registered`: taking part needs a confirmed registration in the edition"
MODERATORS = "`forbidden`: only the session's moderators and organizers"
CANCELLED = "`cancelled`: the session is cancelled"
INVALID = "`invalid`: fields refused, each with its reason (`extra`)"


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str
    anonymous: bool = False


class ModerateIn(msgspec.Struct, forbid_unknown_fields=True):
    action: Moderation
    answer: str | None = None  # a written answer, shown under the question


class QuestionOut(msgspec.Struct):
    id: int
    session_id: int
    body: str
    language: str
    author: str | None  # None when asked anonymously (moderators see who asked)
    status: QuestionStatus
    answer: str
    votes: int
    voted: bool
    mine: bool
    asked_at: datetime


class VoteOut(msgspec.Struct):
    question: QuestionOut
    counted: bool  # False: this person had voted already (a vote counts once)


class PollIn(msgspec.Struct, forbid_unknown_fields=True):
    options: list[Any]  # "Yes" or {"en": "Yes", "ja": "はい"}; 2 to 8 of them
    question_en: str = ""
    question_ja: str = ""
    open: bool = True  # False: a draft, shown to nobody until opened


class PollVoteIn(msgspec.Struct, forbid_unknown_fields=True):
    option: int  # the option's index, from 0


class PollOptionOut(msgspec.Struct):
    en: str
    ja: str
    votes: int
    percent: int


class PollOut(msgspec.Struct):
    id: int
    session_id: int
    question_en: str
    question_ja: str
    status: PollStatus
    options: list[PollOptionOut]
    total: int
    my_vote: int | None


class HeartbeatIn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Channel = "floor"  # the language channel being watched


class HeartbeatOut(msgspec.Struct):
    counted: bool  # False outside the session's time (from 30 minutes before to 30 after)
    minutes: int  # this person's viewing minutes of the session so far


def question_out(q: Any, who: online.Viewer, voted: set[int]) -> QuestionOut:
    return QuestionOut(
        id=q.id,
        session_id=q.session_id,
        body=q.body,
        language=q.language,
        author=q.author if who.moderator or not q.anonymous else None,
        status=cast(QuestionStatus, q.status),
        answer=q.answer,
        votes=q.votes,
        voted=q.id in voted,
        mine=q.user_id == who.user_id,
        asked_at=q.created_at,
    )


def poll_out(view: live_polls.PollView, my_vote: int | None) -> PollOut:
    poll = view.poll
    return PollOut(
        id=poll.id,
        session_id=poll.session_id,
        question_en=poll.question_en,
        question_ja=poll.question_ja,
        status=cast(PollStatus, poll.status),
        options=[
            PollOptionOut(o["en"], o["ja"], view.counts[i], view.share(i)) for i, o in enumerate(poll.options)
        ],
        total=view.total,
        my_vote=my_vote,
    )


class OnlineApi(Controller):
    path = "/api/v1"
    tags = ["online"]
    guards = [requires_login]

    @get(
        "/sessions/{session_id:int}/questions",
        summary="The questions I may see, open ones by votes first",
        responses=errors({403: ATTENDEES, 409: CANCELLED}),
    )
    async def questions(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> list[QuestionOut]:
        _, _, who = await viewer_of(request, db_session, session_id)
        online.require_attendee(who)
        voted = await live_questions.my_votes(db_session, who.user_id, session_id)
        return [
            question_out(q, who, voted)
            for q in await live_questions.questions_of(db_session, session_id, who)
        ]

    @post(
        "/sessions/{session_id:int}/questions",
        summary="Ask (up to 500 characters); it waits for a moderator unless the session shows questions at once",
        responses=errors(
            {
                403: ATTENDEES,
                409: f"{CANCELLED}; `qa_closed`: questions are closed",
                422: INVALID,
                429: "`too_many`: the most questions one person may ask in a session",
            }
        ),
    )
    async def ask(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        data: Annotated[QuestionIn, Body()],
    ) -> QuestionOut:
        _, item, who = await viewer_of(request, db_session, session_id)
        question = await live_questions.ask(
            db_session, who, session_id, data.body, data.anonymous, author_of(request.user), item, clock.now()
        )
        await db_session.commit()
        await publishing.question_changed(request.app, question, was_shown=False)
        return question_out(question, who, set())

    @post(
        "/questions/{question_id:int}/vote",
        status_code=200,
        summary="Upvote; a second vote counts once",
        responses=errors({403: ATTENDEES, 409: f"{CANCELLED}; `not_open`: the question is not shown"}),
    )
    async def vote(self, request: Request, db_session: DbSession, question_id: FromPath[int]) -> VoteOut:
        question = await live_questions.get_question(db_session, question_id)
        _, _, who = await viewer_of(request, db_session, question.session_id)
        question, counted = await live_questions.vote(db_session, who, question_id)
        await db_session.commit()
        if counted:
            publishing.question_votes_changed(request.app, question_id)
        return VoteOut(question_out(question, who, {question_id}), counted)

    @delete(
        "/questions/{question_id:int}/vote",
        status_code=200,
        summary="Take my vote back",
        responses=errors({403: ATTENDEES, 409: f"{CANCELLED}; `not_open`: the question is not shown"}),
    )
    async def unvote(
        self, request: Request, db_session: DbSession, question_id: FromPath[int]
    ) -> QuestionOut:
        question = await live_questions.get_question(db_session, question_id)
        _, _, who = await viewer_of(request, db_session, question.session_id)
        question = await live_questions.unvote(db_session, who, question_id)
        await db_session.commit()
        publishing.question_votes_changed(request.app, question_id)
        return question_out(question, who, set())

    @post(
        "/questions/{question_id:int}/moderate",
        status_code=200,
        summary="Moderators: approve, answer (optionally with a written answer), hide, or back to pending",
        responses=errors({403: MODERATORS, 409: CANCELLED, 422: INVALID}),
    )
    async def moderate(
        self,
        request: Request,
        db_session: DbSession,
        question_id: FromPath[int],
        data: Annotated[ModerateIn, Body()],
    ) -> QuestionOut:
        question = await live_questions.get_question(db_session, question_id)
        was_shown = question.status in publishing.SHOWN
        _, _, who = await viewer_of(request, db_session, question.session_id)
        question = await live_questions.moderate(
            db_session, who, question_id, data.action, data.answer, clock.now(), request.user
        )
        await db_session.commit()
        await publishing.question_changed(request.app, question, was_shown)
        return question_out(
            question, who, await live_questions.my_votes(db_session, who.user_id, question.session_id)
        )

    @get(
        "/sessions/{session_id:int}/polls",
        summary="The session's polls with their results (drafts for moderators)",
        responses=errors({403: ATTENDEES, 409: CANCELLED}),
    )
    async def polls(
        self, request: Request, db_session: DbSession, session_id: FromPath[int]
    ) -> list[PollOut]:
        _, _, who = await viewer_of(request, db_session, session_id)
        online.require_attendee(who)
        mine = await live_polls.my_poll_votes(db_session, who.user_id, session_id)
        views = await live_polls.polls_of(db_session, session_id, include_drafts=who.moderator)
        return [poll_out(v, mine.get(v.poll.id)) for v in views]

    @post(
        "/sessions/{session_id:int}/polls",
        summary="Moderators: a poll with 2 to 8 options, open at once or a draft",
        responses=errors({403: MODERATORS, 409: CANCELLED, 422: INVALID}),
    )
    async def create_poll(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        data: Annotated[PollIn, Body()],
    ) -> PollOut:
        _, _, who = await viewer_of(request, db_session, session_id)
        poll = await live_polls.create_poll(
            db_session, who, session_id, msgspec.structs.asdict(data), open_now=data.open
        )
        await db_session.commit()
        await publishing.poll_changed(request.app, poll.id)
        return poll_out(await live_polls.poll_view(db_session, poll), None)

    @post(
        "/polls/{poll_id:int}/vote",
        status_code=200,
        summary="Vote once; a second vote is refused with 409",
        responses=errors(
            {
                403: ATTENDEES,
                409: f"{CANCELLED}; `poll_closed`; `already_voted`",
                422: "`invalid`: no such option (`field`: option)",
            }
        ),
    )
    async def poll_vote(
        self,
        request: Request,
        db_session: DbSession,
        poll_id: FromPath[int],
        data: Annotated[PollVoteIn, Body()],
    ) -> PollOut:
        poll = await live_polls.get_poll(db_session, poll_id)
        _, _, who = await viewer_of(request, db_session, poll.session_id)
        view = await live_polls.vote_in_poll(db_session, who, poll_id, data.option)
        await db_session.commit()
        publishing.poll_votes_changed(request.app, poll_id)
        return poll_out(view, data.option)

    @post(
        "/sessions/{session_id:int}/heartbeat",
        status_code=200,
        summary="The watch page is open: counts this minute of viewing (send every 30 seconds)",
        responses=errors({403: ATTENDEES, 409: CANCELLED}),
    )
    async def heartbeat(
        self,
        request: Request,
        db_session: DbSession,
        session_id: FromPath[int],
        data: Annotated[HeartbeatIn | None, Body()] = None,
    ) -> HeartbeatOut:
        _, item, who = await viewer_of(request, db_session, session_id)
        counted, minutes = await viewing.heartbeat(
            db_session, who, item, (data or HeartbeatIn()).channel, clock.now()
        )
        return HeartbeatOut(counted, minutes)
