"""Reading the registration form (pages) into the service's input. Web layer helper, no rules here."""

from __future__ import annotations

from typing import Any

from ascc.registration.answers import field_name
from ascc.registration.models import Question
from ascc.registration.registering import RegistrationInput
from ascc.web import form_list, form_text

TEXT_FIELDS = (
    "mode",
    "category",
    "organization",
    "position",
    "country",
    "city",
    "interpretation",
    "dietary",
    "accessibility",
    "code",
)
CONSENT_FIELDS = ("consent_directory", "consent_scanning", "consent_recommendations", "consent_photos")


def read(form: Any, questions: list[Question]) -> tuple[RegistrationInput, dict[str, Any]]:
    """The input for the service, and the values to show again in the form when something is wrong."""
    values: dict[str, Any] = {name: form_text(form, name) for name in TEXT_FIELDS}
    values["interests"] = form_list(form, "interests")
    for name in (*CONSENT_FIELDS, "privacy_accepted"):
        values[name] = form_text(form, name) == "on"
    # Staying in the year-round network is a separate choice, kept by the network domain (never pre-ticked).
    values["consent_network"] = form_text(form, "consent_network") == "on"
    answers: dict[str, Any] = {}
    for question in questions:
        name = field_name(question.id)
        answers[str(question.id)] = (
            form_list(form, name) if question.kind == "multiple" else form_text(form, name)
        )
        values[name] = answers[str(question.id)]
    data = RegistrationInput(
        mode=values["mode"] or "in_person",
        category=values["category"],
        organization=values["organization"],
        position=values["position"],
        country=values["country"],
        city=values["city"],
        interpretation=values["interpretation"] or "none",
        dietary=values["dietary"],
        accessibility=values["accessibility"],
        interests=values["interests"],
        answers=answers,
        consent_directory=values["consent_directory"],
        consent_scanning=values["consent_scanning"],
        consent_recommendations=values["consent_recommendations"],
        consent_photos=values["consent_photos"],
        privacy_accepted=values["privacy_accepted"],
        code=values["code"] or None,
    )
    return data, values


def values_of(registration: Any) -> dict[str, Any]:
    """A stored registration as form values (for the edit form)."""
    values: dict[str, Any] = {
        name: getattr(registration, name) or ""
        for name in TEXT_FIELDS
        if name not in ("code", "organization")
    }
    values["organization"] = registration.organization.name_en if registration.organization else ""
    values["interests"] = list(registration.interests or [])
    for name in CONSENT_FIELDS:
        values[name] = getattr(registration, name)
    for key, answer in (registration.answers or {}).items():
        values[field_name(int(key))] = answer
    return values
