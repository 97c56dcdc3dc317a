"""The network as people meet it in their browser: the directory (members and organizers only, searched in
place), joining from the account page or the registration form and leaving, a meeting request from a
member's page, its acceptance, the room's signed link, carrying a need over, and the organizers' page."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc.accounts import services as accounts
from ascc.audit.models import AuditEntry
from ascc.db import create_engine
from ascc.editions import services as editions
from ascc.exhibitors import services as marketplace
from ascc.i18n import translate
from ascc.network import carry_over, joining, meetings
from ascc.network import services as network
from ascc.network.models import NetworkMeeting
from ascc.registration import services as registration
from tests.factories import make_user
from tests.network.conftest import PASSWORD, build_network, next_edition
from tests.support.web import post_form, sign_in, submit, text_of


class Db:
    """A short-lived session on the app's database, for arranging and checking what pages did."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self):
        self.engine = create_engine(self.url)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)()
        return self.session

    async def __aexit__(self, *exc) -> None:
        await self.session.close()
        await self.engine.dispose()


@pytest.fixture
async def world(settings):
    async with Db(settings.database_url) as session:
        w = await build_network(session)
        organizer = await accounts.create_user(
            session,
            email="organizer@example.org",
            role="organizer",
            password=PASSWORD,
            name_latin="Org Anizer",
        )
        w.organizer = organizer.id
        await session.commit()
    w.db = Db(settings.database_url)
    return w


async def _another(client) -> AsyncTestClient:
    return AsyncTestClient(app=client.app, base_url="http://testserver.local")


async def test_directory_is_for_members_and_organizers_and_searches_in_place(client, world) -> None:
    anonymous = await client.get("/network")
    assert anonymous.status_code == 200 and 'data-testid="network-invitation"' in anonymous.text
    assert "Maria Reyes" not in anonymous.text
    await sign_in(client, "staff-a@example.org", PASSWORD)  # registered, not a member
    outsider = await client.get("/network")
    assert 'data-testid="network-invitation"' in outsider.text and "Maria Reyes" not in outsider.text
    assert (await client.get(f"/network/members/{world.official}")).status_code == 403

    await sign_in(client, "bank@example.org", PASSWORD)
    listing = text_of((await client.get("/network")).text)
    assert (
        "3 members" in listing
        and "Maria Reyes" in listing
        and "下水汚泥処理とごみの分別（セブ市）" in listing
    )
    htmx = {"HX-Request": "true"}
    japanese = await client.get("/network", params={"q": "汚泥"}, headers=htmx)
    assert "<html" not in japanese.text  # only the results, swapped in place
    assert "1 member " in text_of(japanese.text) and "Maria Reyes" in japanese.text
    vietnamese = await client.get("/network", params={"q": "chống ngập"}, headers=htmx)
    assert "Nguyễn Thị Thu" in vietnamese.text and "Maria Reyes" not in vietnamese.text
    none = await client.get("/network", params={"q": "<script>alert(1)</script>", "country": "ZZ"})
    assert 'data-testid="no-members"' in none.text and "<script>alert(1)" not in none.text

    async with await _another(client) as organizer:
        await sign_in(organizer, "organizer@example.org", PASSWORD)
        assert "Maria Reyes" in (await organizer.get("/network")).text


async def test_joining_is_an_explicit_choice_and_leaving_is_at_once(client, world) -> None:
    await sign_in(client, "staff-a@example.org", PASSWORD)
    form = await client.get("/network/join")
    assert re.search(r'<input type="checkbox" name="confirm" id="f-confirm">', form.text)  # not ticked
    refused = await post_form(client, "/network/join", {"headline": "Sludge", "timezone": "Asia/Tokyo"})
    assert refused.status_code == 422 and "Tick the box to confirm" in refused.text
    bad = await post_form(client, "/network/join", {"confirm": "on", "timezone": "Nowhere/Town"})
    assert bad.status_code == 422 and "Choose a time zone from the list." in bad.text
    async with world.db as session:
        assert not await network.is_member(session, world.company)
    joined = await submit(
        client, "/network/join", {"confirm": "on", "headline": "Septage dewatering", "timezone": "Asia/Tokyo"}
    )
    assert joined.status_code == 303
    page = text_of((await client.get("/network/join")).text)
    assert (
        "You are a member of the network since 1 March 2024." in page and "joined (from my account)" in page
    )

    async with await _another(client) as other:
        await sign_in(other, "bank@example.org", PASSWORD)
        assert "Aiko Staff" in (await other.get("/network")).text
        assert (await submit(client, "/network/leave", {})).status_code == 303
        assert "Aiko Staff" not in (await other.get("/network")).text  # gone at once
    assert "You left the network on 1 March 2024." in text_of((await client.get("/network/join")).text)


