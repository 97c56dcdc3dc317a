"""Importing a city's list of people: reading CSV/Excel as cities send them, every row's problems named before
anything is stored, confirming once, the background import with its mails; and a delegation head registering
a member directly."""

from __future__ import annotations

import asyncio
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from ascc import db
from ascc.accounts.models import User
from ascc.audit.models import AuditEntry
from ascc.mail.models import OutboxMessage
from ascc.registration import bulk_import, delegations, on_behalf, organizer, registering
from ascc.registration.models import Registration
from tests.factories import PASSWORD, make_edition, make_user
from tests.registration.conftest import entry
from tests.support.web import csrf_token, post_form, sign_in, text_of

HEADER = "email,name_latin,name_local,organization,position,country,city,category,mode,lang\n"
CITY_LIST = HEADER + (
    "haruka.sato@example.org,Haruka Sato,佐藤 遥,City of Yokohama,Director,JP,Yokohama,city_official,in_person,ja\n"
    "thu@example.org,Nguyen Thi Minh Thu,Nguyễn Thị Minh Thư,Da Nang City,Officer,Viet Nam,Da Nang,,online,en\n"
    "somchai@example.org,Somchai Prasert,สมชาย ประเสริฐ,Bangkok,Advisor,TH,Bangkok,company,in_person,\n"
    "not-an-address,Kenji Watanabe,渡辺 健二,,,JP,,,,\n"
    "THU@example.org,Tran Van Hoang,Trần Văn Hoàng,,,Atlantis,,astronaut,teleport,\n"
)


def problems(rows: list[bulk_import.Row]) -> dict[int, dict[str, str]]:
    return {row.line: {name: key for name, (key, _) in row.problems.items()} for row in rows}


def test_a_city_list_names_every_rows_problem(inputs) -> None:
    rows = bulk_import.read_file("list.csv", CITY_LIST.encode())
    assert problems(rows) == {
        2: {},
        3: {},
        4: {},
        5: {"email": "error.email_invalid"},
        6: {
            "email": "import.problem.duplicate_in_file",
            "country": "import.problem.country_unknown",
            "category": "import.problem.category_unknown",
            "mode": "import.problem.mode_unknown",
        },
    }
    assert rows[1].values["country"] == "VN" and rows[1].values["category"] == "city_official"
    assert rows[4].problems["email"][1] == {"line": 3}
    # Hostile and overlong cells: a message per field, nothing that reaches a page unescaped or a NUL.
    hostile = inputs["hostile"]
    records = [
        (n, {"email": bad, "name_latin": "A" * 10_000, "category": bad, "country": bad})
        for n, bad in enumerate(hostile, start=2)
    ]
    checked = bulk_import.check_rows(records)
    for row, bad in zip(checked, hostile, strict=True):
        assert row.problems["email"][0] in ("error.email_invalid", "error.required")
        assert row.problems["name_latin"] == ("error.too_long", {"max": 200})
        if bad.strip():
            assert "category" in row.problems and "country" in row.problems
        assert "\x00" not in str(row.as_json()) and len(row.as_json()["values"]["name_latin"]) == 300


