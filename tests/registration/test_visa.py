"""Visa invitation letters as people meet them (issue #28 item 2), on both databases: a confirmed participant
asks with passport data (sealed at rest), an organizer approves, the person downloads the letter, and the
public verification says valid, then revoked, and nothing personal; bad passport data is refused naming the
field; one open request per person; the retention rule deletes the passport data after the edition."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ascc.audit.models import AuditEntry
from ascc.errors import DomainError, NotFound, ValidationFailed
from ascc.mail.models import OutboxMessage
from ascc.privacy import rules
from ascc.privacy import services as privacy
from ascc.privacy.export import person_export
from ascc.privacy.forget import delete_account
from ascc.registration import delegations, registering, visa
from ascc.registration.models import VisaLetter
from ascc.registration.visa_routes import letter_pdf
from tests.registration.conftest import BASE, entry
from tests.support.pdf import pdf_text

SECRET = "test-secret-for-visa-letters"
BEFORE = "2023-10-20T10:00+09:00"  # registration open, the conference ahead


@pytest.fixture
def before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCC_NOW", BEFORE)


async def _confirmed(session, edition_id: int, person, email: str, **changes):
    user = await person(email, name="Nguyen Thi Lan", name_local="Nguyễn Thị Lan")
    registration = await registering.register(
        session, edition_id, user.id, entry(**changes), BASE, notify=False
    )
    await session.commit()
    return user, registration


async def _mails(session, kind: str) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def test_ask_approve_download_verify_and_revoke(session, edition, person, before) -> None:
    user, _ = await _confirmed(session, edition.id, person, "lan@example.org", country="VN")
    passport = visa.parse("Ｃ１２３ ４５６７", "1984-02-29", "vn")  # full-width, as Japanese keyboards type
    letter = await visa.request_letter(session, edition.id, user.id, passport, SECRET, BASE)
    await session.commit()
    ref, letter_id, user_id = (
        letter.reference,
        letter.id,
        user.id,
    )  # plain values: they stay readable after a rollback
    assert (letter.status, passport.number, passport.nationality) == ("requested", "C1234567", "VN")
    assert b"C1234567" not in letter.passport_data and b"1984" not in letter.passport_data  # sealed at rest
    received = await _mails(session, "visa_letter_requested")
    assert [m.to_address for m in received] == ["lan@example.org"]
    assert "When: Monday 13 – Wednesday 15 November 2023" in received[0].body_text
    assert "場所：パシフィコ横浜ノース" in received[0].body_text and ref in received[0].body_text

    with pytest.raises(DomainError) as early:  # before approval: a clear refusal, not the letter
        await visa.letter_to_download(session, ref, user_id, organizer=False)
    assert early.value.code == "visa_not_approved"
    assert (await visa.verify(session, ref)).status == "unknown"  # not issued yet

    assert await visa.approve(session, edition.id, [letter_id], BASE) == 1
    await session.commit()
    with pytest.raises(DomainError) as twice:
        await visa.approve(session, edition.id, [letter_id], BASE)
    assert twice.value.code == "visa_not_requested"
    await session.rollback()
    assert len(await _mails(session, "visa_letter_approved")) == 1

    found = await visa.letter_to_download(session, ref.lower(), user_id, organizer=False)
    other = await person("someone@example.org")
    with pytest.raises(NotFound):
        await visa.letter_to_download(session, ref, other.id, organizer=False)
    assert await visa.letter_to_download(session, ref, other.id, organizer=True) is not None
    text = pdf_text(await letter_pdf(session, found, BASE, SECRET))
    assert "Letter of Invitation" in text and "招へい状" in text
    assert "C1234567" in text and "29 February 1984" in text and "1984年2月29日" in text
    assert "Vietnam" in text and "ベトナム" in text
    assert f"{BASE}/letters/verify/{ref}" in text.replace("\n", "")

    valid = await visa.verify(session, f" {ref.lower()} ")
    assert (valid.status, valid.edition_en, str(valid.issued_on)) == (
        "valid",
        "Edition ascc2023",
        "2023-10-20",
    )
    await visa.revoke(session, edition.id, letter_id)
    await session.commit()
    revoked = await visa.verify(session, ref)
    assert revoked.status == "revoked"
    assert "Nguyen" not in repr(revoked) and "C1234567" not in repr(revoked)  # nothing personal to show
    with pytest.raises(DomainError) as gone:
        await visa.letter_to_download(session, ref, user_id, organizer=False)
    assert gone.value.code == "visa_revoked"
    actions = (
        await session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "visa_letter"))
    ).all()
    assert sorted(actions) == ["registration.visa_approve", "registration.visa_revoke"]


async def test_bad_passport_data_is_refused_naming_the_field(inputs: dict, before) -> None:
    hostile = [*inputs["hostile"], *inputs["unicode_traps"], "x" * inputs["lengths"]["overlong"], "", "   "]
    for value in hostile:
        with pytest.raises(ValidationFailed) as refused:
            visa.parse(value, value, value)
        assert set(refused.value.errors) == {"passport_number", "date_of_birth", "nationality"}, value
    for born, reason in (
        ("2999-01-01", "visa.error_date_of_birth_past"),
        ("2023-10-20", "visa.error_date_of_birth_past"),  # today
        ("1899-12-31", "visa.error_date_of_birth_past"),
        ("1983-02-29", "error.date_invalid"),  # not a leap year
        ("17/05/1980", "error.date_invalid"),
        ("1980-5-17", "error.date_invalid"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            visa.parse("P1234567", born, "PH")
        assert refused.value.errors == {"date_of_birth": (reason, {})}, born
    for number in (
        "P12",
        "P1234567890123456789012",
        "P123/4567",
        "パスポート１２３",
        "P1234567!",
        "PASSPORT",
    ):
        with pytest.raises(ValidationFailed) as refused:
            visa.parse(number, "1980-05-17", "PH")
        assert list(refused.value.errors) == ["passport_number"], number
    for code in ("ZZ", "XX", "EU", "PHL", "Philippines"):
        with pytest.raises(ValidationFailed) as refused:
            visa.parse("P1234567", "1980-05-17", code)
        assert list(refused.value.errors) == ["nationality"], code
    assert visa.parse(" p-123 4567 ", "1980-05-17", " th ") == visa.Passport(
        "P1234567", visa.date(1980, 5, 17), "TH"
    )


async def test_one_open_request_per_person_and_only_for_confirmed_in_person(
    session, edition, person, before
) -> None:
    user, _ = await _confirmed(session, edition.id, person, "one@example.org")
    passport = visa.parse("P1234567", "1980-05-17", "PH")
    first = await visa.request_letter(session, edition.id, user.id, passport, SECRET, BASE)
    await session.commit()
    first_id, first_reference, user_id = first.id, first.reference, user.id
    with pytest.raises(DomainError) as again:
        await visa.request_letter(session, edition.id, user.id, passport, SECRET, BASE)
    assert again.value.code == "visa_already_requested"
    await session.rollback()
    await visa.revoke(session, edition.id, first_id)  # a wrong passport number: revoked, asked again
    second = await visa.request_letter(session, edition.id, user_id, passport, SECRET, BASE)
    await session.commit()
    assert second.reference != first_reference
    assert (await visa.mine(session, edition.id, user_id)).id == second.id

    online, _ = await _confirmed(session, edition.id, person, "online@example.org", mode="online")
    with pytest.raises(DomainError) as refused:
        await visa.request_letter(session, edition.id, online.id, passport, SECRET, BASE)
    assert refused.value.code == "visa_needs_confirmed_in_person"
    await session.rollback()
    nobody = await person("nobody@example.org")
    with pytest.raises(NotFound):
        await visa.request_letter(session, edition.id, nobody.id, passport, SECRET, BASE)
    await session.rollback()
    assert await session.scalar(select(func.count(VisaLetter.id))) == 2


async def test_the_delegation_head_sees_a_members_letter_and_bulk_approval_skips_decided_ones(
    session, edition, person, before
) -> None:
    head, head_registration = await _confirmed(session, edition.id, person, "head@example.org")
    member, member_registration = await _confirmed(session, edition.id, person, "member@example.org")
    delegation = await delegations.start_delegation(session, head_registration)
    await delegations.add_member(session, delegation, member_registration, "member@example.org")
    await session.commit()
    passport = visa.parse("P7654321", "1990-01-31", "PH")
    letters = [
        await visa.request_letter(session, edition.id, who.id, passport, SECRET, BASE)
        for who in (head, member)
    ]
    await session.commit()
    await visa.approve(session, edition.id, [letters[0].id], BASE)
    assert await visa.approve(session, edition.id, [letters[0].id, letters[1].id], BASE) == 1  # the one left
    await session.commit()
    assert len(await _mails(session, "visa_letter_approved")) == 2
    assert [x.id for x in await visa.delegation_letters(session, edition.id, head.id)] == [letters[1].id]
    assert await visa.letter_to_download(session, letters[1].reference, head.id, organizer=False)
    with pytest.raises(NotFound):  # a member does not see the head's letter
        await visa.letter_to_download(session, letters[0].reference, member.id, organizer=False)
    bulk = await session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "registration.visa_bulk_approve")
    )
    assert bulk == 1


async def test_the_retention_rule_deletes_passport_data_after_the_edition(
    session, edition, person, monkeypatch, before
) -> None:
    user, _ = await _confirmed(session, edition.id, person, "kept@example.org")
    letter = await visa.request_letter(
        session, edition.id, user.id, visa.parse("P1234567", "1980-05-17", "PH"), SECRET, BASE
    )
    ref, letter_id, user_id = letter.reference, letter.id, user.id
    await visa.approve(session, edition.id, [letter_id], BASE)
    values = {c.key: str(c.default) for c in rules.CLASSES}
    await privacy.save_periods(session, None, {**values, "visa_passport_data": "30"})
    await session.commit()
    monkeypatch.setenv("ASCC_NOW", "2023-12-14T10:00+09:00")  # 29 days after the last day: kept
    report = await privacy.apply(session, None, only=["visa_passport_data"])
    assert [(r.status, r.count) for r in report.results] == [("done", 0)]
    monkeypatch.setenv("ASCC_NOW", "2023-12-16T10:00+09:00")  # 31 days after
    dry = await privacy.apply(session, None, dry_run=True, only=["visa_passport_data"])
    assert [(r.status, r.count) for r in dry.results] == [("dry_run", 1)]
    report = await privacy.apply(session, None, only=["visa_passport_data"])
    assert [(r.status, r.count) for r in report.results] == [("done", 1)]
    session.expire_all()
    kept = await session.get(VisaLetter, letter_id)
    assert kept.passport_data is None and kept.purged_at is not None
    assert visa.passport_of(kept, SECRET) is None
    assert (await visa.verify(session, ref)).status == "valid"  # still verifiable
    with pytest.raises(DomainError) as deleted:
        await visa.letter_to_download(session, ref, user_id, organizer=False)
    assert deleted.value.code == "visa_data_deleted"


async def test_deleting_ones_account_deletes_the_passport_data_and_the_export_lists_the_letter(
    session, edition, person, before
) -> None:
    user, _ = await _confirmed(session, edition.id, person, "gone@example.org")
    letter = await visa.request_letter(
        session, edition.id, user.id, visa.parse("P1234567", "1980-05-17", "PH"), SECRET, BASE
    )
    await visa.approve(session, edition.id, [letter.id], BASE)
    await session.commit()
    ref, letter_id, user_id = letter.reference, letter.id, user.id
    exported = await person_export(session, user_id)
    assert [(x["reference"], x["status"], x["passport_data_on_file"]) for x in exported["visa_letters"]] == [
        (ref, "approved", True)
    ]
    await delete_account(session, user_id, BASE)
    await session.commit()
    session.expire_all()
    assert (await session.get(VisaLetter, letter_id)).passport_data is None
    assert (await visa.verify(session, ref)).status == "revoked"  # the registration is cancelled