async def test_the_registration_form_offers_the_network_unticked(client, world) -> None:
    async with world.db as session:
        await make_user(session, "newcomer@example.org", name="New Comer")
        await make_user(session, "declined@example.org", name="No Thanks")
    form = {
        "mode": "in_person",
        "category": "company",
        "organization": "Kawasaki Water Co.",
        "country": "JP",
        "privacy_accepted": "on",
    }
    await sign_in(client, "newcomer@example.org", PASSWORD)
    page = await client.get("/register")
    assert '<input type="checkbox" name="consent_network" id="f-consent_network" >' in page.text
    assert (await submit(client, "/register", {**form, "consent_network": "on"})).status_code == 303
    await sign_in(client, "declined@example.org", PASSWORD)
    assert (await submit(client, "/register", form)).status_code == 303
    async with world.db as session:
        newcomer = await accounts.find_by_email(session, "newcomer@example.org")
        declined = await accounts.find_by_email(session, "declined@example.org")
        assert [(c.action, c.via) for c in await network.choices_of(session, newcomer.id)] == [
            ("join", "registration")
        ]
        assert not await network.is_member(session, declined.id)


async def test_an_off_season_meeting_from_request_to_the_room(client, world, monkeypatch) -> None:
    await sign_in(client, "bank@example.org", PASSWORD)
    url = f"/network/members/{world.official}/meet"
    past = await post_form(client, url, {"slot_1": "2024-02-01T10:00", "message": "Hello"})
    assert past.status_code == 422 and "This time has passed: propose a time ahead." in past.text
    assert 'aria-invalid="true" aria-describedby="e-slot_1"' in past.text and ">Hello</textarea>" in past.text
    async with world.db as session:
        assert await session.scalar(select(func.count()).select_from(NetworkMeeting)) == 0
    sent = await submit(
        client, url, {"slot_1": "2024-03-05T10:00", "slot_2": "2024-03-06T15:00", "message": "Septage?"}
    )
    assert sent.status_code == 303
    meeting_path = sent.headers["location"].split("?")[0]
    meeting_id = int(meeting_path.rsplit("/", 1)[1])

    async with await _another(client) as official:
        await sign_in(official, "official@example.org", PASSWORD)
        page = await official.get(meeting_path)
        assert "2024年3月5日(火) 09:00" in page.text  # the official reads Japanese, in Manila's time
        accepted = await submit(official, f"{meeting_path}/accept", {"slot": "1"})
        assert accepted.status_code == 303
        now = await official.get(meeting_path)
        assert 'data-testid="room-later"' in now.text and "/join" not in re.sub(
            r"/network/join", "", now.text
        )
        assert (await official.get(f"{meeting_path}/join")).status_code == 409  # days before the meeting

    monkeypatch.setenv("ASCC_NOW", "2024-03-05T09:50+09:00")
    page = await client.get(meeting_path)
    assert 'data-testid="join-room"' in page.text
    link = await client.get(f"{meeting_path}/join", follow_redirects=False)
    assert link.status_code == 303 and link.headers["location"].startswith("/network/go/network.")
    room = await client.get(link.headers["location"], follow_redirects=False)
    assert room.status_code == 303 and room.headers["location"].startswith("https://meet.jit.si/ascc-")
    assert room.headers["cache-control"] == "no-store"

    async with await _another(client) as outsider:
        await sign_in(outsider, "online@example.org", PASSWORD)  # a member, but not of this meeting
        assert (await outsider.get(meeting_path)).status_code == 404
        assert (await outsider.get(f"{meeting_path}/join")).status_code == 404
        assert (await outsider.get(link.headers["location"])).status_code == 403  # signed for someone else
        assert (
            await outsider.get(f"/online/go/{link.headers['location'].rsplit('/', 1)[1]}")
        ).status_code == 403

    monkeypatch.setenv("ASCC_NOW", "2024-03-05T11:00+09:00")
    assert (await client.get(f"{meeting_path}/join")).status_code == 409  # over
    async with world.db as session:
        meeting = await meetings.get_meeting(session, meeting_id)
        assert meeting.requester_joined_at is not None and meeting.recipient_joined_at is None


