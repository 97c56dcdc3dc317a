"""Text people type: names in every script survive; control characters and overlong input do not."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ascc.text import FieldError, clean_line, email_key, normalize_email, required_line, safe_next_path


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
