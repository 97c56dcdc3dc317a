"""The organizer's own questions: check a person's answers against them. Pure: plain data in and out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ascc.text import clean_block

ANSWER_MAX = 2000


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    kind: str  # text | single | multiple | yes_no
    required: bool
    choices: tuple[str, ...] = ()


def field_name(question_id: int) -> str:
    return f"q_{question_id}"


def check_answers(
    questions: list[QuestionSpec], raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean answers keyed by str(question id), and errors keyed by form field name (catalogue keys)."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        value = raw.get(str(question.id))
        name = field_name(question.id)
        if question.kind == "multiple":
            picked = [v for v in (value if isinstance(value, list) else [value] if value else []) if v]
            if any(v not in question.choices for v in picked):
                errors[name] = "error.choice_invalid"
            elif question.required and not picked:
                errors[name] = "error.required"
            elif picked:
                answers[str(question.id)] = sorted(set(picked), key=question.choices.index)
            continue
        text = clean_block(value) if isinstance(value, str) else ""
        if not text:
            if question.required:
                errors[name] = "error.required"
            continue
        if (question.kind == "single" and text not in question.choices) or (
            question.kind == "yes_no" and text not in ("yes", "no")
        ):
            errors[name] = "error.choice_invalid"
        elif len(text) > ANSWER_MAX:
            errors[name] = "error.too_long"
        else:
            answers[str(question.id)] = text
    return answers, errors