async def test_a_need_is_brought_over_on_the_page_and_logged(client, world) -> None:
    async with world.db as session:
        await next_edition(session, world)
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get("/network/carry-over")
    source_id = int(re.search(r'action="/network/carry-over/needs/(\d+)"', page.text).group(1))
    assert (await submit(client, f"/network/carry-over/needs/{source_id}", {})).status_code == 303
    again = await client.get("/network/carry-over")
    assert 'data-testid="already"' in again.text
    assert (await post_form(client, f"/network/carry-over/needs/{source_id}", {})).status_code == 409
    async with world.db as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "network.bring_need"))
        assert entry.actor_id == world.official and entry.after["copied_from"] == source_id
        assert entry.edition_id == world.edition_2024


async def test_the_directory_works_between_editions(client, world) -> None:
    async with world.db as session:
        await session.execute(update(editions.Edition).values(is_current=False))
        await session.commit()
    await sign_in(client, "online@example.org", PASSWORD)
    listing = await client.get("/network")
    assert listing.status_code == 200 and "Maria Reyes" in listing.text
    assert (await client.get(f"/network/members/{world.official}")).status_code == 200
    assert "no current edition" in text_of((await client.get("/network/carry-over")).text)


async def test_organizer_page_and_csv(client, world, inputs) -> None:
    async with world.db as session:
        await joining.join(session, world.bank, {"headline": inputs["hostile"][5], "timezone": "Asia/Tokyo"})
        await joining.leave(session, world.online, "http://testserver.local")
        await session.commit()
    await sign_in(client, "bank@example.org", PASSWORD)
    assert (await client.get("/organizer/network/")).status_code == 403
    await sign_in(client, "organizer@example.org", PASSWORD)
    page = text_of((await client.get("/organizer/network/")).text)
    assert "Members 2 1 person left the network." in page
    assert "Philippines 2" in page and "March 2024 3 1" in page  # three joins and one leave this month
    csv = await client.get("/organizer/network/members.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert "'=HYPERLINK" in csv.text and "Maria Reyes" in csv.text and "Nguyễn" not in csv.text
    client.cookies.set("ascc_lang", "ja")
    japanese = text_of((await client.get("/organizer/network/")).text)
    assert "国別メンバー数" in japanese and "会期外の面談" in japanese


# --- found in review ---------------------------------------------------------------------------------------


async def test_earlier_solutions_are_named_and_only_current_ones_linked(client, world) -> None:
    async with world.db as session:
        await joining.join(session, world.company, {"headline": "Sludge", "timezone": "Asia/Tokyo"})
        await next_edition(session, world)
        edition = await editions.get_by_id(session, world.edition_2024)
        [option] = (await carry_over.carry_over_options(session, edition, world.company))["solutions"]
        copy = await carry_over.bring_solution(session, edition, world.company, option.item.id)
        company_id = (await marketplace.my_exhibitor(session, edition.id, world.company))[0].organization_id
        Registration = registration.Registration
        await session.execute(  # registered for the company they exhibit with
            update(Registration)
            .where(Registration.user_id == world.company)
            .values(organization_id=company_id)
        )
        await session.commit()
        earlier_id, copy_id = option.item.id, copy.id
    await sign_in(client, "bank@example.org", PASSWORD)
    page = await client.get(f"/network/members/{world.company}")
    listed = page.text.split('data-testid="earlier-solutions"')[1].split("</ul>")[0]
    assert f'href="/marketplace/solutions/{copy_id}"' in listed  # this edition's: opens on the marketplace
    assert f"/marketplace/solutions/{earlier_id}" not in listed  # an earlier edition's: named, not linked
    assert text_of(listed).count("Septage sludge dewatering unit") == 2
    assert (await client.get(f"/marketplace/solutions/{copy_id}")).status_code == 200


async def test_utc_chosen_on_the_join_form_is_kept(client, world) -> None:
    await sign_in(client, "staff-a@example.org", PASSWORD)
    joined = await submit(client, "/network/join", {"confirm": "on", "timezone": "UTC"})
    assert joined.status_code == 303
    async with world.db as session:
        assert await network.zone_of(session, world.company) == "UTC"


async def test_one_member_is_one_member(client, world) -> None:
    await sign_in(client, "bank@example.org", PASSWORD)
    found = text_of((await client.get("/network", params={"q": "汚泥"}, headers={"HX-Request": "true"})).text)
    assert found.startswith("1 member ") and "1 members" not in found
    assert "3 members" in text_of((await client.get("/network")).text)


async def test_join_dates_are_days_in_the_members_zone(client, world, monkeypatch) -> None:
    monkeypatch.setenv("ASCC_NOW", "2024-03-01T07:00+09:00")  # still 29 February in UTC
    await sign_in(client, "staff-a@example.org", PASSWORD)
    await submit(client, "/network/join", {"confirm": "on", "timezone": "Asia/Tokyo"})
    page = text_of((await client.get("/network/join")).text)
    assert "since 1 March 2024." in page and "1 March 2024: joined" in page
    await sign_in(client, "organizer@example.org", PASSWORD)
    listing = (await client.get("/organizer/network/")).text
    row = next(r for r in listing.split("<tr>") if "Aiko Staff" in r)
    assert text_of(row).endswith("1 Mar 2024")  # in the edition's zone (Tokyo)


async def test_the_member_list_is_not_kept_in_caches(client, world) -> None:
    await sign_in(client, "organizer@example.org", PASSWORD)
    csv = await client.get("/organizer/network/members.csv")
    assert csv.status_code == 200 and "no-store" in csv.headers["cache-control"]


async def test_a_request_whose_times_passed_shows_as_expired(client, world, monkeypatch) -> None:
    await sign_in(client, "bank@example.org", PASSWORD)
    sent = await submit(client, f"/network/members/{world.official}/meet", {"slot_1": "2024-03-05T10:00"})
    meeting_path = sent.headers["location"].split("?")[0]
    monkeypatch.setenv("ASCC_NOW", "2024-03-06T09:00+09:00")
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get(meeting_path)
    assert "期限切れ" in text_of(page.text.split('data-testid="status"')[1].split("</span>")[0])  # "Expired"
    assert f"{meeting_path}/accept" not in page.text and f"{meeting_path}/cancel" not in page.text
    assert "期限切れ" in text_of((await client.get("/network/meetings")).text)
    # ... and asking the same person again is allowed.
    again = await submit(client, f"/network/members/{world.bank}/meet", {"slot_1": "2024-03-08T10:00"})
    assert again.status_code == 303


async def test_a_double_click_on_bring_is_already_brought_not_an_error(client, world, monkeypatch) -> None:
    async with world.db as session:
        await next_edition(session, world)
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get("/network/carry-over")
    source_id = int(re.search(r'action="/network/carry-over/needs/(\d+)"', page.text).group(1))
    assert (await submit(client, f"/network/carry-over/needs/{source_id}", {})).status_code == 303

    async def nothing_yet(*args, **kwargs):
        return None

    monkeypatch.setattr(
        carry_over, "_already", nothing_yet
    )  # the second click checked before the first wrote
    second = await post_form(client, f"/network/carry-over/needs/{source_id}", {})
    assert second.status_code == 409  # not a 500, and the page says so (the official reads Japanese)
    assert translate("ja", "network.error.already_brought") in text_of(second.text)


# --- found in the user trial ---------------------------------------------------------------------------------


async def _request_one_time(client, world, slot: str = "2024-03-05T10:00") -> str:
    """The JICA officer (Tokyo) asks the Cebu official (Manila, reads Japanese) for one time; the meeting's path."""
    await sign_in(client, "bank@example.org", PASSWORD)
    sent = await submit(client, f"/network/members/{world.official}/meet", {"slot_1": slot})
    assert sent.status_code == 303
    return sent.headers["location"].split("?")[0]


async def test_a_single_proposed_time_is_preselected_and_accepted_as_is(client, world) -> None:
    meeting_path = await _request_one_time(client, world)
    assert "1 proposed time" in text_of((await client.get("/network/meetings")).text)
    assert "1 proposed times" not in text_of((await client.get("/network/meetings")).text)
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get(meeting_path)
    assert re.search(r'<input type="radio" name="slot" value="1" checked>', page.text)
    # The browser sends the checked time; a form sent without it takes the only time too.
    accepted = await submit(client, f"{meeting_path}/accept", {"answer": "OK"})
    assert accepted.status_code == 303
    assert "承諾済み" in text_of((await client.get(meeting_path)).text)


async def test_several_proposed_times_are_not_preselected(client, world) -> None:
    await sign_in(client, "bank@example.org", PASSWORD)
    sent = await submit(
        client,
        f"/network/members/{world.official}/meet",
        {"slot_1": "2024-03-05T10:00", "slot_2": "2024-03-06T10:00"},
    )
    await sign_in(client, "official@example.org", PASSWORD)
    page = await client.get(sent.headers["location"].split("?")[0])
    assert "checked" not in page.text.split('name="slot"', 1)[1].split("</fieldset>")[0]
    assert "候補 2 件" in text_of((await client.get("/network/meetings")).text)


async def test_the_meeting_list_says_who_asked_whom_and_when_in_the_viewers_zone(
    client, world, monkeypatch
) -> None:
    monkeypatch.setenv("ASCC_NOW", "2024-03-01T00:30+09:00")  # 1 March in Tokyo, still 29 February in Manila
    await _request_one_time(client, world)
    mine = text_of((await client.get("/network/meetings")).text)
    assert "To Maria Reyes, requested on 1 Mar 2024" in mine
    await sign_in(client, "official@example.org", PASSWORD)
    theirs = text_of((await client.get("/network/meetings")).text)
    assert "からの申込（2024/02/29）" in theirs and "Maria Reyes" not in theirs


async def test_only_the_requester_cancels_an_open_request(client, world) -> None:
    meeting_path = await _request_one_time(client, world)
    assert f"{meeting_path}/cancel" in (await client.get(meeting_path)).text  # the requester may withdraw it
    async with await _another(client) as official:
        await sign_in(official, "official@example.org", PASSWORD)
        page = await official.get(meeting_path)
        assert f"{meeting_path}/decline" in page.text and f"{meeting_path}/cancel" not in page.text
        refused = await post_form(official, f"{meeting_path}/cancel", {})
        assert refused.status_code == 403
        assert text_of(refused.text).count(translate("ja", "network.error.decline_instead")) == 1
        async with world.db as session:
            assert (
                await meetings.get_meeting(session, int(meeting_path.rsplit("/", 1)[1]))
            ).status == "requested"
        assert (await submit(official, f"{meeting_path}/accept", {"slot": "1"})).status_code == 303
        assert (
            f"{meeting_path}/cancel" in (await official.get(meeting_path)).text
        )  # accepted: either may cancel
    assert f"{meeting_path}/cancel" in (await client.get(meeting_path)).text


async def test_no_second_request_form_while_one_is_open(client, world) -> None:
    meeting_path = await _request_one_time(client, world)
    page = await client.get(f"/network/members/{world.official}")
    assert f'action="/network/members/{world.official}/meet"' not in page.text
    line = page.text.split('data-testid="open-request"')[1].split("</p>")[0]
    assert "You have an open request or meeting with Maria Reyes." in text_of(line)
    assert f'href="{meeting_path}"' in line
    # A second try from a page opened before (another tab) is refused, and says so once.
    again = await post_form(client, f"/network/members/{world.official}/meet", {"slot_1": "2024-03-08T10:00"})
    assert again.status_code == 409
    assert text_of(again.text).count("You already have an open request or meeting with this member.") == 1
    async with world.db as session:
        assert await session.scalar(select(func.count()).select_from(NetworkMeeting)) == 1
    other = await client.get(f"/network/members/{world.online}")  # anyone else: the form as usual
    assert f'action="/network/members/{world.online}/meet"' in other.text


async def test_times_on_the_conference_days_point_to_the_business_matching(client, world) -> None:
    async with world.db as session:
        await next_edition(session, world)  # 13-15 November 2024, in Tokyo
    await sign_in(client, "official@example.org", PASSWORD)  # types times in Manila (one hour behind)
    url = f"/network/members/{world.bank}/meet"
    refused = await post_form(client, url, {"slot_1": "2024-11-14T10:00", "slot_2": "2024-11-12T23:00"})
    assert refused.status_code == 422
    for name in ("slot_1", "slot_2"):  # the 12th at 23:00 in Manila is already the 13th in Tokyo
        message = refused.text.split(f'id="e-{name}"')[1].split("</p>")[0]
        assert translate("ja", "network.error.slot_conference") in text_of(message)
        assert 'href="/matching"' in message
    async with world.db as session:
        assert await session.scalar(select(func.count()).select_from(NetworkMeeting)) == 0
    sent = await submit(client, url, {"slot_1": "2024-11-12T22:30", "slot_2": "2024-11-15T23:00"})
    assert sent.status_code == 303  # the evening before in Tokyo, and the 16th there


async def test_the_organizer_figures_have_unambiguous_labels(client, world, monkeypatch) -> None:
    await _request_one_time(client, world)
    await sign_in(client, "bank@example.org", PASSWORD)
    await submit(client, f"/network/members/{world.online}/meet", {"slot_1": "2024-03-01T12:00"})
    monkeypatch.setenv("ASCC_NOW", "2024-03-02T09:00+09:00")  # the second request expired unanswered
    await sign_in(client, "organizer@example.org", PASSWORD)
    figures = text_of(
        (await client.get("/organizer/network/")).text.split('data-testid="meeting-figures"')[1]
    )
    assert "Requests made (all time) 2" in figures and "Waiting for an answer 1" in figures
    assert "Expired 1" in figures and "Requested" not in figures.replace("Requests made", "")
    client.cookies.set("ascc_lang", "ja")
    japanese = text_of(
        (await client.get("/organizer/network/")).text.split('data-testid="meeting-figures"')[1]
    )
    assert "申込数（累計） 2" in japanese and "回答待ち 1" in japanese and "申込中" not in japanese