def test_japanese_excel_csv_semicolons_bom_and_xlsx_are_read() -> None:
    japanese = "メールアドレス;氏名（ローマ字）;氏名;所属;国;参加方法\nsato@example.jp;Haruka Sato;佐藤 遥;横浜市;日本;オンライン\n"
    rows = bulk_import.read_file("横浜市.csv", japanese.encode("cp932"))
    assert rows[0].ok and rows[0].values | {} == rows[0].values
    assert (rows[0].values["name_local"], rows[0].values["country"], rows[0].values["mode"]) == (
        "佐藤 遥",
        "JP",
        "online",
    )
    assert bulk_import.read_file("t.csv", bulk_import.template_csv())[
        0
    ].ok  # the template itself, with its BOM
    unicode_text = "email\tname_latin\nan@example.vn\tTran Van An\n".encode("utf-16")  # Excel "Unicode text"
    assert bulk_import.read_file("list.txt", unicode_text)[0].values["name_latin"] == "Tran Van An"
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Name (Latin)", "Name (local script)"])
    sheet.append(["an@example.vn", "Tran Van An", "Trần Văn An"])
    sheet.append([None, None, None])
    out = io.BytesIO()
    book.save(out)
    rows = bulk_import.read_file("list.xlsx", out.getvalue())
    assert [(r.line, r.values["name_local"], r.ok) for r in rows] == [(2, "Trần Văn An", True)]
    for data, key in (
        (b"name\nx\n", "import.file.columns_missing"),
        (b"PK\x03\x04 broken", "import.file.unreadable"),
        (b"email,name\n\x85\x40,x\n", "import.file.encoding"),
        (b" ", "import.file.empty"),
        (b'email,name_latin\n"' + b"x" * 200_000, "import.file.unreadable"),  # a quote that never closes
    ):
        with pytest.raises(bulk_import.FileProblem) as refused:
            bulk_import.read_file("x.csv", data)
        assert refused.value.key == key
    # An Excel archive whose sheet is damaged reads as unreadable too, not as an error of the platform.
    damaged = io.BytesIO()
    with zipfile.ZipFile(out) as good, zipfile.ZipFile(damaged, "w") as bad:
        for item in good.infolist():
            content = good.read(item.filename)
            bad.writestr(
                item, content[: len(content) // 2] if item.filename.endswith("sheet1.xml") else content
            )
    with pytest.raises(bulk_import.FileProblem) as refused:
        bulk_import.read_file("list.xlsx", damaged.getvalue())
    assert refused.value.key == "import.file.unreadable"


@pytest.fixture
async def app_db(settings):
    db.load_models()
    engine = db.create_engine(settings.database_url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        edition = await make_edition(session, "ascc2023")
        session.info["edition_id"] = edition.id
        await make_user(session, "boss@example.org", role="organizer", name="Aiko Tanaka")
        yield session
    await engine.dispose()


async def upload(client, name: str, data: bytes):
    token = await csrf_token(client)
    return await client.post(
        "/organizer/registrations/import/",
        data={"_csrf_token": token},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


async def finished(client, path: str) -> str:
    for _ in range(200):
        page = (await client.get(path)).text
        if 'data-status="done"' in page or 'data-status="failed"' in page:
            return page
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0


async def test_organizer_previews_confirms_once_and_people_get_mails(client, app_db) -> None:
    await make_user(app_db, "somchai@example.org", name="Somchai Prasert")  # has an account, not registered
    # A required question is the person's to answer later, in their details: it does not stop the import.
    await organizer.add_question(
        app_db, app_db.info["edition_id"], "yes_no", "Reception?", "レセプション", "", True
    )
    await app_db.commit()
    await sign_in(client, "boss@example.org", PASSWORD)
    answer = await upload(client, "Yokohama list.csv", CITY_LIST.encode("utf-8"))
    assert answer.status_code == 303
    batch_page = answer.headers["location"]
    preview = (await client.get(batch_page)).text
    shown = text_of(preview)
    assert "5 rows: 3 ready to import, 2 with problems" in shown
    assert "E-mail: Enter a valid e-mail address" in shown or "E-mail:" in shown
    assert "The same address is on line 3 already." in shown and "Unknown country" in shown
    assert "Nguyễn Thị Minh Thư" in shown and "สมชาย ประเสริฐ" in shown
    # The preview stores nothing but itself: no account, no registration, no mail.
    assert await count(app_db, User, User.email == "haruka.sato@example.org") == 0
    assert await count(app_db, OutboxMessage) == 0

    refused = await post_form(client, batch_page + "/confirm", {})
    assert refused.status_code == 422 and "accepted the privacy notice" in text_of(refused.text)
    token = await csrf_token(client)
    first, second = await asyncio.gather(
        client.post(batch_page + "/confirm", data={"_csrf_token": token, "privacy_accepted": "on"}),
        client.post(batch_page + "/confirm", data={"_csrf_token": token, "privacy_accepted": "on"}),
    )
    assert {first.status_code, second.status_code} <= {200, 303}
    done = text_of(await finished(client, batch_page))
    assert "Imported 3" in done and "Skipped 2" in done

    edition_id = app_db.info["edition_id"]
    registered = (
        await app_db.scalars(
            select(User.email)
            .join(Registration, Registration.user_id == User.id)
            .where(Registration.edition_id == edition_id)
        )
    ).all()
    assert sorted(registered) == ["haruka.sato@example.org", "somchai@example.org", "thu@example.org"]
    kinds = (await app_db.execute(select(OutboxMessage.to_address, OutboxMessage.kind))).all()
    # New people: the link to choose a password and their registration's mail; Somchai only the latter.
    assert sorted(k for a, k in kinds if a == "haruka.sato@example.org") == [
        "account_made",
        "registration_confirmed",
    ]
    assert [k for a, k in kinds if a == "somchai@example.org"] == ["registration_confirmed"]
    assert await count(app_db, AuditEntry, AuditEntry.action == "registration.import") == 1
    the_list = text_of((await client.get("/organizer/registrations")).text)
    assert "Nguyen Thi Minh Thu" in the_list and "Haruka Sato" in the_list
    again = await post_form(
        client, batch_page + "/confirm", {"privacy_accepted": "on"}, follow_redirects=False
    )
    assert again.status_code == 303 and await count(app_db, Registration) == 3


async def test_a_file_too_large_or_unreadable_comes_back_with_the_reason(client, app_db) -> None:
    await sign_in(client, "boss@example.org", PASSWORD)
    big = await upload(client, "big.csv", HEADER.encode() + b"x" * (bulk_import.MAX_BYTES + 10))
    assert big.status_code == 422 and "larger than 2 MB" in text_of(big.text)
    wrong = await upload(client, "list.csv", b"who,what\n1,2\n")
    assert wrong.status_code == 422 and "email, name_latin" in text_of(wrong.text)
    template = await client.get("/organizer/registrations/import/template.csv")
    assert template.content.startswith("\ufeff".encode()) and b"email,name_latin" in template.content


async def test_the_api_names_each_problem_and_confirms_once(client, app_db) -> None:
    await organizer.update_settings(
        app_db,
        app_db.info["edition_id"],
        organizer.SettingsInput(None, None, [], ["speaker"], "2023-1"),
        "http://testserver.local",
    )
    await app_db.commit()
    await sign_in(client, "boss@example.org", PASSWORD)
    headers = {"X-CSRFToken": await csrf_token(client)}
    late = await make_user(app_db, "late@example.org", name="Late Comer")
    rows = [
        {"email": "late@example.org", "name_latin": "Late Comer"},
        {"email": "an@example.vn", "name_latin": "Tran Van An", "name_local": "Trần Văn An", "country": "VN"},
        {"email": "an@example.vn", "name_latin": "佐藤", "category": "speaker"},
    ]
    preview = await client.post("/api/v1/registrations/imports", json={"rows": rows}, headers=headers)
    assert preview.status_code == 201, preview.text
    body = preview.json()
    assert (body["total"], body["valid"], body["status"]) == (3, 2, "preview")
    assert {(p["field"], p["reason"]) for p in body["rows"][2]["problems"]} == {
        ("email", "import.problem.duplicate_in_file"),
        ("name_latin", "error.latin_only"),
        ("category", "error.invitation_required"),
    }
    unknown = await client.post(
        "/api/v1/registrations/imports", json={"rows": [{"mail": "x"}]}, headers=headers
    )
    assert unknown.status_code in (400, 422)
    path = f"/api/v1/registrations/imports/{body['id']}"
    # Registered between the preview and the confirmation: skipped with its reason, the next row imported.
    await registering.register(
        app_db, app_db.info["edition_id"], late.id, entry(), "http://x", require_open=False
    )
    await app_db.commit()
    no_privacy = await client.post(path + "/confirm", json={"privacy_accepted": False}, headers=headers)
    assert no_privacy.status_code == 422 and no_privacy.json()["extra"][0]["field"] == "privacy_accepted"
    confirmed = await client.post(path + "/confirm", json={"privacy_accepted": True}, headers=headers)
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "importing"
    twice = await client.post(path + "/confirm", json={"privacy_accepted": True}, headers=headers)
    assert twice.status_code == 409 and twice.json()["error"] == "already_confirmed"
    for _ in range(100):
        shown = (await client.get(path)).json()
        if shown["status"] == "done":
            break
        await asyncio.sleep(0.05)
    assert [r["outcome"] for r in shown["rows"]] == ["skipped", "imported", "problem"]
    assert shown["rows"][0]["problems"][0]["reason"] == "error.already_registered"


async def test_a_head_registers_a_member_within_the_delegations_seats(client, app_db, monkeypatch) -> None:
    edition_id = app_db.info["edition_id"]
    head = await make_user(app_db, "head@example.org", name="Le Van Nam")
    mine = await registering.register(
        app_db, edition_id, head.id, entry(organization="Da Nang City"), "http://x"
    )
    await delegations.start_delegation(app_db, mine)
    await organizer.set_quota(app_db, edition_id, "Da Nang City", "2")
    await make_user(app_db, "known@example.org", name="Known Person")
    await app_db.commit()
    await sign_in(client, "head@example.org", PASSWORD)
    form = {
        "member_email": "thu@example.org",
        "member_name_latin": "Nguyen Thi Minh Thu",
        "member_name_local": "Nguyễn Thị Minh Thư",
        "member_position": "Officer",
        "member_mode": "in_person",
        "member_category": "city_official",
        "member_country": "VN",
        "member_lang": "ja",
    }
    no_privacy = await post_form(client, "/delegation/members", form)
    assert no_privacy.status_code == 422 and 'value="Nguyễn Thị Minh Thư"' in no_privacy.text
    done = await post_form(client, "/delegation/members", {**form, "member_privacy_accepted": "on"})
    assert done.status_code == 200, text_of(done.text)[:500]
    assert "thu@example.org is registered in your delegation" in text_of(done.text)
    member = await app_db.scalar(
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .where(User.email == "thu@example.org")
    )
    assert member.delegation_id == mine.delegation_id and member.organization_id == mine.organization_id
    kinds = (
        await app_db.scalars(select(OutboxMessage.kind).where(OutboxMessage.to_address == "thu@example.org"))
    ).all()
    assert sorted(kinds) == ["account_made", "registration_confirmed"]
    # An address with an account is invited, not registered by someone else.
    known = await post_form(
        client,
        "/delegation/members",
        {**form, "member_email": "known@example.org", "member_privacy_accepted": "on"},
    )
    assert "known@example.org has been sent an invitation" in text_of(known.text)
    # The delegation's two in-person seats are taken (the head and the member).
    full = await post_form(
        client,
        "/delegation/members",
        {**form, "member_email": "third@example.org", "member_privacy_accepted": "on"},
    )
    assert full.status_code == 409 and await count(app_db, User, User.email == "third@example.org") == 0
    # Online members take no seat, but a head makes accounts (and mail) for a few members only.
    monkeypatch.setattr(on_behalf, "MEMBERS_MADE_MAX", 2)
    capped = await post_form(
        client,
        "/delegation/members",
        {
            **form,
            "member_email": "fourth@example.org",
            "member_mode": "online",
            "member_privacy_accepted": "on",
        },
    )
    assert capped.status_code == 409 and "at most 2 members" in text_of(capped.text)
    assert await count(app_db, User, User.email == "fourth@example.org") == 0
