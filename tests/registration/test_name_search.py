"""Names are found whatever their accents, case and width: "nguyen" finds Nguyễn, "dang" finds Đặng, in the
organizer's list, the participant directory and the accounts list (check-in and the network have their own
tests), on SQLite and PostgreSQL."""

from __future__ import annotations

from ascc.accounts import services as accounts
from ascc.registration import consents, organizer
from tests.registration.test_services import register


def _vietnamese(inputs: dict) -> list[dict]:
    return [n for n in inputs["names"] if n["country"] == "VN"]


async def _names(session, edition_id: int, q: str) -> list[str]:
    rows, total = await organizer.list_registrations(session, edition_id, organizer.Filters(q=q))
    assert total == len(rows)
    return sorted(r.user.name_latin for r in rows)


async def test_organizer_list_finds_vietnamese_names_typed_without_accents(
    session, edition, person, inputs
) -> None:
    for name in _vietnamese(
        inputs
    ):  # Nguyen Thi Minh Thu / Nguyễn Thị Minh Thư, Tran Van Hoang / Trần Văn Hoàng
        await register(session, edition, await person(name=name["latin"], name_local=name["local"]))
    await register(session, edition, await person(name="Nguyễn Thị Minh Khai"))
    await register(session, edition, await person(name="Đặng Văn Lâm", name_local="ĐẶNG VĂN LÂM"))
    await register(session, edition, await person(name="Haruka Sato", name_local="佐藤 遥"))

    both = ["Nguyen Thi Minh Thu", "Nguyễn Thị Minh Khai"]
    assert await _names(session, edition.id, "nguyen") == both
    assert await _names(session, edition.id, "nguyen thi minh") == both
    assert await _names(session, edition.id, "  NGUYỄN   thị minh ") == both
    assert await _names(session, edition.id, "ｎｇｕｙｅｎ") == both  # full-width, as some phones type it
    assert await _names(session, edition.id, "minh thu") == ["Nguyen Thi Minh Thu"]
    assert await _names(session, edition.id, "thư") == ["Nguyen Thi Minh Thu"]  # the accents still count
    assert await _names(session, edition.id, "khai") == ["Nguyễn Thị Minh Khai"]
    assert await _names(session, edition.id, "dang") == ["Đặng Văn Lâm"]
    assert await _names(session, edition.id, "Đặng") == ["Đặng Văn Lâm"]
    assert await _names(session, edition.id, "tran van hoang") == ["Tran Van Hoang"]
    assert await _names(session, edition.id, "hoàng") == ["Tran Van Hoang"]
    assert await _names(session, edition.id, "佐藤") == ["Haruka Sato"]
    assert await _names(session, edition.id, "thu tran") == []  # no match across two people or two names
    assert await _names(session, edition.id, "p1@example") == ["Nguyen Thi Minh Thu"]  # addresses still work


async def test_directory_and_accounts_list_fold_names_and_renaming_keeps_up(session, edition, person) -> None:
    user = await person(name="Nguyễn Thị Minh Khai")
    await register(session, edition, user)

    assert [e.name_latin for e in await consents.directory(session, edition.id, q="nguyen minh")] == []
    assert [e.name_latin for e in await consents.directory(session, edition.id, q="nguyen thi")] == [
        "Nguyễn Thị Minh Khai"
    ]
    users, _ = await accounts.list_users(session, query="NGUYEN THI MINH")
    assert [u.name_latin for u in users] == ["Nguyễn Thị Minh Khai"]

    await accounts.update_profile(
        session, user.id, accounts.ProfileInput(name_latin="Đỗ Thị Hà", name_local="杜氏河")
    )
    await session.commit()
    assert await consents.directory(session, edition.id, q="nguyen") == []
    assert [e.name_latin for e in await consents.directory(session, edition.id, q="do thi ha")] == [
        "Đỗ Thị Hà"
    ]
    users, _ = await accounts.list_users(session, query="杜氏")
    assert [u.name_latin for u in users] == ["Đỗ Thị Hà"]
