"""The demo's messages: the demo delegate has written with two of the people they agreed to meet, in English
and Japanese, the last message of one still unread. Written through the services; twice changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ascc.accounts import services as accounts
from ascc.editions.services import Edition
from ascc.matching import meetings as matching_meetings
from ascc.messages import services

# (from the delegate?, text) per conversation; the last message of the first one is left unread.
THREADS = (
    (
        (True, "Thank you for accepting! Could you bring the dewatering unit's brochure to our meeting?"),
        (
            False,
            "Of course. I will also bring figures from our pilot in Yokohama. 当日お会いできるのを楽しみにしています。",
        ),
        (True, "Wonderful — see you at the table. Salamat po!"),
        (False, "One more thing: could your engineer join us? 技術担当の方も同席いただけると助かります。"),
    ),
    (
        (False, "こんにちは。セブ市の下水汚泥の件でお話しできればと思います。"),
        (True, "Hello! Yes, septage is our first priority. Shall we meet on day 2?"),
    ),
)


async def load_messages(session: AsyncSession, edition: Edition) -> int:
    """Conversations of the demo delegate with two of their agreed partners; returns how many messages."""
    delegate = await accounts.find_by_email(session, "delegate@example.org")
    if delegate is None:
        return 0
    if await services.conversations(session, edition.id, delegate.id):
        return 0  # loaded before
    partners = sorted(await matching_meetings.agreed_partners(session, edition.id, delegate.id))
    written = 0
    for partner, thread in zip(partners, THREADS, strict=False):
        for from_delegate, text in thread:
            sender, recipient = (delegate.id, partner) if from_delegate else (partner, delegate.id)
            await services.send(session, edition.id, sender, recipient, {"body": text})
            written += 1
        conversation = await services.find_conversation(session, edition.id, delegate.id, partner)
        if conversation is not None and partner != partners[0]:
            last = (await services.messages_of(session, conversation.id))[-1]
            await services.mark_read(session, conversation, delegate.id, last.id)
    await session.flush()
    return written
