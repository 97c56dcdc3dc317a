"""Text people type: names in every script survive; control characters and overlong input do not."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ascc.text import (
    SEARCH_MAX,
    FieldError,
    as_number,
    clean_line,
    email_key,
    like_pattern,
    normalize_email,
    required_line,
    safe_next_path,
    whole_number,
)


def test_clean_line_keeps_every_participant_name(inputs: dict) -> None:
    for person in inputs["names"]:
        for key in ("latin", "local"):
            assert clean_line(person[key]) == unicodedata.normalize("NFC", person[key]).strip()


def test_clean_line_composes_decomposed_vietnamese() -> None:
    assert clean_line("Nguye\u0302\u0303n") == "Nguyễn"


def test_clean_line_removes_nul_and_folds_tabs_and_newlines() -> None:
    assert clean_line("x\x00y") == "xy"
    assert clean_line("Tab\tand\nnewline") == "Tab and newline"
    assert clean_line("   leading and trailing spaces   ") == "leading and trailing spaces"


@given(st.text())
def test_clean_line_never_leaves_control_characters(value: str) -> None:
    cleaned = clean_line(value)
    assert not any(unicodedata.category(ch) == "Cc" for ch in cleaned)
    assert cleaned == cleaned.strip()


def test_required_line_rejects_blank_and_overlong() -> None:
    with pytest.raises(FieldError) as blank:
        required_line("name", " \t ")
    assert blank.value.key == "error.required"
    with pytest.raises(FieldError) as overlong:
        required_line("name", "x" * 10_000)
    assert overlong.value.key == "error.too_long"


def test_emails_valid_are_accepted_and_case_folded_to_one_key(inputs: dict) -> None:
    for address in inputs["emails_valid"]:
        assert "@" in normalize_email("email", address)
    assert (
        email_key(normalize_email("email", "Delegate.Name+ascc@Example.ORG"))
        == "delegate.name+ascc@example.org"
    )


def test_emails_invalid_are_refused(inputs: dict) -> None:
    for address in inputs["emails_invalid"]:
        with pytest.raises(FieldError):
            normalize_email("email", address)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil", "javascript:alert(1)", ""]
)
def test_safe_next_path_refuses_other_sites(target: str) -> None:
    assert safe_next_path(target) == "/"


def test_safe_next_path_keeps_local_paths() -> None:
    assert safe_next_path("/account?tab=tokens") == "/account?tab=tokens"


def test_as_number_reads_ascii_and_full_width_digits_only() -> None:
    assert [as_number(v) for v in ("42", " 7 ", "０１２３", "18" * 9)] == [42, 7, 123, 181818181818181818]
    # "²".isdigit() is true and int("²") fails; signs, notations and 19+ digits (beyond a database integer).
    refused = ("²", "-1", "+1", "0x10", "1e3", "NaN", "", None, "1" * 19, "9" * 10_000, "4\x002")
    assert [as_number(v) for v in refused] == [None] * len(refused)


def test_whole_number_reports_a_superscript_or_huge_number_as_out_of_range() -> None:
    errors: dict = {}
    assert whole_number(errors, "capacity", "²", 1, 100, True) is None
    assert whole_number(errors, "seats", "9" * 10_000, 1, 100, True) is None
    expected = ("error.number_range", {"min": 1, "max": 100})
    assert errors == {"capacity": expected, "seats": expected}


def test_like_pattern_escapes_wildcards_and_cuts_overlong_searches() -> None:
    assert like_pattern(" 50%_off\\ ") == "%50\\%\\_off\\\\%"
    assert like_pattern("x" * 10_000) == "%" + "x" * SEARCH_MAX + "%"
